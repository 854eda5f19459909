// What every backend offers the N-API layer (native/bridge/native_server.cc), and what it
// asks of it. The epoll backend implements it now; io_uring and HTTP.sys follow.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/connection.h"
#include "http/limits.h"

namespace syshttp::backends {

// Called by the backend at the end of each burst of I/O, timer tick or loop turn, when
// the batch may hold events for JS. The owner makes its one call into JS there.
class BackendOwner {
 public:
  // Returns false when JS destroyed the backend during the call (server.stop() from a
  // handler): the caller is then a dangling backend and must return without touching
  // any of its members.
  virtual bool dispatchEvents() = 0;

 protected:
  ~BackendOwner() = default;
};

struct ListenRequest {
  std::string address;  // numeric
  int port = 0;
  int backlog = 511;
  bool reusePort = false;
  bool ipv6Only = false;
};

struct ListenOutcome {
  int error = 0;               // errno, 0 on success
  const char* syscall = "";    // the call that failed
  std::string address;         // bound address, numeric
  int port = 0;                // bound port
  int family = 0;              // 4 or 6
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual ListenOutcome listen(const ListenRequest& request) = 0;
  virtual void closeListeners() = 0;
  // The connection with this id, or nullptr when it is gone.
  virtual http::Connection* connection(uint32_t id) = 0;
  virtual void abort(uint32_t id) = 0;
  // Graceful stop: idle connections close now, busy ones after their last response.
  virtual void beginShutdown() = 0;
  virtual void closeAll() = 0;
  virtual size_t connectionCount() const = 0;
  // Called once the backend's loop handles have finished closing after its destruction
  // (libuv closes asynchronously). A worker's async cleanup hook waits for this.
  virtual void whenClosed(void (*callback)(void*), void* arg) = 0;
};

}  // namespace syshttp::backends
