#include "native_server.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <limits>

#if defined(_WIN32)
#include "backends/httpsys/httpsys_backend.h"
#else
#include <uv.h>

#include "backends/epoll/epoll_backend.h"
#include "backends/iouring/iouring_backend.h"
#endif

namespace syshttp::bridge {
namespace {

uint32_t u32(const Napi::Object& o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) return fallback;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0)) return fallback;
  return d > 4294967295.0 ? std::numeric_limits<uint32_t>::max() : static_cast<uint32_t>(d);
}

// -1 (or any negative, or null) means unlimited.
uint64_t u64OrUnlimited(const Napi::Value& v, uint64_t fallback) {
  if (v.IsNull()) return std::numeric_limits<uint64_t>::max();
  if (!v.IsNumber()) return fallback;
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0) return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(d);
}

// A response body lent to a connection's output: released (on the loop thread) once
// written or dropped.
struct LentBody {
  napi_env env;
  napi_ref ref;
  static void release(void* self) {
    auto* lent = static_cast<LentBody*>(self);
    napi_delete_reference(lent->env, lent->ref);
    delete lent;
  }
};

// Scratch buffers up to this size are kept between calls (the common response sizes).
constexpr size_t kScratchKeep = 256 * 1024;

// A uint32 argument, 0 when it is not a number: one N-API call, whose status says which
// (no type check first: send() reads four of them per response).
uint32_t valueU32(napi_env env, napi_value v) {
  uint32_t out = 0;
  return napi_get_value_uint32(env, v, &out) == napi_ok ? out : 0;
}
uint32_t argU32(const Napi::CallbackInfo& info, size_t i) {
  return valueU32(info.Env(), info[i]);
}

// A typed array's bytes (its view's offset included) from one N-API call; false when `v`
// is not a typed array.
bool typedArrayBytes(napi_env env, napi_value v, const char** data, size_t* length) {
  napi_typedarray_type type = napi_uint8_array;
  size_t elements = 0;
  void* start = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &elements, &start, nullptr, nullptr) != napi_ok) return false;
  size_t size = 1;
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      size = 2;
      break;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      size = 4;
      break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      size = 8;
      break;
    default:
      break;
  }
  *data = static_cast<const char*>(start);
  *length = elements * size;
  return true;
}

}  // namespace

Napi::Function NativeServer::define(Napi::Env env) {
  return DefineClass(env, "NativeServer",
                     {
                         InstanceMethod<&NativeServer::listen>("listen"),
                         InstanceMethod<&NativeServer::send>("send"),
                         InstanceMethod<&NativeServer::readBody>("readBody"),
                         InstanceMethod<&NativeServer::setResponseCache>("setResponseCache"),
                         InstanceMethod<&NativeServer::pauseBody>("pauseBody"),
                         InstanceMethod<&NativeServer::abort>("abort"),
                         InstanceMethod<&NativeServer::detach>("detach"),
                         InstanceMethod<&NativeServer::peekUpgrade>("peekUpgrade"),
                         InstanceMethod<&NativeServer::writeRaw>("writeRaw"),
                         InstanceMethod<&NativeServer::endRaw>("endRaw"),
                         InstanceMethod<&NativeServer::pauseRaw>("pauseRaw"),
                         InstanceMethod<&NativeServer::beginShutdown>("beginShutdown"),
                         InstanceMethod<&NativeServer::resumeAfterShutdown>("resumeAfterShutdown"),
                         InstanceMethod<&NativeServer::closeAll>("closeAll"),
                         InstanceMethod<&NativeServer::close>("close"),
                         InstanceMethod<&NativeServer::connectionCount>("connectionCount"),
                         InstanceMethod<&NativeServer::byteCounts>("byteCounts"),
                         InstanceMethod<&NativeServer::setRef>("setRef"),
                         InstanceMethod<&NativeServer::setConnectionRef>("setConnectionRef"),
                         InstanceMethod<&NativeServer::setNoDelay>("setNoDelay"),
                         InstanceMethod<&NativeServer::mirrorInput>("mirrorInput"),
                         InstanceMethod<&NativeServer::setKeepAlive>("setKeepAlive"),
                         InstanceMethod<&NativeServer::setKeepAliveFields>("setKeepAliveFields"),
                         InstanceMethod<&NativeServer::setDeferClientErrors>("setDeferClientErrors"),
                         InstanceMethod<&NativeServer::setAllowHalfOpen>("setAllowHalfOpen"),
                         InstanceMethod<&NativeServer::backendName>("backendName"),
                         InstanceMethod<&NativeServer::backendInfo>("backendInfo"),
                     });
}

