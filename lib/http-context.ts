// HttpContext: a thin façade over the request's FeatureCollection. The server's own
// features are created the first time they are asked for.
import { FeatureCollection, type FeatureKey, type FeatureSource } from './feature-collection';
import type { Chunk, Exchange } from './exchange';
import type { ResponseHeaders } from './headers';
import { BodyDetectionFeature, HttpRequestBodyDetectionFeature } from './features/body-detection';
import { ConnectionFeature, HttpConnectionFeature, type IHttpConnectionFeature } from './features/connection';
import { HttpRequestIdentifierFeature, IdentifierFeature } from './features/identifier';
import { HttpRequestLifetimeFeature, LifetimeFeature } from './features/lifetime';
import { HttpMaxRequestBodySizeFeature, MaxRequestBodySizeFeature } from './features/max-request-body-size';
import { HttpRequestFeature, RequestFeature, type IHttpRequestFeature } from './features/request';
import { HttpResponseFeature, ResponseFeature, type IHttpResponseFeature } from './features/response';
import {
  HttpResponseBodyFeature,
  ResponseBodyFeature,
  type IHttpResponseBodyFeature,
  type SendFileOptions,
} from './features/response-body';
import { ServerAddressesFeature, type IServerAddressesFeature } from './features/server-addresses';
import { HttpUpgradeFeature, UpgradeFeature } from './features/upgrade';
import { HttpResponseCacheFeature, ResponseCacheFeature } from './features/response-cache';

/** The features every request starts with, each made on first use. */
class DefaultFeatures implements FeatureSource {
  private request: RequestFeature | null = null;
  private response: ResponseFeature | null = null;
  private body: ResponseBodyFeature | null = null;
  private connection: ConnectionFeature | null = null;
  private lifetime: LifetimeFeature | null = null;
  private identifier: IdentifierFeature | null = null;
  private maxBody: MaxRequestBodySizeFeature | null = null;
  private detection: BodyDetectionFeature | null = null;
  private upgrade: UpgradeFeature | null = null;
  private cache: ResponseCacheFeature | null = null;

  constructor(
    private readonly ex: Exchange,
    private readonly serverTag: string,
    private readonly addresses: IServerAddressesFeature,
  ) {}

  get(key: FeatureKey<unknown>): unknown {
    switch (key) {
      case HttpRequestFeature:
        return (this.request ??= new RequestFeature(this.ex));
      case HttpResponseFeature:
        return (this.response ??= new ResponseFeature(this.ex));
      case HttpResponseBodyFeature:
        return (this.body ??= new ResponseBodyFeature(this.ex));
      case HttpConnectionFeature:
        return (this.connection ??= new ConnectionFeature(this.ex));
      case HttpRequestLifetimeFeature:
        return (this.lifetime ??= new LifetimeFeature(this.ex));
      case HttpRequestIdentifierFeature:
        return (this.identifier ??= new IdentifierFeature(this.ex, this.serverTag));
      case HttpMaxRequestBodySizeFeature:
        return (this.maxBody ??= new MaxRequestBodySizeFeature(this.ex));
      case HttpRequestBodyDetectionFeature:
        return (this.detection ??= new BodyDetectionFeature(this.ex));
      case ServerAddressesFeature:
        return this.addresses;
      case HttpUpgradeFeature:
        return (this.upgrade ??= new UpgradeFeature(this.ex));
      case HttpResponseCacheFeature:
        return this.ex.host.kernelResponseCache === true ? (this.cache ??= new ResponseCacheFeature(this.ex)) : undefined;
      default:
        return undefined;
    }
  }
}

/** The response side of a context: status and headers, and the body writer. */
export class HttpResponse {
  constructor(private readonly features: FeatureCollection) {}

  private get head(): IHttpResponseFeature {
    return this.features.get(HttpResponseFeature) as IHttpResponseFeature;
  }
  private get body(): IHttpResponseBodyFeature {
    return this.features.get(HttpResponseBodyFeature) as IHttpResponseBodyFeature;
  }

  get status(): number {
    return this.head.status;
  }
  set status(value: number) {
    this.head.status = value;
  }
  get reason(): string | undefined {
    return this.head.reason;
  }
  set reason(value: string | undefined) {
    this.head.reason = value;
  }
  get headers(): ResponseHeaders {
    return this.head.headers;
  }
  get hasStarted(): boolean {
    return this.head.hasStarted;
  }
  onStarting(callback: () => void | Promise<void>): void {
    this.head.onStarting(callback);
  }
  onCompleted(callback: () => void | Promise<void>): void {
    this.head.onCompleted(callback);
  }
  write(chunk: Chunk): Promise<void> {
    return this.body.write(chunk);
  }
  start(): Promise<void> {
    return this.body.start();
  }
  /** Completes the response. With a whole body and no prior write, Content-Length is set for you. */
  end(chunk?: Chunk | null): Promise<void> {
    return this.body.complete(chunk);
  }
  sendFile(path: string, options?: SendFileOptions): Promise<void> {
    return this.body.sendFile(path, options);
  }
}

export class HttpContext {
  readonly features: FeatureCollection;
  private itemMap: Map<unknown, unknown> | null = null;
  private responseView: HttpResponse | null = null;

  /** @internal */
  readonly exchange: Exchange;

  /** @internal */
  constructor(exchange: Exchange, serverTag: string, addresses: IServerAddressesFeature) {
    this.exchange = exchange;
    this.features = new FeatureCollection(new DefaultFeatures(exchange, serverTag, addresses));
  }

  /** Per-request state for middleware (ASP.NET Core's HttpContext.Items). */
  get items(): Map<unknown, unknown> {
    return (this.itemMap ??= new Map());
  }

  get request(): IHttpRequestFeature {
    return this.features.get(HttpRequestFeature) as IHttpRequestFeature;
  }
  get response(): HttpResponse {
    return (this.responseView ??= new HttpResponse(this.features));
  }
  get connection(): IHttpConnectionFeature {
    return this.features.get(HttpConnectionFeature) as IHttpConnectionFeature;
  }
  /** Fires when the client disconnects before the response completed. */
  get signal(): AbortSignal {
    return this.features.get(HttpRequestLifetimeFeature)!.signal;
  }
  /** Resets the connection. */
  abort(): void {
    this.features.get(HttpRequestLifetimeFeature)!.abort();
  }
  get traceIdentifier(): string {
    return this.features.get(HttpRequestIdentifierFeature)!.traceIdentifier;
  }
}
