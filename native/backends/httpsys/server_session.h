// A server session (HttpCreateServerSession): the root of the kernel objects of one
// server instance. Owns nothing but its id; closed last (see httpsys_backend.h for the
// order).
#pragma once
#include "backends/httpsys/win32.h"

namespace syshttp::httpsys {

class ServerSession {
 public:
  ServerSession() = default;
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;
  ~ServerSession() { close(); }

  ULONG create() {
    HTTPAPI_VERSION version = HTTPAPI_VERSION_2;
    return HttpCreateServerSession(version, &id_, 0);
  }
  void close() {
    if (id_ != HTTP_NULL_ID) HttpCloseServerSession(id_);
    id_ = HTTP_NULL_ID;
  }
  HTTP_SERVER_SESSION_ID id() const { return id_; }

 private:
  HTTP_SERVER_SESSION_ID id_ = HTTP_NULL_ID;
};

}  // namespace syshttp::httpsys