// new NativeServer(limits, onBatch). Arguments were checked in lib/native.ts; here a bad
// one is a TypeError, never a crash.
NativeServer::NativeServer(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<NativeServer>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "NativeServer(limits, onBatch)").ThrowAsJavaScriptException();
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  limits_.head.maxRequestLine = u32(o, "maxRequestLineSize", limits_.head.maxRequestLine);
  limits_.head.maxHeaderBytes = u32(o, "maxRequestHeadersTotalSize", limits_.head.maxHeaderBytes);
  limits_.head.maxHeaderCount = u32(o, "maxRequestHeaderCount", limits_.head.maxHeaderCount);
  limits_.maxRequestBodySize = u64OrUnlimited(o.Get("maxRequestBodySize"), limits_.maxRequestBodySize);
  limits_.keepAliveTimeoutMs = u32(o, "keepAliveTimeout", limits_.keepAliveTimeoutMs);
  limits_.requestHeadersTimeoutMs = u32(o, "requestHeadersTimeout", limits_.requestHeadersTimeoutMs);
  limits_.minBodyBytesPerSecond = u32(o, "minRequestBodyBytesPerSecond", limits_.minBodyBytesPerSecond);
  limits_.minBodyRateGraceMs = u32(o, "minRequestBodyGracePeriod", limits_.minBodyRateGraceMs);
  limits_.maxConnections = u32(o, "maxConcurrentConnections", limits_.maxConnections);
  limits_.sendStallTimeoutMs = u32(o, "sendStallTimeout", limits_.sendStallTimeoutMs);
  limits_.maxPipelinedRequests = u32(o, "maxPipelinedRequests", limits_.maxPipelinedRequests);
  limits_.responseHighWaterMark = u32(o, "responseHighWaterMark", limits_.responseHighWaterMark);
  if (o.Get("requireHost").IsBoolean()) limits_.head.requireHost = o.Get("requireHost").As<Napi::Boolean>().Value();
  if (o.Get("connectTunnels").IsBoolean()) limits_.head.connectTunnels = o.Get("connectTunnels").As<Napi::Boolean>().Value();
  if (o.Get("llhttpMethods").IsBoolean()) limits_.head.llhttpMethods = o.Get("llhttpMethods").As<Napi::Boolean>().Value();
  if (o.Get("hostMustMatchTarget").IsBoolean()) {
    limits_.head.hostMustMatchTarget = o.Get("hostMustMatchTarget").As<Napi::Boolean>().Value();
  }
  limits_.answerUnusedConnectionTimeout = o.Get("answerUnusedConnectionTimeout").ToBoolean().Value();
  limits_.nodeErrorResponses = o.Get("nodeErrorResponses").ToBoolean().Value();
  if (o.Get("keepAliveFields").IsString()) limits_.keepAliveFields = o.Get("keepAliveFields").As<Napi::String>().Utf8Value();

  onBatch_ = Napi::Persistent(info[1].As<Napi::Function>());
  asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "syshttp:batch");

#if defined(_WIN32)
  if (!createHttpSys(env, o)) return;
#else
  if (!createLinux(env, o)) return;
#endif
  backend_->setConnectionEvents(o.Get("connectionEvents").ToBoolean().Value());
  // A worker thread that exits without close() still releases every fd and handle, and
  // its teardown waits until libuv has closed our handles: the addon is unloaded after
  // that, so no close callback may run later.
  if (napi_add_async_cleanup_hook(env, asyncCleanup, this, &cleanupHook_) != napi_ok) {
    cleanupHook_ = nullptr;
  }
  bindSend(env, info.This().As<Napi::Object>());
}

