// A request queue (HttpCreateRequestQueue): where HTTP.sys puts parsed requests for us to
// receive. Named queues can be shared: one process creates the queue (and its URL
// group), others attach to it and receive from the same queue.
#pragma once
#include <string>

#include "backends/httpsys/win32.h"

namespace syshttp::httpsys {

enum class QueueMode { Create, Attach, CreateOrAttach };

class RequestQueue {
 public:
  RequestQueue() = default;
  RequestQueue(const RequestQueue&) = delete;
  RequestQueue& operator=(const RequestQueue&) = delete;
  ~RequestQueue() { close(); }

  // An empty name is an anonymous queue (mode must be Create). `attached` says whether
  // an existing queue was opened (its owner configured URLs and properties).
  ULONG open(const std::wstring& name, QueueMode mode, bool* attached);
  // Queue length (HttpServerQueueLengthProperty): requests HTTP.sys holds for us before
  // it answers 503 itself.
  ULONG setLength(ULONG length);
  // Closing the handle cancels every receive and send still outstanding on it; their
  // completions (ERROR_OPERATION_ABORTED) still arrive on the completion port.
  void close() {
    if (handle_ != nullptr) HttpCloseRequestQueue(handle_);
    handle_ = nullptr;
  }
  HANDLE handle() const { return handle_; }

 private:
  HANDLE handle_ = nullptr;
};

}  // namespace syshttp::httpsys
