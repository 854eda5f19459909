// The epoll backend: non-blocking sockets and one epoll instance per server, polled from
// the libuv loop (no native I/O thread). Level-triggered; the interest set follows what
// each connection wants (reading off under backpressure, EPOLLOUT only while blocked).
#pragma once
#include <uv.h>

#include <memory>

#include "backends/linux/linux_backend.h"

namespace syshttp::backends {

class EpollBackend final : public LinuxBackend {
 public:
  // Returns nullptr and sets *error (errno) when epoll or the loop handles fail.
  static std::unique_ptr<EpollBackend> create(uv_loop_t* loop, const http::ServerLimits& limits,
                                              bridge::Batch& batch, BackendOwner& owner, int* error);
  ~EpollBackend() override;
  const char* name() const override { return "epoll"; }

 private:
  struct EpollConn : Conn {
    using Conn::Conn;
    uint32_t interest = 0;     // events registered with epoll
    bool writeBlocked = false; // the socket buffer is full: wait for EPOLLOUT
  };

  using LinuxBackend::LinuxBackend;
  int init();

  void onReadable() override;
  std::unique_ptr<Conn> makeConn(uint32_t id, linux_io::UniqueFd fd) override;
  bool startConn(Conn& c) override;
  void flush(Conn& c) override;
  void release(Conn& c, bool reset) override;
  bool watchListener(int fd, size_t index) override;
  void unwatchListeners() override;
  void onTick() override;

  void accept(int listenerFd);
  void readable(EpollConn& c, uint32_t events);
  bool updateInterest(EpollConn& c);
  void pauseAccepting();
  void resumeAccepting();

  linux_io::UniqueFd epoll_;
  bool acceptPaused_ = false;  // out of fds: listeners off epoll until the next tick
};

}  // namespace syshttp::backends