// Where any step fails, the instance keeps the prototype's send (the same method, unwrapped
// per call): slower, never wrong.
void NativeServer::bindSend(Napi::Env env, Napi::Object self) {
  selfCell_ = std::make_shared<SelfCell>(SelfCell{this});
  auto* held = new std::shared_ptr<SelfCell>(selfCell_);
  napi_value fn = nullptr;
  if (napi_create_function(env, "send", NAPI_AUTO_LENGTH, sendBound, selfCell_.get(), &fn) != napi_ok) {
    delete held;
    return;
  }
  auto release = [](napi_env, void* data, void*) { delete static_cast<std::shared_ptr<SelfCell>*>(data); };
  if (napi_add_finalizer(env, fn, held, release, nullptr, nullptr) != napi_ok) {
    delete held;  // fn is unreachable: it is never called
    return;
  }
  napi_property_descriptor own{"send", nullptr, nullptr, nullptr, nullptr, fn, napi_default, nullptr};
  napi_define_properties(env, self, 1, &own);  // on failure, the prototype's send stays
}

napi_value NativeServer::sendBound(napi_env env, napi_callback_info cbinfo) {
  size_t argc = kSendArgs;
  napi_value argv[kSendArgs];  // missing arguments come back as undefined
  void* data = nullptr;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, &data) != napi_ok) return nullptr;
  auto* cell = static_cast<SelfCell*>(data);
  if (cell == nullptr || cell->self == nullptr) {
    return Napi::Number::New(env, static_cast<int>(backends::SendResult::Gone));
  }
  return cell->self->sendArgs(Napi::Env(env), argv);
}

#if !defined(_WIN32)
// Backend choice (DESIGN.md §2.7) on Linux. False: a JS exception is pending.
bool NativeServer::createLinux(Napi::Env env, const Napi::Object& o) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    Napi::Error::New(env, "syshttp: no event loop").ThrowAsJavaScriptException();
    return false;
  }
  // Backend choice (DESIGN.md §2.7): "auto" tries io_uring and falls back to epoll;
  // "io_uring" or "epoll" force one, and a forced one that cannot run is an error.
  std::string choice = o.Get("backend").IsString() ? o.Get("backend").As<Napi::String>().Utf8Value() : "auto";
  if (choice != "auto" && choice != "io_uring" && choice != "epoll") {
    Napi::Error e = Napi::Error::New(env, "backend \"" + choice + "\" is not available on Linux (io_uring, epoll)");
    e.Set("code", Napi::String::New(env, "SYSHTTP_ERR_BACKEND_UNAVAILABLE"));
    e.ThrowAsJavaScriptException();
    return false;
  }
  int error = 0;
  if (choice == "auto" || choice == "io_uring") {
    std::string why;
    // Test-only switch, compiled in and documented (README): lets the test suite check
    // the fallback without a kernel or seccomp policy that blocks io_uring.
    const char* forced = std::getenv("SYSHTTP_TEST_IOURING_FAIL");
    if (forced != nullptr && forced[0] == '1') {
      error = EPERM;
      why = "io_uring set-up refused by SYSHTTP_TEST_IOURING_FAIL=1 (test switch)";
    } else {
      backends::IoUringOptions ringOptions;
      ringOptions.multishotAccept = !o.Get("ioUringNoMultishotAccept").ToBoolean().Value();
      ringOptions.multishotRecv = !o.Get("ioUringNoBufferRing").ToBoolean().Value();
      ringOptions.deferTaskrun = o.Get("ioUringDeferTaskrun").ToBoolean().Value();
      auto ring = backends::IoUringBackend::create(loop, limits_, batch_, *this, ringOptions, &error, &why);
      if (ring) {
        detail_ = ring->describe();
        backend_ = std::move(ring);
      }
    }
    if (!backend_) {
      fallbackReason_ = why.empty() ? std::strerror(error) : why;
      if (choice == "io_uring") {
        Napi::Error e = Napi::Error::New(env, "io_uring is not available: " + fallbackReason_);
        e.Set("code", Napi::String::New(env, "SYSHTTP_ERR_BACKEND_UNAVAILABLE"));
        e.Set("errno", Napi::Number::New(env, error));
        e.ThrowAsJavaScriptException();
        return false;
      }
    }
  }
  if (!backend_ && (choice == "auto" || choice == "epoll")) {
    backend_ = backends::EpollBackend::create(loop, limits_, batch_, *this, &error);
    detail_ = "epoll";
  }
  if (!backend_) {
    Napi::Error e = Napi::Error::New(env, std::string("syshttp: epoll backend set-up failed: ") +
                                              std::strerror(error));
    e.Set("errno", Napi::Number::New(env, error));
    e.ThrowAsJavaScriptException();
    return false;
  }
  return true;
}
#endif

