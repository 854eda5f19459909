// What the Linux backends (epoll, io_uring) share: the libuv handles that drive them,
// the connection table, the per-turn flush list, timers, listeners, graceful stop, and
// the bridge callbacks. A backend adds only how bytes move: readiness (epoll) or
// completions (io_uring).
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

class LinuxBackend : public Backend, protected http::ConnectionHost {
 public:
  ~LinuxBackend() override;

  ListenOutcome listen(const ListenRequest& request) override;
  void closeListeners() override;
  SendResult send(uint32_t connection, uint32_t seq, int status, const char* head, size_t headLength,
                  const char* body, size_t bodyLength, uint32_t flags, int64_t declaredLength) override;
  SendResult sendLent(uint32_t connection, uint32_t seq, int status, const char* head, size_t headLength,
                      const char* body, size_t bodyLength, uint32_t flags, int64_t declaredLength,
                      http::ExternalBytes& lender) override;
  BodyCallResult readBody(uint32_t connection, uint32_t seq, uint64_t maxBodySize) override;
  BodyCallResult pauseBody(uint32_t connection, uint32_t seq, bool paused) override;
  SendResult detach(uint32_t connection, uint32_t seq, bool hijack, std::string* buffered) override;
  SendResult peekUpgrade(uint32_t connection, uint32_t seq, std::string* buffered) override;
  SendResult writeRaw(uint32_t connection, const char* data, size_t length) override;
  SendResult endRaw(uint32_t connection, bool close) override;
  void pauseRaw(uint32_t connection, bool paused) override;
  void mirrorInput(uint32_t connection, bool paused) override;
  void abort(uint32_t id, bool reset, bool flushInFlight) override;
  void setRef(bool ref) override;
  void setConnectionRef(uint32_t connection, bool ref) override;
  int setNoDelay(uint32_t connection, bool on) override;
  int setKeepAlive(uint32_t connection, bool on, unsigned delaySeconds) override;
  void setConnectionEvents(bool on) override { connectionEvents_ = on; }
  void beginShutdown(bool keepConnections) override;
  bool resumeAfterShutdown() override;
  void closeAll() override;
  size_t connectionCount() const override { return connections_.size(); }
  bool byteCounts(uint32_t connection, uint64_t* read, uint64_t* written, uint64_t* queued) override;
  void whenClosed(void (*callback)(void*), void* arg) override;

 protected:
  struct Conn {
    Conn(uint32_t id, LinuxBackend& b, linux_io::UniqueFd socket, uint64_t now)
        : fd(std::move(socket)), http(id, b, b.limits_, b.date_, now, &b.blocks_) {}
    virtual ~Conn() = default;
    linux_io::UniqueFd fd;
    http::Connection http;
    uint8_t addresses[2 * linux_io::kPackedAddressSize];
    bool dirty = false;        // on dirty_ for this turn's flush
    bool lingering = false;    // our side is shut: drain input until the peer closes
    bool announced = false;    // JS heard of it (ConnectionOpen): it hears of its end too
    // The client finished sending (a hang-up seen while not reading) during a body: its
    // bytes are read first and the end comes after them, from the read that returns 0.
    bool peerShut = false;
    bool unrefed = false;      // socket.unref(): does not keep the loop alive
    bool nagle = false;        // TCP_NODELAY turned off again (it is on from the accept)
    uint64_t lingerDeadline = 0;
  };
  struct LoopHandles;

  LinuxBackend(uv_loop_t* loop, const http::ServerLimits& limits, bridge::Batch& batch,
               BackendOwner& owner);
  // Starts the loop handles, polling `pollFd` for readability (the epoll or ring fd).
  int startLoop(int pollFd);
  // Stops polling and closes the handles (libuv finishes closing them later). A derived
  // destructor calls it before closing the fd being polled.
  void stopLoop();

