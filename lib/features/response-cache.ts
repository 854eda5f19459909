// IHttpResponseCacheFeature: HTTP.sys's kernel response cache (HTTP_CACHE_POLICY). A
// response sent whole may be kept by the kernel and served again without reaching the
// app, for `cacheTtl` seconds; HTTP.sys decides what it caches (GET responses without
// per-request variation). Only on the httpsys backend: elsewhere the feature is undefined.
import { featureKey } from '../feature-collection';
import { SyshttpError } from '../errors';
import type { Exchange } from '../exchange';

export interface IHttpResponseCacheFeature {
  /** Seconds the kernel may serve this response from its cache; undefined or 0: not cached. */
  cacheTtl: number | undefined;
}
export const HttpResponseCacheFeature = featureKey<IHttpResponseCacheFeature>('HttpResponseCacheFeature');

export class ResponseCacheFeature implements IHttpResponseCacheFeature {
  constructor(private readonly ex: Exchange) {}

  get cacheTtl(): number | undefined {
    return this.ex.cacheTtl > 0 ? this.ex.cacheTtl : undefined;
  }
  set cacheTtl(value: number | undefined) {
    if (this.ex.started) throw new SyshttpError('SYSHTTP_ERR_RESPONSE_STARTED', 'cannot set cacheTtl');
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 0xffffffff)) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', `cacheTtl must be a whole number of seconds, got ${String(value)}`);
    }
    this.ex.cacheTtl = value ?? 0;
  }
}