#if defined(_WIN32)
// HTTP.sys on Windows: "auto" and "httpsys" choose it; the Windows-only options come in
// `windows` (lib/options.ts, checked there).
bool NativeServer::createHttpSys(Napi::Env env, const Napi::Object& o) {
  std::string choice = o.Get("backend").IsString() ? o.Get("backend").As<Napi::String>().Utf8Value() : "auto";
  if (choice != "auto" && choice != "httpsys") {
    Napi::Error e = Napi::Error::New(env, "backend \"" + choice + "\" is not available on Windows (httpsys)");
    e.Set("code", Napi::String::New(env, "SYSHTTP_ERR_BACKEND_UNAVAILABLE"));
    e.ThrowAsJavaScriptException();
    return false;
  }
  httpsys::HttpSysOptions options;
  Napi::Value w = o.Get("windows");
  if (w.IsObject()) {
    Napi::Object win = w.As<Napi::Object>();
    Napi::Value prefixes = win.Get("urlPrefixes");
    if (prefixes.IsArray()) {
      Napi::Array list = prefixes.As<Napi::Array>();
      for (uint32_t i = 0; i < list.Length(); ++i) {
        Napi::Value item = list.Get(i);
        if (item.IsString()) options.urlPrefixes.push_back(item.As<Napi::String>().Utf8Value());
      }
    }
    if (win.Get("requestQueueName").IsString()) options.requestQueueName = win.Get("requestQueueName").As<Napi::String>().Utf8Value();
    if (win.Get("requestQueueMode").IsString()) options.requestQueueMode = win.Get("requestQueueMode").As<Napi::String>().Utf8Value();
    options.requestQueueLimit = u32(win, "requestQueueLimit", 0);
    options.maxConnections = u32(win, "maxConnections", 0);
    options.receives = u32(win, "receives", 0);
    Napi::Value t = win.Get("timeouts");
    if (t.IsObject()) {
      Napi::Object to = t.As<Napi::Object>();
      options.entityBodyTimeout = u32(to, "entityBody", 0);
      options.drainEntityBodyTimeout = u32(to, "drainEntityBody", 0);
      options.requestQueueTimeout = u32(to, "requestQueue", 0);
      options.idleConnectionTimeout = u32(to, "idleConnection", 0);
      options.headerWaitTimeout = u32(to, "headerWait", 0);
      options.minSendBytesPerSecond = u32(to, "minSendBytesPerSecond", 0);
    }
  }
  ULONG error = 0;
  std::string call;
  auto b = httpsys::HttpSysBackend::create(env_, limits_, batch_, *this, options, &error, &call);
  if (!b) {
    Napi::Error e = Napi::Error::New(env, "HTTP.sys set-up failed: " + call + " returned Win32 error " +
                                              std::to_string(error));
    e.Set("code", Napi::String::New(env, "SYSHTTP_ERR_BACKEND_UNAVAILABLE"));
    e.Set("errno", Napi::Number::New(env, static_cast<double>(error)));
    e.Set("syscall", Napi::String::New(env, call));
    e.ThrowAsJavaScriptException();
    return false;
  }
  detail_ = b->describe();
  backend_ = std::move(b);
  return true;
}
#endif

