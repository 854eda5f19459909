// IHttpRequestLifetimeFeature: an AbortSignal that fires when the client goes away
// before the response completed, and abort() to reset the connection.
import { featureKey } from '../feature-collection';
import type { Exchange } from '../exchange';

export interface IHttpRequestLifetimeFeature {
  readonly signal: AbortSignal;
  abort(): void;
}
export const HttpRequestLifetimeFeature = featureKey<IHttpRequestLifetimeFeature>('HttpRequestLifetimeFeature');

export class LifetimeFeature implements IHttpRequestLifetimeFeature {
  constructor(private readonly ex: Exchange) {}
  get signal(): AbortSignal {
    return this.ex.signal;
  }
  abort(): void {
    this.ex.abort();
  }
}
