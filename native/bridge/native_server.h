// The JS-facing object of one server instance: owns the backend and the batch, makes the
// one native→JS call per loop turn and takes the JS→native calls (send, readBody, …).
#pragma once
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "bridge/batch.h"
#include "http/limits.h"

namespace syshttp::bridge {

class NativeServer : public Napi::ObjectWrap<NativeServer>, private backends::BackendOwner {
 public:
  static Napi::Function define(Napi::Env env);
  explicit NativeServer(const Napi::CallbackInfo& info);
  ~NativeServer() override;

 private:
  Napi::Value listen(const Napi::CallbackInfo& info);
  Napi::Value send(const Napi::CallbackInfo& info);
  // send()'s arguments: connection, seq, status, head, body, flags, declaredLength.
  static constexpr size_t kSendArgs = 7;
  Napi::Value sendArgs(Napi::Env env, const napi_value* argv);
  Napi::Value setResponseCache(const Napi::CallbackInfo& info);
  Napi::Value readBody(const Napi::CallbackInfo& info);
  Napi::Value pauseBody(const Napi::CallbackInfo& info);
  Napi::Value abort(const Napi::CallbackInfo& info);
  Napi::Value detach(const Napi::CallbackInfo& info);
  Napi::Value writeRaw(const Napi::CallbackInfo& info);
  Napi::Value endRaw(const Napi::CallbackInfo& info);
  Napi::Value pauseRaw(const Napi::CallbackInfo& info);
  Napi::Value beginShutdown(const Napi::CallbackInfo& info);
  Napi::Value resumeAfterShutdown(const Napi::CallbackInfo& info);
  Napi::Value closeAll(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  Napi::Value connectionCount(const Napi::CallbackInfo& info);
  Napi::Value byteCounts(const Napi::CallbackInfo& info);
  Napi::Value setRef(const Napi::CallbackInfo& info);
  Napi::Value setConnectionRef(const Napi::CallbackInfo& info);
  Napi::Value setNoDelay(const Napi::CallbackInfo& info);
  Napi::Value mirrorInput(const Napi::CallbackInfo& info);
  Napi::Value peekUpgrade(const Napi::CallbackInfo& info);
  Napi::Value setKeepAlive(const Napi::CallbackInfo& info);
  Napi::Value setKeepAliveFields(const Napi::CallbackInfo& info);
  Napi::Value setDeferClientErrors(const Napi::CallbackInfo& info);
  Napi::Value setAllowHalfOpen(const Napi::CallbackInfo& info);
  Napi::Value backendName(const Napi::CallbackInfo& info);
  Napi::Value backendInfo(const Napi::CallbackInfo& info);

  // send() runs once per response. The instance gets its own `send`, bound to this cell,
  // so the call skips napi_unwrap (a private-symbol lookup per call). The cell is shared
  // by the instance and the function, so it outlives whichever is collected first; the
  // instance's destructor empties it. It reads its arguments itself: Napi::CallbackInfo
  // keeps 6 inline and allocates for more.
  struct SelfCell {
    NativeServer* self;
  };
  static napi_value sendBound(napi_env env, napi_callback_info cbinfo);
  void bindSend(Napi::Env env, Napi::Object self);

  bool createLinux(Napi::Env env, const Napi::Object& options);
  bool createHttpSys(Napi::Env env, const Napi::Object& options);
  bool dispatchEvents() override;
  void destroy();
  static void asyncCleanup(napi_async_cleanup_hook_handle handle, void* self);
  static void cleanupDone(void* handle);

  napi_env env_;
  http::ServerLimits limits_;
  Batch batch_;
  Batch sending_;
  std::unique_ptr<backends::Backend> backend_;
  Napi::FunctionReference onBatch_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
  bool jsGone_ = false;  // a call into JS was refused: the environment is being torn down
  std::string detail_;          // the backend's features, for backendInfo()
  std::string fallbackReason_;  // why "auto" did not get io_uring
  std::string head_;      // scratch for the response head, reused
  std::string bodyText_;  // scratch for a string body, reused
  bool dispatching_ = false;
  napi_async_cleanup_hook_handle cleanupHook_ = nullptr;
  std::shared_ptr<SelfCell> selfCell_;
};

}  // namespace syshttp::bridge