NativeServer::~NativeServer() {
  if (selfCell_) selfCell_->self = nullptr;
  destroy();
}

void NativeServer::asyncCleanup(napi_async_cleanup_hook_handle handle, void* self) {
  auto* s = static_cast<NativeServer*>(self);
  s->cleanupHook_ = nullptr;  // this hook is running: destroy() must not remove it
  if (!s->backend_) {
    napi_remove_async_cleanup_hook(handle);
    return;
  }
  s->backend_->whenClosed(cleanupDone, handle);
  s->backend_.reset();
}

void NativeServer::cleanupDone(void* handle) {
  napi_remove_async_cleanup_hook(static_cast<napi_async_cleanup_hook_handle>(handle));
}

void NativeServer::destroy() {
  backend_.reset();
  if (cleanupHook_ != nullptr) {
    napi_remove_async_cleanup_hook(cleanupHook_);
    cleanupHook_ = nullptr;
  }
}

bool NativeServer::dispatchEvents() {
  if (batch_.empty() || dispatching_ || onBatch_.IsEmpty() || jsGone_) return true;
  Napi::HandleScope scope{Napi::Env(env_)};
  sending_.clear();
  sending_.swap(batch_);  // events raised while JS runs go to the next call
  const auto& words = sending_.words();
  const auto& bytes = sending_.bytes();
  size_t wordBytes = words.size() * sizeof(uint32_t);
  // The C calls, with their status checked: at the environment's teardown (the loop run
  // once more to close handles, after the process's 'exit') JS cannot run, and a
  // node-addon-api wrapper would turn that refusal into a fatal error.
  void* data = nullptr;
  napi_value buffer = nullptr;
  napi_value count = nullptr;
  napi_value global = nullptr;
  napi_value result = nullptr;
  napi_status status = napi_create_arraybuffer(env_, wordBytes + bytes.size(), &data, &buffer);
  if (status == napi_ok) {
    std::memcpy(data, words.data(), wordBytes);
    if (!bytes.empty()) std::memcpy(static_cast<char*>(data) + wordBytes, bytes.data(), bytes.size());
    status = napi_create_double(env_, static_cast<double>(words.size()), &count);
  }
  if (status == napi_ok) status = napi_get_global(env_, &global);
  if (status == napi_ok) {
    napi_value args[2] = {buffer, count};
    dispatching_ = true;
    status = napi_make_callback(env_, static_cast<napi_async_context>(*asyncContext_), global, onBatch_.Value(), 2, args,
                                &result);
    dispatching_ = false;
  }
  bool pending = false;
  napi_is_exception_pending(env_, &pending);
  if (pending) {
    // lib/ never lets an exception escape the batch handler; if one does, it is the
    // process's uncaught exception, as it would be for any callback.
    napi_value error = nullptr;
    if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) napi_fatal_exception(env_, error);
  } else if (status != napi_ok) {
    // JS cannot run any more (the environment is going away): nothing will take events.
    jsGone_ = true;
    batch_.clear();
  }
  return backend_ != nullptr;
}

Napi::Value NativeServer::listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!backend_) return env.Null();
  backends::ListenRequest req;
  req.address = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
  req.port = static_cast<int>(argU32(info, 1));
  req.backlog = static_cast<int>(argU32(info, 2));
  req.reusePort = info[3].ToBoolean().Value();
  req.ipv6Only = info[4].ToBoolean().Value();
  if (info[5].IsString()) req.path = info[5].As<Napi::String>().Utf8Value();
  backends::ListenOutcome out = backend_->listen(req);
  Napi::Object result = Napi::Object::New(env);
  if (out.error != 0) {
    result.Set("errno", Napi::Number::New(env, out.error));
    result.Set("syscall", Napi::String::New(env, out.syscall));
    result.Set("message", Napi::String::New(env, out.message.empty() ? std::strerror(out.error) : out.message));
    return result;
  }
  result.Set("address", Napi::String::New(env, out.address));
  result.Set("port", Napi::Number::New(env, out.port));
  result.Set("family", Napi::String::New(env, out.family == 6 ? "IPv6" : out.family == 4 ? "IPv4" : "unix"));
  return result;
}

