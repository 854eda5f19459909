// A URL group (HttpCreateUrlGroup) in the server session: the URL prefixes this server
// registers, bound to its request queue, and the per-group properties (timeouts,
// connection limit). Closing it removes its URLs.
#pragma once
#include <string>

#include "backends/httpsys/win32.h"

namespace syshttp::httpsys {

class UrlGroup {
 public:
  UrlGroup() = default;
  UrlGroup(const UrlGroup&) = delete;
  UrlGroup& operator=(const UrlGroup&) = delete;
  ~UrlGroup() { close(); }

  ULONG create(HTTP_SERVER_SESSION_ID session) { return HttpCreateUrlGroup(session, &id_, 0); }
  // Routes the group's requests to `queue` (HttpServerBindingProperty).
  ULONG bind(HANDLE queue);
  // `context` comes back in each request's UrlContext: the index of the prefix + 1.
  ULONG addUrl(const std::wstring& url, HTTP_URL_CONTEXT context) {
    return HttpAddUrlToUrlGroup(id_, url.c_str(), context, 0);
  }
  // Seconds; 0 keeps HTTP.sys's default for that timer.
  ULONG setTimeouts(const HTTP_TIMEOUT_LIMIT_INFO& limits);
  ULONG setMaxConnections(ULONG max);
  void close() {
    if (id_ != HTTP_NULL_ID) HttpCloseUrlGroup(id_);
    id_ = HTTP_NULL_ID;
  }
  HTTP_URL_GROUP_ID id() const { return id_; }

 private:
  HTTP_URL_GROUP_ID id_ = HTTP_NULL_ID;
};

}  // namespace syshttp::httpsys
