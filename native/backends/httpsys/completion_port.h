// The I/O completion port every overlapped HTTP Server API call of one server completes
// on, and how its completions reach the Node event loop.
//
// Why a thread: libuv on Windows runs its own completion port and offers no way to add
// a foreign handle to it or to wait on one (there is no uv_poll for a HANDLE). The
// documented way for native code to wake the loop is Node-API's thread-safe function
// (a uv_async underneath). So one thread per server blocks in
// GetQueuedCompletionStatusEx and hands completions over through a thread-safe function;
// everything else (request state, the batch, the calls into JS) stays on the loop
// thread, as on Linux. The thread does no HTTP work and takes a lock only to append to
// the hand-over list, once per wake-up, not per request. It works the same under Wine,
// which implements completion ports and Node-API's uv_async like Windows.
#pragma once
#include <node_api.h>

#include <atomic>
#include <vector>

#include "backends/httpsys/unique_handle.h"
#include "backends/httpsys/win32.h"

namespace syshttp::httpsys {

class CompletionPort {
 public:
  // Runs on the loop thread with the completions since the last call (never empty).
  using Handler = void (*)(void* context, std::vector<OVERLAPPED_ENTRY>& completions);

  CompletionPort() = default;
  CompletionPort(const CompletionPort&) = delete;
  CompletionPort& operator=(const CompletionPort&) = delete;
  ~CompletionPort();

  // Creates the port, the thread-safe function and the thread. Returns a Win32 error
  // (or ERROR_GEN_FAILURE when Node-API refused), NO_ERROR on success.
  ULONG start(napi_env env, Handler handler, void* context);
  // Whether the relay keeps the event loop alive (server.ref()/unref()).
  void setRef(bool ref) {
    if (tsfn_ == nullptr) return;
    if (ref) napi_ref_threadsafe_function(env_, tsfn_);
    else napi_unref_threadsafe_function(env_, tsfn_);
  }
  // Associates a handle (the request queue) with the port.
  ULONG associate(HANDLE handle);

  // Each overlapped call that will complete on the port is counted, so that stop() can
  // wait until the kernel is done with every OVERLAPPED before they are freed.
  void issued() { outstanding_.fetch_add(1, std::memory_order_relaxed); }
  // An overlapped call failed synchronously: no completion will come.
  void notIssued() { outstanding_.fetch_sub(1, std::memory_order_relaxed); }

  // Makes the loop thread run the handler soon even without a completion (events that
  // JS raised itself, such as the end of an empty body, go out in that call).
  void wake() {
    issued();
    if (!PostQueuedCompletionStatus(port_.get(), 0, 0, nullptr)) notIssued();
  }

  // Call after closing the handles whose I/O is outstanding (that cancels it): waits up
  // to `timeoutMs` for the cancelled calls to complete, then ends the thread. Returns
  // false when some did not complete in time: their OVERLAPPEDs must then be leaked,
  // never freed, because the kernel may still write to them.
  bool stop(DWORD timeoutMs);

  // Called once the thread-safe function is finalised (after stop), on the loop thread:
  // from then on nothing of this port runs any more.
  void whenClosed(void (*callback)(void*), void* arg);

 private:
  struct Relay;  // shared with the thread-safe function, freed by its finaliser
  static DWORD WINAPI threadMain(void* self);
  static void callJs(napi_env env, napi_value js, void* context, void* data);
  static void finalize(napi_env env, void* data, void* hint);

  UniqueHandle port_;
  UniqueHandle thread_;
  napi_threadsafe_function tsfn_ = nullptr;
  napi_env env_ = nullptr;
  Relay* relay_ = nullptr;
  std::atomic<long> outstanding_{0};
};

}  // namespace syshttp::httpsys
