// IHttpRequestIdentifierFeature: a trace identifier, unique within the process run
// (Kestrel's "connection id:request number" shape).
import { featureKey } from '../feature-collection';
import type { Exchange } from '../exchange';

export interface IHttpRequestIdentifierFeature {
  traceIdentifier: string;
}
export const HttpRequestIdentifierFeature = featureKey<IHttpRequestIdentifierFeature>('HttpRequestIdentifierFeature');

export class IdentifierFeature implements IHttpRequestIdentifierFeature {
  private value: string | null = null;
  constructor(private readonly ex: Exchange, private readonly serverTag: string) {}
  get traceIdentifier(): string {
    return (this.value ??= `${this.serverTag}${this.ex.connection.toString(36).toUpperCase().padStart(6, '0')}:${this.ex.seq.toString(16).padStart(8, '0')}`);
  }
  set traceIdentifier(v: string) {
    this.value = String(v);
  }
}
