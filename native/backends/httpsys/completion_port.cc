#include "backends/httpsys/completion_port.h"

namespace syshttp::httpsys {
namespace {

// The completion key that tells the thread to finish. Real completions use key 0.
constexpr ULONG_PTR kStopKey = 1;
constexpr ULONG kBatch = 64;

}  // namespace

// What the loop thread and the I/O thread share. The thread-safe function's finaliser
// frees it, so a call already queued when the server goes away finds `handler` cleared
// instead of a freed server.
struct CompletionPort::Relay {
  SRWLOCK lock = SRWLOCK_INIT;
  std::vector<OVERLAPPED_ENTRY> pending;   // filled by the thread, under lock
  std::vector<OVERLAPPED_ENTRY> taking;    // swapped out on the loop thread
  Handler handler = nullptr;
  void* context = nullptr;
  void (*onClosed)(void*) = nullptr;
  void* onClosedArg = nullptr;
};

ULONG CompletionPort::start(napi_env env, Handler handler, void* context) {
  port_.reset(CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1));
  if (!port_) return GetLastError();
  env_ = env;
  relay_ = new Relay();
  relay_->handler = handler;
  relay_->context = context;
  napi_value name;
  if (napi_create_string_utf8(env, "syshttp:httpsys", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, relay_, finalize, relay_, callJs,
                                      &tsfn_) != napi_ok) {
    delete relay_;
    relay_ = nullptr;
    tsfn_ = nullptr;
    return ERROR_GEN_FAILURE;
  }
  thread_.reset(CreateThread(nullptr, 64 * 1024, threadMain, this, STACK_SIZE_PARAM_IS_A_RESERVATION, nullptr));
  if (!thread_) {
    ULONG error = GetLastError();
    napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
    tsfn_ = nullptr;
    relay_ = nullptr;  // the finaliser frees it
    return error;
  }
  return NO_ERROR;
}

ULONG CompletionPort::associate(HANDLE handle) {
  if (CreateIoCompletionPort(handle, port_.get(), 0, 0) == nullptr) return GetLastError();
  return NO_ERROR;
}

DWORD WINAPI CompletionPort::threadMain(void* arg) {
  auto* self = static_cast<CompletionPort*>(arg);
  OVERLAPPED_ENTRY entries[kBatch];
  bool stopping = false;
  DWORD deadline = 0;
  for (;;) {
    DWORD wait = INFINITE;
    if (stopping) {
      if (self->outstanding_.load(std::memory_order_relaxed) <= 0) break;
      DWORD now = GetTickCount();
      if (static_cast<LONG>(deadline - now) <= 0) break;
      wait = deadline - now;
    }
    ULONG count = 0;
    if (!GetQueuedCompletionStatusEx(self->port_.get(), entries, kBatch, &count, wait, FALSE)) {
      if (GetLastError() == WAIT_TIMEOUT) continue;
      break;  // the port itself is broken: nothing more will come
    }
    bool any = false;
    Relay* relay = self->relay_;
    AcquireSRWLockExclusive(&relay->lock);
    bool wasEmpty = relay->pending.empty();
    for (ULONG i = 0; i < count; ++i) {
      if (entries[i].lpCompletionKey == kStopKey) {
        stopping = true;
        deadline = GetTickCount() + static_cast<DWORD>(entries[i].dwNumberOfBytesTransferred);
        continue;
      }
      self->outstanding_.fetch_sub(1, std::memory_order_relaxed);
      if (!stopping) {
        relay->pending.push_back(entries[i]);
        any = true;
      }
    }
    ReleaseSRWLockExclusive(&relay->lock);
    // One wake-up per batch of completions; a call already queued will take these too.
    if (any && wasEmpty) napi_call_threadsafe_function(self->tsfn_, nullptr, napi_tsfn_nonblocking);
  }
  return 0;
}

void CompletionPort::callJs(napi_env env, napi_value, void* context, void*) {
  auto* relay = static_cast<Relay*>(context);
  if (env == nullptr || relay->handler == nullptr) return;
  AcquireSRWLockExclusive(&relay->lock);
  relay->taking.clear();
  relay->taking.swap(relay->pending);
  ReleaseSRWLockExclusive(&relay->lock);
  if (!relay->taking.empty()) relay->handler(relay->context, relay->taking);
}

void CompletionPort::finalize(napi_env, void* data, void*) {
  auto* relay = static_cast<Relay*>(data);
  void (*callback)(void*) = relay->onClosed;
  void* arg = relay->onClosedArg;
  delete relay;
  if (callback != nullptr) callback(arg);
}

bool CompletionPort::stop(DWORD timeoutMs) {
  bool clean = true;
  if (thread_) {
    // The wait is bounded twice: the thread gives up on cancelled I/O after timeoutMs,
    // and we give up on the thread a little later.
    if (!PostQueuedCompletionStatus(port_.get(), timeoutMs, kStopKey, nullptr)) {
      clean = false;
    } else if (WaitForSingleObject(thread_.get(), timeoutMs + 1000) != WAIT_OBJECT_0) {
      clean = false;
      // The thread still uses the port and the relay: keep both alive for good.
      thread_.release();
      port_.release();
      relay_ = nullptr;
      tsfn_ = nullptr;
      return false;
    }
    thread_.reset();
  }
  if (outstanding_.load(std::memory_order_relaxed) > 0) clean = false;
  if (relay_ != nullptr) relay_->handler = nullptr;
  if (tsfn_ != nullptr) napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
  tsfn_ = nullptr;
  return clean;
}

void CompletionPort::whenClosed(void (*callback)(void*), void* arg) {
  if (relay_ == nullptr) {
    if (callback != nullptr) callback(arg);
    return;
  }
  relay_->onClosed = callback;
  relay_->onClosedArg = arg;
}

CompletionPort::~CompletionPort() {
  if (thread_) stop(2000);
}

}  // namespace syshttp::httpsys