// send(connection, seq, status, head: string|null, body: Uint8Array|string|null, flags,
//      declaredLength) → SendResult
Napi::Value NativeServer::send(const Napi::CallbackInfo& info) {
  napi_value argv[kSendArgs];
  for (size_t i = 0; i < kSendArgs; ++i) argv[i] = info[i];  // undefined where missing
  return sendArgs(info.Env(), argv);
}

Napi::Value NativeServer::sendArgs(Napi::Env env, const napi_value* argv) {
  if (!backend_) return Napi::Number::New(env, static_cast<int>(backends::SendResult::Gone));
  uint32_t connection = valueU32(env, argv[0]);
  uint32_t seq = valueU32(env, argv[1]);
  int status = static_cast<int>(valueU32(env, argv[2]));
  uint32_t flags = valueU32(env, argv[5]);
  double declared = -1;
  if (napi_get_value_double(env, argv[6], &declared) != napi_ok) declared = -1;
  const Napi::Value headArg(env, argv[3]);
  const Napi::Value bodyArg(env, argv[4]);

  // Strings are copied once, into buffers kept between calls: the first call only asks
  // the length (no copy, no flattening), and the buffer has room for the longest text a
  // string of that length can encode to, so no second pass measures the UTF-8 length.
  size_t headLength = 0;
  if (headArg.IsString()) {
    size_t units = 0;
    napi_get_value_string_latin1(env, headArg, nullptr, 0, &units);
    if (head_.size() < units + 1) head_.resize(units + 1);
    napi_get_value_string_latin1(env, headArg, head_.data(), units + 1, &headLength);
  }

  const char* body = nullptr;
  size_t bodyLength = 0;
  napi_value lendable = nullptr;  // a large typed array: lent to the output, not copied
  if (typedArrayBytes(env, bodyArg, &body, &bodyLength)) {
    // Only the last write of a response: an earlier write's promise may resolve (and
    // the app reuse its buffer) while part of it still waits for the socket.
    if (bodyLength >= http::kLendMin && (flags & backends::kSendEnd) != 0) lendable = bodyArg;
  } else if (bodyArg.IsString()) {
    size_t units = 0;
    napi_get_value_string_latin1(env, bodyArg, nullptr, 0, &units);  // UTF-16 units
    size_t room = 3 * units + 1;  // a unit takes at most 3 UTF-8 bytes (a pair: 4 for 2)
    if (bodyText_.size() < room) bodyText_.resize(room);
    napi_get_value_string_utf8(env, bodyArg, bodyText_.data(), room, &bodyLength);
    body = bodyText_.data();
  }
  int64_t declaredLength = declared >= 0 ? static_cast<int64_t>(declared) : -1;
  backends::SendResult r;
  if (lendable != nullptr) {
    // The reference keeps the bytes alive (and where they are) until the output lets go
    // of them, as a socket write of a Buffer does in node.
    auto* held = new LentBody{env, nullptr};
    if (napi_create_reference(env, lendable, 1, &held->ref) != napi_ok) {
      delete held;
      held = nullptr;
    }
    http::ExternalBytes lender;
    if (held != nullptr) {
      lender.release = LentBody::release;
      lender.ctx = held;
    }
    r = backend_->sendLent(connection, seq, status, head_.data(), headLength, body, bodyLength, flags,
                           declaredLength, lender);
    if (held != nullptr && !lender.taken) LentBody::release(held);
  } else {
    r = backend_->send(connection, seq, status, head_.data(), headLength, body, bodyLength, flags,
                       declaredLength);
  }
  // One large string body must not pin its scratch copy for the server's life.
  if (bodyText_.size() > kScratchKeep) std::string().swap(bodyText_);
  if (head_.size() > kScratchKeep) std::string().swap(head_);
  return Napi::Number::New(env, static_cast<int>(r));
}

