// The middleware pipeline: (ctx, next) => Promise<void>, composed once per change.
import type { HttpContext } from './http-context';
import { SyshttpError } from './errors';

export type Next = () => Promise<void>;
export type Middleware = (ctx: HttpContext, next: Next) => void | Promise<void>;
export type Handler = (ctx: HttpContext) => void | Promise<void>;

const DONE: Next = () => Promise.resolve();

export function compose(middleware: readonly Middleware[]): (ctx: HttpContext) => Promise<void> {
  const list = middleware.slice();
  if (list.length === 1) {
    const only = list[0];
    return (ctx) => {
      try {
        return Promise.resolve(only(ctx, DONE));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return (ctx) => {
    let last = -1;
    const dispatch = (i: number): Promise<void> => {
      if (i <= last) return Promise.reject(new SyshttpError('SYSHTTP_ERR_SERVER_STATE', 'next() called more than once'));
      last = i;
      const mw = list[i];
      if (mw === undefined) return Promise.resolve();
      try {
        return Promise.resolve(mw(ctx, () => dispatch(i + 1)));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return dispatch(0);
  };
}
