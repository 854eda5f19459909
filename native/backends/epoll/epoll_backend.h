// The epoll backend: non-blocking sockets, one epoll instance per server, driven from
// the libuv loop through a uv_poll on the epoll fd (no native I/O thread). Output is
// corked per connection and written once per loop turn with writev.
#pragma once
#include <uv.h>

#include <memory>
#include <unordered_map>
#include <vector>

#include "backends/backend.h"
#include "backends/linux/socket_address.h"
#include "backends/linux/unique_fd.h"
#include "bridge/batch.h"
#include "http/connection.h"
#include "http/date_cache.h"

namespace syshttp::backends {

class EpollBackend final : public Backend, private http::ConnectionHost {
 public:
  // Returns nullptr and sets *error (errno) when epoll or the loop handles fail.
  static std::unique_ptr<EpollBackend> create(uv_loop_t* loop, const http::ServerLimits& limits,
                                              bridge::Batch& batch, BackendOwner& owner, int* error);
  ~EpollBackend() override;

  const char* name() const override { return "epoll"; }
  ListenOutcome listen(const ListenRequest& request) override;
  void closeListeners() override;
  http::Connection* connection(uint32_t id) override;
  void abort(uint32_t id) override;
  void beginShutdown() override;
  void closeAll() override;
  size_t connectionCount() const override { return connections_.size(); }
  void whenClosed(void (*callback)(void*), void* arg) override;

 private:
  struct Conn {
    Conn(uint32_t id, EpollBackend& b, linux_io::UniqueFd socket, uint64_t now);
    linux_io::UniqueFd fd;
    http::Connection http;
    uint8_t addresses[2 * linux_io::kPackedAddressSize];
    uint32_t interest = 0;     // events registered with epoll
    bool dirty = false;        // on dirty_ for this turn's flush
    bool lingering = false;    // our side is shut: drain input until the peer closes
    bool writeBlocked = false; // the socket buffer is full: wait for EPOLLOUT
    uint64_t lingerDeadline = 0;
  };
  struct LoopHandles;  // libuv handles, freed by their close callbacks

  EpollBackend(uv_loop_t* loop, const http::ServerLimits& limits, bridge::Batch& batch,
               BackendOwner& owner);
  int init();

  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onTimer(uv_timer_t* handle);
  static void onTurn(uv_check_t* handle);
  static void onPrepare(uv_prepare_t* handle);
  void pollEvents();
  void endOfTurn();
  void accept(int listenerFd);
  void pauseAccepting();
  void resumeAccepting();
  void readable(Conn& c, uint32_t events);
  void flush(Conn& c);
  void flushDirty();
  bool updateInterest(Conn& c);
  void markDirty(Conn& c);
  void startLinger(Conn& c);
  void close(Conn& c, bool reset);
  void maybeShutdownComplete();
  uint64_t now() const;

  // http::ConnectionHost
  void onRequest(http::Connection& c, uint32_t seq, const http::RequestHead& head,
                 const char* base) override;
  void onBody(http::Connection& c, uint32_t seq, const char* data, size_t length) override;
  void onBodyEnd(http::Connection& c, uint32_t seq, const http::ChunkedDecoder* trailers) override;
  void onBodyError(http::Connection& c, uint32_t seq, http::HttpError error) override;
  void onDrain(http::Connection& c, uint32_t seq) override;
  void wantFlush(http::Connection& c) override;

  uv_loop_t* loop_;
  const http::ServerLimits& limits_;
  bridge::Batch& batch_;
  BackendOwner& owner_;
  http::DateCache date_;
  linux_io::UniqueFd epoll_;
  LoopHandles* handles_ = nullptr;
  std::vector<linux_io::UniqueFd> listeners_;
  std::unordered_map<uint32_t, std::unique_ptr<Conn>> connections_;
  std::vector<uint32_t> dirty_;
  uint32_t nextId_ = 1;
  uint32_t tickMs_ = 1000;
  uint64_t lastTick_ = 0;
  bool shuttingDown_ = false;
  bool acceptPaused_ = false;  // out of fds: listeners off epoll until the next tick
  bool shutdownReported_ = false;
};

}  // namespace syshttp::backends
