// Module entry. Context-aware (NAPI_MODULE_INIT): each worker thread gets its own
// exports and its own servers; nothing is global.
#include <napi.h>

#include "bridge/native_server.h"
#include "bridge/records.h"
#include "backends/backend.h"

namespace {

using namespace syshttp;

// The numbers the JS side decodes batches and encodes calls with. Exported so that
// lib/native.ts reads them here instead of keeping its own copy.
Napi::Object constants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  auto set = [&](const char* name, uint32_t value) { c.Set(name, Napi::Number::New(env, value)); };
  set("RECORD_REQUEST", bridge::kRecordRequest);
  set("RECORD_BODY", bridge::kRecordBody);
  set("CLIENT_ERROR_DEFERRED", bridge::kClientErrorDeferred);
  set("RECORD_BODY_END", bridge::kRecordBodyEnd);
  set("RECORD_BODY_ERROR", bridge::kRecordBodyError);
  set("RECORD_DRAIN", bridge::kRecordDrain);
  set("RECORD_ABORT", bridge::kRecordAbort);
  set("RECORD_SHUTDOWN_COMPLETE", bridge::kRecordShutdownComplete);
  set("RECORD_RAW", bridge::kRecordRaw);
  set("RECORD_RAW_END", bridge::kRecordRawEnd);
  set("RECORD_INPUT_COPY", bridge::kRecordInputCopy);
  set("RECORD_CLIENT_ERROR", bridge::kRecordClientError);
  set("RECORD_CONNECTION_OPEN", bridge::kRecordConnectionOpen);
  set("RECORD_CONNECTION_CLOSED", bridge::kRecordConnectionClosed);
  set("REQUEST_HTTP10", bridge::kRequestHttp10);
  set("REQUEST_KEEP_ALIVE", bridge::kRequestKeepAlive);
  set("REQUEST_HAS_BODY", bridge::kRequestHasBody);
  set("REQUEST_CHUNKED", bridge::kRequestChunked);
  set("REQUEST_EXPECT_CONTINUE", bridge::kRequestExpectContinue);
  set("REQUEST_UPGRADE", bridge::kRequestUpgrade);
  set("REQUEST_HAS_CONTENT_LENGTH", bridge::kRequestHasContentLength);
  set("REQUEST_NO_HOST", bridge::kRequestNoHost);
  set("REQUEST_SAME_FIELDS", bridge::kRequestSameFields);
  set("SEND_END", backends::kSendEnd);
  set("SEND_HAS_DATE", backends::kSendHasDate);
  set("SEND_CLOSE", backends::kSendClose);
  set("SEND_HAS_CONNECTION", backends::kSendHasConnection);
  set("SEND_TRAILERS", backends::kSendTrailers);
  set("SEND_HAS_KEEP_ALIVE", backends::kSendHasKeepAlive);
  set("SEND_NO_LENGTH", backends::kSendNoLength);
  set("SEND_NO_CHUNKED", backends::kSendNoChunked);
  set("SEND_CLOSE_AFTER", backends::kSendCloseAfter);
  set("SEND_APP_CHUNKED", backends::kSendAppChunked);
  set("SEND_FINAL_INFORMATIONAL", backends::kSendFinalInformational);
  return c;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeServer", bridge::NativeServer::define(env));
  exports.Set("constants", constants(env));
#if defined(_WIN32)
  exports.Set("backends", Napi::String::New(env, "httpsys"));
#else
  exports.Set("backends", Napi::String::New(env, "io_uring,epoll"));
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(syshttp, init)
