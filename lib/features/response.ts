// IHttpResponseFeature: status, reason and headers, with the start/completion callbacks.
import { featureKey } from '../feature-collection';
import { SyshttpError } from '../errors';
import type { ResponseHeaders } from '../headers';
import type { Exchange } from '../exchange';

export interface IHttpResponseFeature {
  status: number;
  reason: string | undefined;
  readonly headers: ResponseHeaders;
  readonly hasStarted: boolean;
  onStarting(callback: () => void | Promise<void>): void;
  onCompleted(callback: () => void | Promise<void>): void;
}
export const HttpResponseFeature = featureKey<IHttpResponseFeature>('HttpResponseFeature');

export class ResponseFeature implements IHttpResponseFeature {
  constructor(private readonly ex: Exchange) {}

  get status(): number {
    return this.ex.status;
  }
  set status(value: number) {
    if (this.ex.started) throw new SyshttpError('SYSHTTP_ERR_RESPONSE_STARTED', 'cannot set the status');
    if (!Number.isInteger(value) || value < 200 || value > 999) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', `status must be an integer from 200 to 999, got ${String(value)}`);
    }
    this.ex.status = value;
  }
  get reason(): string | undefined {
    return this.ex.reason;
  }
  set reason(value: string | undefined) {
    if (this.ex.started) throw new SyshttpError('SYSHTTP_ERR_RESPONSE_STARTED', 'cannot set the reason phrase');
    if (value !== undefined && (typeof value !== 'string' || /[\0\r\n\u0100-\uffff]/.test(value))) {
      throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'invalid reason phrase');
    }
    this.ex.reason = value;
  }
  get headers(): ResponseHeaders {
    return this.ex.headers;
  }
  get hasStarted(): boolean {
    return this.ex.started;
  }
  onStarting(callback: () => void | Promise<void>): void {
    if (typeof callback !== 'function') throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'onStarting needs a function');
    this.ex.onStarting(callback);
  }
  onCompleted(callback: () => void | Promise<void>): void {
    if (typeof callback !== 'function') throw new SyshttpError('SYSHTTP_ERR_INVALID_ARG', 'onCompleted needs a function');
    this.ex.onCompleted(callback);
  }
}