// setKeepAliveFields(fields: string[, keepAliveTimeoutMs]): the keep-alive announcement
// (and the idle time it announces) from now on; the backends' connections read limits_
// through their reference.
Napi::Value NativeServer::setKeepAliveFields(const Napi::CallbackInfo& info) {
  if (info[0].IsString()) limits_.keepAliveFields = info[0].As<Napi::String>().Utf8Value();
  if (info[1].IsNumber()) limits_.keepAliveTimeoutMs = argU32(info, 1);
  return info.Env().Undefined();
}

// setDeferClientErrors(on): refused heads are left to the app from now on (ServerLimits).
Napi::Value NativeServer::setDeferClientErrors(const Napi::CallbackInfo& info) {
  limits_.deferClientErrors = info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

// setAllowHalfOpen(on): node's httpAllowHalfOpen, from now on (ServerLimits).
Napi::Value NativeServer::setAllowHalfOpen(const Napi::CallbackInfo& info) {
  limits_.allowHalfOpen = info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

Napi::Value NativeServer::setResponseCache(const Napi::CallbackInfo& info) {
  if (backend_) backend_->setResponseCache(argU32(info, 0), argU32(info, 1), argU32(info, 2));
  return info.Env().Undefined();
}

Napi::Value NativeServer::readBody(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!backend_) return Napi::Number::New(env, static_cast<int>(backends::BodyCallResult::Gone));
  uint64_t limit = u64OrUnlimited(info[2], limits_.maxRequestBodySize);
  return Napi::Number::New(env, static_cast<int>(backend_->readBody(argU32(info, 0), argU32(info, 1), limit)));
}

Napi::Value NativeServer::pauseBody(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!backend_) return Napi::Number::New(env, static_cast<int>(backends::BodyCallResult::Gone));
  return Napi::Number::New(env, static_cast<int>(backend_->pauseBody(argU32(info, 0), argU32(info, 1),
                                                                      info[2].ToBoolean().Value())));
}

// ---- upgrade -------------------------------------------------------------------------

// detach(connection, seq, hijack, takeBuffered) → a SendResult; with takeBuffered and
// success, the bytes that came after the head so far (a Buffer, maybe empty) instead.
Napi::Value NativeServer::detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!backend_) return Napi::Number::New(env, static_cast<int>(backends::SendResult::Gone));
  const bool take = info[3].ToBoolean().Value();
  std::string buffered;
  const backends::SendResult r = backend_->detach(argU32(info, 0), argU32(info, 1), info[2].ToBoolean().Value(), take ? &buffered : nullptr);
  if (take && r == backends::SendResult::Ok) return Napi::Buffer<char>::Copy(env, buffered.data(), buffered.size());
  return Napi::Number::New(env, static_cast<int>(r));
}

// peekUpgrade(connection, seq) → what came after an upgrade's head so far (a Buffer, maybe
// empty), detaching nothing; a SendResult when it cannot say (see Backend::peekUpgrade).
Napi::Value NativeServer::peekUpgrade(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!backend_) return Napi::Number::New(env, static_cast<int>(backends::SendResult::Gone));
  std::string buffered;
  const backends::SendResult r = backend_->peekUpgrade(argU32(info, 0), argU32(info, 1), &buffered);
  if (r == backends::SendResult::Ok) return Napi::Buffer<char>::Copy(env, buffered.data(), buffered.size());
  return Napi::Number::New(env, static_cast<int>(r));
}

// writeRaw(connection, Uint8Array): the bytes as they are.
Napi::Value NativeServer::writeRaw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* data = nullptr;
  size_t length = 0;
  if (!backend_ || !typedArrayBytes(env, info[1], &data, &length)) {
    return Napi::Number::New(env, static_cast<int>(backends::SendResult::Gone));
  }
  return Napi::Number::New(env, static_cast<int>(backend_->writeRaw(argU32(info, 0), data, length)));
}

Napi::Value NativeServer::endRaw(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!backend_) return Napi::Number::New(env, static_cast<int>(backends::SendResult::Gone));
  return Napi::Number::New(env, static_cast<int>(backend_->endRaw(argU32(info, 0), info[1].ToBoolean().Value())));
}

