#include "backends/httpsys/request_queue.h"

namespace syshttp::httpsys {

ULONG RequestQueue::open(const std::wstring& name, QueueMode mode, bool* attached) {
  HTTPAPI_VERSION version = HTTPAPI_VERSION_2;
  PCWSTR pName = name.empty() ? nullptr : name.c_str();
  *attached = false;
  if (mode == QueueMode::Attach) {
    ULONG r = HttpCreateRequestQueue(version, pName, nullptr, HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING, &handle_);
    *attached = r == NO_ERROR;
    return r;
  }
  ULONG r = HttpCreateRequestQueue(version, pName, nullptr, 0, &handle_);
  if (r == ERROR_ALREADY_EXISTS && mode == QueueMode::CreateOrAttach) {
    r = HttpCreateRequestQueue(version, pName, nullptr, HTTP_CREATE_REQUEST_QUEUE_FLAG_OPEN_EXISTING, &handle_);
    *attached = r == NO_ERROR;
  }
  if (r != NO_ERROR) handle_ = nullptr;
  return r;
}

ULONG RequestQueue::setLength(ULONG length) {
  return HttpSetRequestQueueProperty(handle_, HttpServerQueueLengthProperty, &length, sizeof length, 0, nullptr);
}

}  // namespace syshttp::httpsys
