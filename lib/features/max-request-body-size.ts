// IHttpMaxRequestBodySizeFeature: this request's body limit (null = unlimited), which can
// be changed until the body starts being read.
import { featureKey } from '../feature-collection';
import { SyshttpError } from '../errors';
import type { Exchange } from '../exchange';

export interface IHttpMaxRequestBodySizeFeature {
  readonly isReadOnly: boolean;
  maxRequestBodySize: number | null;
}
export const HttpMaxRequestBodySizeFeature = featureKey<IHttpMaxRequestBodySizeFeature>('HttpMaxRequestBodySizeFeature');

export class MaxRequestBodySizeFeature implements IHttpMaxRequestBodySizeFeature {
  constructor(private readonly ex: Exchange) {}
  get isReadOnly(): boolean {
    return this.ex.bodyStarted;
  }
  get maxRequestBodySize(): number | null {
    return this.ex.maxRequestBodySize;
  }
  set maxRequestBodySize(value: number | null) {
    if (this.ex.bodyStarted) {
      throw new SyshttpError('SYSHTTP_ERR_BODY_STARTED', 'the body limit cannot change once the body is being read');
    }
    if (value !== null && (!Number.isSafeInteger(value) || value < 0)) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'maxRequestBodySize must be a non-negative integer or null');
    }
    this.ex.maxRequestBodySize = value;
  }
}