  // ---- what a backend provides -------------------------------------------------------
  // The poll fd is readable: take in what happened.
  virtual void onReadable() = 0;
  virtual std::unique_ptr<Conn> makeConn(uint32_t id, linux_io::UniqueFd fd) = 0;
  // A new connection is in the table: start reading it. False: close it again.
  virtual bool startConn(Conn& c) = 0;
  // Write what c's Connection has queued; arrange reading as it now wants.
  virtual void flush(Conn& c) = 0;
  // Take the connection out of the table (now, or once the kernel is done with it);
  // reset: the close is an RST (SO_LINGER 0 is set), else a FIN.
  virtual void release(Conn& c, bool reset) = 0;
  virtual bool watchListener(int fd, size_t index) = 0;
  virtual void unwatchListeners() = 0;
  virtual void onTick() {}
  // After each turn's flush: hand queued work to the kernel.
  virtual void afterFlush() {}

  // ---- what the base offers backends -------------------------------------------------
  void accepted(linux_io::UniqueFd socket, const sockaddr_storage& peer);
  void endOfTurn();
  void markDirty(Conn& c);
  void flushDirty();
  // Our side is done: shut it, read until the peer closes (or the linger time is over).
  void startLinger(Conn& c);
  // A detached connection whose app ended its side, now flushed: shut the socket's write
  // side (reading goes on). Returns false when the connection was closed.
  bool shutRawWrite(Conn& c);
  void close(Conn& c, bool reset);
  // The peer ended its side (receivedEof) with requests in flight: they are settled once
  // JS has had this turn (settleHalfClosed), so that what the app answers at once still
  // goes out, as with node:http, whose handlers run before it sees the socket's end.
  void peerEnded(Conn& c);
  Conn* find(uint32_t id);
  // The connection JS may still talk to (not lingering), or nullptr.
  http::Connection* live(uint32_t id);
  uint64_t now() const { return uv_now(loop_); }
  void erase(uint32_t id);

  // http::ConnectionHost: request events go to the batch, output to the flush list.
  void onRequest(http::Connection& c, uint32_t seq, const http::RequestHead& head,
                 const char* base) override;
  void onBody(http::Connection& c, uint32_t seq, const char* data, size_t length) override;
  void onBodyEnd(http::Connection& c, uint32_t seq, const http::ChunkedDecoder* trailers) override;
  void onBodyError(http::Connection& c, uint32_t seq, http::HttpError error) override;
  void onClientError(http::Connection& c, http::HttpError error, bool deferred, const http::ClientErrorDetail& detail) override;
  void onDrain(http::Connection& c, uint32_t seq) override;
  void onRaw(http::Connection& c, const char* data, size_t length) override;
  void onRawEnd(http::Connection& c) override;
  void onInputCopy(uint32_t connection, const char* data, size_t length) override;
  void wantFlush(http::Connection& c) override;

  uv_loop_t* loop_;
  const http::ServerLimits& limits_;
  bridge::Batch& batch_;
  BackendOwner& owner_;
  http::DateCache date_;
  http::BlockPool blocks_;  // before connections_: it outlives their output chains
  std::vector<linux_io::UniqueFd> listeners_;
  std::unordered_map<uint32_t, std::unique_ptr<Conn>> connections_;
  bool shuttingDown_ = false;
  bool shutdownKeepsConnections_ = false;  // beginShutdown(true): the connections were left alone
  bool connectionEvents_ = false;

 private:
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onTimer(uv_timer_t* handle);
  static void onTurn(uv_check_t* handle);
  static void onPrepare(uv_prepare_t* handle);
  void maybeShutdownComplete();
  void settleHalfClosed();
  // The poll handle keeps the loop alive while the app wants it (ref) or a connection is
  // open and not unref()ed: as node's accepted sockets keep a process alive after
  // server.unref().
  void updateRef();

  LoopHandles* handles_ = nullptr;
  std::vector<uint32_t> dirty_;
  std::vector<uint32_t> halfClosed_;  // peerEnded() this turn
  uint32_t nextId_ = 1;
  uint32_t tickMs_ = 1000;
  uint64_t lastTick_ = 0;
  bool shutdownReported_ = false;
  bool refWanted_ = true;  // setRef()
  bool refed_ = true;      // the poll handle's state
  size_t refedConnections_ = 0;  // open connections not unref()ed
};

}  // namespace syshttp::backends
