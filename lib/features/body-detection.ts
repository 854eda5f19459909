// IHttpRequestBodyDetectionFeature: whether the request can have a body at all
// (a Content-Length above zero, or chunked).
import { featureKey } from '../feature-collection';
import type { Exchange } from '../exchange';

export interface IHttpRequestBodyDetectionFeature {
  readonly canHaveBody: boolean;
}
export const HttpRequestBodyDetectionFeature = featureKey<IHttpRequestBodyDetectionFeature>('HttpRequestBodyDetectionFeature');

export class BodyDetectionFeature implements IHttpRequestBodyDetectionFeature {
  constructor(private readonly ex: Exchange) {}
  get canHaveBody(): boolean {
    return this.ex.has(this.ex.host.constants.REQUEST_HAS_BODY);
  }
}
