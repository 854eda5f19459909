// syshttp: a fast, strict HTTP/1.1 server for Node.js over kernel-level I/O.
export { createServer, Server, type AddressInfo, type StopOptions, type BackendChoice, type BackendInfo, type ClientErrorInfo } from './server';
export { HttpContext, HttpResponse } from './http-context';
export { FeatureCollection, featureKey, type FeatureKey } from './feature-collection';
export { RequestHeaders, ResponseHeaders, type HeaderValue } from './headers';
export { SyshttpError, ErrorCodes, type ErrorCode } from './errors';
export { compose, type Middleware, type Handler, type Next } from './pipeline';
export { defaultLimits, type Limits, type ListenOptions, type ServerOptions } from './options';
export { HttpRequestFeature, type IHttpRequestFeature } from './features/request';
export { HttpResponseFeature, type IHttpResponseFeature } from './features/response';
export { HttpResponseBodyFeature, type IHttpResponseBodyFeature, type SendFileOptions } from './features/response-body';
export { HttpConnectionFeature, type IHttpConnectionFeature } from './features/connection';
export { HttpRequestLifetimeFeature, type IHttpRequestLifetimeFeature } from './features/lifetime';
export { HttpRequestIdentifierFeature, type IHttpRequestIdentifierFeature } from './features/identifier';
export { HttpMaxRequestBodySizeFeature, type IHttpMaxRequestBodySizeFeature } from './features/max-request-body-size';
export { HttpRequestBodyDetectionFeature, type IHttpRequestBodyDetectionFeature } from './features/body-detection';
export { ServerAddressesFeature, type IServerAddressesFeature } from './features/server-addresses';
export { HttpUpgradeFeature, type IHttpUpgradeFeature } from './features/upgrade';
export { HttpResponseCacheFeature, type IHttpResponseCacheFeature } from './features/response-cache';