Napi::Value NativeServer::pauseRaw(const Napi::CallbackInfo& info) {
  if (backend_) backend_->pauseRaw(argU32(info, 0), info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

Napi::Value NativeServer::setRef(const Napi::CallbackInfo& info) {
  if (backend_) backend_->setRef(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

// setConnectionRef(connection, ref): socket.ref()/unref() of one connection.
Napi::Value NativeServer::setConnectionRef(const Napi::CallbackInfo& info) {
  if (backend_) backend_->setConnectionRef(argU32(info, 0), info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

// mirrorInput(connection[, paused]): InputCopy records of what it receives from now on;
// paused: none for now, and no reading meanwhile.
Napi::Value NativeServer::mirrorInput(const Napi::CallbackInfo& info) {
  if (backend_) backend_->mirrorInput(argU32(info, 0), info[1].ToBoolean().Value());
  return info.Env().Undefined();
}

// setNoDelay(connection, on) -> 0 or an errno (socket.setNoDelay()).
Napi::Value NativeServer::setNoDelay(const Napi::CallbackInfo& info) {
  int err = backend_ ? backend_->setNoDelay(argU32(info, 0), info[1].ToBoolean().Value()) : ENOENT;
  return Napi::Number::New(info.Env(), err);
}

// setKeepAlive(connection, on, delaySeconds) -> 0 or an errno (socket.setKeepAlive()).
Napi::Value NativeServer::setKeepAlive(const Napi::CallbackInfo& info) {
  int err = backend_ ? backend_->setKeepAlive(argU32(info, 0), info[1].ToBoolean().Value(), argU32(info, 2)) : ENOENT;
  return Napi::Number::New(info.Env(), err);
}

Napi::Value NativeServer::abort(const Napi::CallbackInfo& info) {
  // abort(connection[, reset = true[, flushInFlight = false]])
  if (backend_) {
    backend_->abort(argU32(info, 0), info[1].IsUndefined() || info[1].ToBoolean().Value(), info[2].ToBoolean().Value());
  }
  return info.Env().Undefined();
}

Napi::Value NativeServer::beginShutdown(const Napi::CallbackInfo& info) {
  if (backend_) backend_->beginShutdown(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

Napi::Value NativeServer::resumeAfterShutdown(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), backend_ != nullptr && backend_->resumeAfterShutdown());
}

Napi::Value NativeServer::closeAll(const Napi::CallbackInfo& info) {
  if (backend_) backend_->closeAll();
  return info.Env().Undefined();
}

Napi::Value NativeServer::close(const Napi::CallbackInfo& info) {
  destroy();
  return info.Env().Undefined();
}

Napi::Value NativeServer::connectionCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), backend_ ? static_cast<double>(backend_->connectionCount()) : 0);
}

// byteCounts(connection) → [bytesRead, bytesWritten, queued], or undefined when the
// connection is gone or the backend does not see its bytes.
Napi::Value NativeServer::byteCounts(const Napi::CallbackInfo& info) {
  uint64_t read = 0;
  uint64_t written = 0;
  uint64_t queued = 0;
  if (!backend_ || !backend_->byteCounts(argU32(info, 0), &read, &written, &queued)) return info.Env().Undefined();
  Napi::Array counts = Napi::Array::New(info.Env(), 3);
  counts.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(read)));
  counts.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(written)));
  counts.Set(2u, Napi::Number::New(info.Env(), static_cast<double>(queued)));
  return counts;
}

Napi::Value NativeServer::backendName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), backend_ ? backend_->name() : "closed");
}

// { name, detail (features in use), fallbackReason (why io_uring is not used, or "") }
Napi::Value NativeServer::backendInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", Napi::String::New(env, backend_ ? backend_->name() : "closed"));
  o.Set("detail", Napi::String::New(env, detail_));
  o.Set("fallbackReason", Napi::String::New(env, fallbackReason_));
  return o;
}

}  // namespace syshttp::bridge
