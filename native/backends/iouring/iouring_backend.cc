#include "iouring_backend.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cstdlib>

namespace syshttp::backends {
namespace {

enum Op : uint8_t { kRecv = 1, kSend = 2, kAccept = 3, kCancel = 4, kHangup = 5 };

constexpr unsigned kRingEntries = 1024;
constexpr uint16_t kBufferGroup = 1;
constexpr unsigned kBufferCount = 256;  // a power of two
constexpr unsigned kBufferSize = 16 * 1024;

uint64_t tag(uint32_t id, Op op) { return (uint64_t{id} << 8) | op; }

}  // namespace

std::unique_ptr<IoUringBackend> IoUringBackend::create(uv_loop_t* loop, const http::ServerLimits& limits,
                                                       bridge::Batch& batch, BackendOwner& owner,
                                                       const IoUringOptions& options, int* error,
                                                       std::string* why) {
  std::unique_ptr<IoUringBackend> b(new IoUringBackend(loop, limits, batch, owner, options));
  *error = b->init(why);
  if (*error != 0) return nullptr;
  return b;
}

IoUringBackend::IoUringBackend(uv_loop_t* loop, const http::ServerLimits& limits, bridge::Batch& batch,
                               BackendOwner& owner, const IoUringOptions& options)
    : LinuxBackend(loop, limits, batch, owner), options_(options) {}

// Set-up order: ring (flags probed), opcode probe, provided-buffer ring, then the loop
// handles polling the ring fd. Teardown: handles, then in-flight operations drained,
// then the ring (its destructor unmaps and closes).
int IoUringBackend::init(std::string* why) {
  int err = ring_.init(kRingEntries, options_.deferTaskrun, why);
  if (err != 0) return err;
  const unsigned needed[] = {IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SENDMSG, IORING_OP_ASYNC_CANCEL};
  for (unsigned op : needed) {
    if (!ring_.supports(op)) {
      *why = "io_uring does not support opcode " + std::to_string(op) + " on this kernel";
      return ENOSYS;
    }
  }
  sendOp_ = ring_.supports(IORING_OP_SEND);
  if (options_.multishotRecv) {
    bufferRing_ = ring_.registerBufferRing(kBufferGroup, kBufferCount, kBufferSize) == 0;
  }
  // The loop polls an eventfd the ring signals on each completion: with DEFER_TASKRUN
  // the ring fd itself does not turn readable for work that waits for us to enter.
  eventfd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!eventfd_.valid()) {
    *why = std::string("eventfd: ") + std::strerror(errno);
    return errno;
  }
  if (int e = ring_.registerEventfd(eventfd_.get()); e != 0) {
    *why = std::string("IORING_REGISTER_EVENTFD: ") + std::strerror(e);
    return e;
  }
  return startLoop(eventfd_.get());
}

IoUringBackend::~IoUringBackend() {
  stopLoop();
  // The kernel may still write into our buffers: cancel everything in flight and wait
  // for the last completion before any of that memory is freed.
  unsigned outstanding = 0;
  for (auto& [id, conn] : connections_) {
    auto& c = static_cast<UringConn&>(*conn);
    if (c.recvArmed) cancel(tag(id, kRecv));
    if (c.sending) cancel(tag(id, kSend));
    if (c.hangupArmed) cancel(tag(id, kHangup));
    outstanding += c.ops;
  }
  for (size_t i = 0; i < acceptArmed_.size(); ++i) {
    if (acceptArmed_[i]) {
      cancel(tag(static_cast<uint32_t>(i), kAccept));
      ++outstanding;
    }
  }
  for (int round = 0; outstanding > 0 && round < 1000; ++round) {
    if (ring_.enterWait() < 0) break;
    ring_.reap([&](const io_uring_cqe& cqe) {
      Op op = static_cast<Op>(cqe.user_data & 0xff);
      if (op != kCancel && !(cqe.flags & IORING_CQE_F_MORE) && outstanding > 0) --outstanding;
    });
  }
  connections_.clear();
  listeners_.clear();
}

std::string IoUringBackend::describe() const {
  const iouring::RingFeatures& f = ring_.features();
  std::string s = "io_uring";
  s += f.deferTaskrun ? " defer-taskrun" : f.coopTaskrun ? " coop-taskrun" : "";
  if (f.singleIssuer) s += " single-issuer";
  if (f.registeredFd) s += " registered-fd";
  s += options_.multishotAccept ? " multishot-accept" : " accept";
  s += bufferRing_ ? " multishot-recv+buffer-ring" : " recv";
  return s;
}

io_uring_sqe* IoUringBackend::sqe() {
  io_uring_sqe* s = ring_.nextSqe();
  if (s == nullptr) {
    ring_.enter(false);  // the queue is full: hand it to the kernel and take a fresh slot
    s = ring_.nextSqe();
  }
  return s;
}

void IoUringBackend::cancel(uint64_t target) {
  io_uring_sqe* s = sqe();
  if (s == nullptr) return;
  s->opcode = IORING_OP_ASYNC_CANCEL;
  s->fd = -1;
  s->addr = target;
  s->user_data = tag(0, kCancel);
}

void IoUringBackend::afterFlush() { ring_.enter(false); }

// ---- completions ---------------------------------------------------------------------

void IoUringBackend::onReadable() {
  uint64_t signals = 0;
  while (::read(eventfd_.get(), &signals, sizeof(signals)) < 0 && errno == EINTR) {
  }
  // Completions are posted as the thread enters the kernel (COOP_TASKRUN), or only when
  // we ask (GETEVENTS, DEFER_TASKRUN). One enter per wake-up: work queued after it
  // signals the eventfd again.
  ring_.enter(true);
  ring_.reap([this](const io_uring_cqe& cqe) { complete(cqe); });
}

void IoUringBackend::complete(const io_uring_cqe& cqe) {
  Op op = static_cast<Op>(cqe.user_data & 0xff);
  uint32_t id = static_cast<uint32_t>(cqe.user_data >> 8);
  if (op == kCancel) return;
  if (op == kAccept) {
    onAccept(id, cqe);
    return;
  }
  Conn* found = find(id);
  if (found == nullptr) {
    // Cannot happen (a connection outlives its operations), but never leak a buffer.
    if (cqe.flags & IORING_CQE_F_BUFFER) ring_.recycleBuffer(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    return;
  }
  auto& c = static_cast<UringConn&>(*found);
  if (op == kRecv) onRecv(c, cqe);
  else if (op == kSend) onSend(c, cqe);
  else if (op == kHangup) onHangup(c, cqe);
}

void IoUringBackend::opDone(UringConn& c) {
  if (--c.ops == 0 && c.closing) erase(c.http.id());
}

void IoUringBackend::onRecv(UringConn& c, const io_uring_cqe& cqe) {
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  const int res = cqe.res;
  if (res > 0 && !c.closing && !c.lingering) {
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      unsigned bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      feed(c, ring_.buffer(bid), static_cast<size_t>(res));
      ring_.recycleBuffer(bid);
    } else {
      feed(c, c.staging.get(), static_cast<size_t>(res));
    }
  } else if (cqe.flags & IORING_CQE_F_BUFFER) {
    ring_.recycleBuffer(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  }
  if (!more) {
    c.recvArmed = false;
    c.multishot = false;
    c.recvCancelling = false;
    uint32_t id = c.http.id();
    opDone(c);
    if (find(id) == nullptr) return;
  }
  if (c.closing) return;
  if (c.lingering) {
    if (res <= 0) close(c, false);  // the peer is done (or gone)
    else markDirty(c);              // read on until it is
    return;
  }
  if (res == 0) {
    c.eofSeen = true;
    // The end comes after the bytes before it: with some still stashed (the app reads
    // the body slowly), flush() tells the Connection once they are in. Bytes it will
    // never take (its input is over) do not hold the end back.
    if (!c.stash.empty() && c.http.acceptsInput()) return;
    endOfInput(c);
    return;
  }
  if (res < 0 && res != -ENOBUFS && res != -EINTR && res != -EAGAIN && res != -ECANCELED) {
    close(c, false);  // reset or other error: the client is gone
    return;
  }
  if (!more) markDirty(c);  // arm the next receive in this turn's flush
}

// Hands bytes to the Connection; what it has no room for waits in the stash (and a
// multishot receive is stopped, so the kernel's buffers hold the rest: backpressure).
void IoUringBackend::feed(UringConn& c, const char* data, size_t length) {
  if (!c.stash.empty()) {
    c.stash.insert(c.stash.end(), data, data + length);
    return;
  }
  size_t room = 0;
  char* p = c.http.readSpace(&room);
  size_t take = std::min(room, length);
  if (take > 0) {
    std::memcpy(p, data, take);
    c.http.received(take, now());
  }
  if (take < length) {
    c.stash.assign(data + take, data + length);
    if (c.multishot && c.recvArmed && !c.recvCancelling) {
      // At once, not at the end of the turn: under COOP_TASKRUN the receive runs as task
      // work whenever the thread enters or leaves the kernel, and each run takes more of
      // the socket's bytes into provided buffers, so into the stash, until the cancel is
      // in. What it took before is bounded by the ring (kBufferCount x kBufferSize).
      cancel(tag(c.http.id(), kRecv));
      c.recvCancelling = true;
      ring_.enter(false);
    }
  }
}

bool IoUringBackend::drainStash(UringConn& c) {
  while (!c.stash.empty()) {
    size_t room = 0;
    char* p = c.http.readSpace(&room);
    if (room == 0) return false;
    size_t take = std::min(room, c.stash.size());
    std::memcpy(p, c.stash.data(), take);
    c.stash.erase(c.stash.begin(), c.stash.begin() + static_cast<std::ptrdiff_t>(take));
    c.http.received(take, now());
  }
  return true;
}

void IoUringBackend::onSend(UringConn& c, const io_uring_cqe& cqe) {
  c.sending = false;
  if (c.sendVector && spareSendVectors_.size() < kMaxSpareSendVectors) {
    spareSendVectors_.push_back(std::move(c.sendVector));
  }
  c.sendVector.reset();
  uint32_t id = c.http.id();
  opDone(c);
  if (find(id) == nullptr || c.closing) return;
  if (cqe.res < 0) {
    if (cqe.res == -EINTR || cqe.res == -EAGAIN) {
      markDirty(c);
      return;
    }
    close(c, true);  // EPIPE, ECONNRESET: the peer is gone
    return;
  }
  c.http.sent(static_cast<size_t>(cqe.res));
  markDirty(c);  // send the rest, or linger
}

// ---- connections ----------------------------------------------------------------------

std::unique_ptr<LinuxBackend::Conn> IoUringBackend::makeConn(uint32_t id, linux_io::UniqueFd fd) {
  return std::make_unique<UringConn>(id, *this, std::move(fd), now());
}

bool IoUringBackend::startConn(Conn& c) {
  armRecv(static_cast<UringConn&>(c));
  return true;
}

void IoUringBackend::armRecv(UringConn& c) {
  if (c.recvArmed || c.closing || c.eofSeen) return;
  io_uring_sqe* s = nullptr;
  if (c.lingering) {
    s = sqe();
    if (s == nullptr) return;
    s->opcode = IORING_OP_RECV;
    s->fd = c.fd.get();
    s->addr = reinterpret_cast<uint64_t>(discard_);  // shared: nothing is read back
    s->len = sizeof(discard_);
  } else {
    size_t room = c.http.readRoom();
    if (!c.stash.empty() || room == 0) {
      // Backpressure: leave the bytes in the kernel, but still notice the client leaving
      // (epoll's EPOLLRDHUP): that aborts what it asked for.
      if (!c.http.peerClosed() && !c.http.closeAfterFlush()) armHangupWatch(c);
      return;
    }
    s = sqe();
    if (s == nullptr) return;
    s->opcode = IORING_OP_RECV;
    s->fd = c.fd.get();
    if (bufferRing_) {
      s->flags = IOSQE_BUFFER_SELECT;
      s->buf_group = kBufferGroup;
      s->ioprio = IORING_RECV_MULTISHOT;
      s->len = 0;
      c.multishot = true;
    } else {
      if (!c.staging) c.staging.reset(new char[kStagingSize]);
      s->addr = reinterpret_cast<uint64_t>(c.staging.get());
      s->len = kStagingSize;
    }
  }
  s->user_data = tag(c.http.id(), kRecv);
  c.recvArmed = true;
  ++c.ops;
}

void IoUringBackend::armHangupWatch(UringConn& c) {
  if (c.hangupArmed || c.closing || c.eofSeen || c.peerShut) return;
  io_uring_sqe* s = sqe();
  if (s == nullptr) return;
  s->opcode = IORING_OP_POLL_ADD;
  s->fd = c.fd.get();
  s->poll32_events = POLLRDHUP | POLLHUP | POLLERR;
  s->user_data = tag(c.http.id(), kHangup);
  c.hangupArmed = true;
  ++c.ops;
}

void IoUringBackend::onHangup(UringConn& c, const io_uring_cqe& cqe) {
  c.hangupArmed = false;
  uint32_t id = c.http.id();
  opDone(c);
  if (find(id) == nullptr || c.closing || c.lingering || c.eofSeen) return;
  if (cqe.res > 0 && (cqe.res & (POLLRDHUP | POLLHUP | POLLERR))) {
    if ((cqe.res & (POLLHUP | POLLERR)) == 0 && c.http.awaitingBody()) {
      // Finished sending while the app reads its body slowly: the bytes in the kernel are
      // received first; the end follows them (a receive that returns 0).
      c.peerShut = true;
      return;
    }
    c.eofSeen = true;
    endOfInput(c);
  }
}

void IoUringBackend::endOfInput(UringConn& c) {
  c.stash.clear();  // bytes the Connection would never take (see the callers)
  if (c.http.receivedEof()) peerEnded(c);
  else markDirty(c);
}

void IoUringBackend::flush(Conn& conn) {
  auto& c = static_cast<UringConn&>(conn);
  if (c.closing) return;
  if (c.lingering) {
    armRecv(c);
    return;
  }
  const bool drained = drainStash(c);
  if (c.eofSeen && !c.http.peerClosed() && (drained || !c.http.acceptsInput())) endOfInput(c);
  http::OutputChain& out = c.http.output();
  if (!c.sending && !out.empty()) {
    if (io_uring_sqe* s = sqe()) {
      int count = out.fillIovec(scratchIov_, kIovecs);
      s->fd = c.fd.get();
      s->msg_flags = MSG_NOSIGNAL;
      if (count == 1 && sendOp_) {
        // One contiguous block (most responses): a plain send spares the kernel copying
        // and checking a msghdr and its iovec array.
        s->opcode = IORING_OP_SEND;
        s->addr = reinterpret_cast<uint64_t>(scratchIov_[0].iov_base);
        s->len = static_cast<uint32_t>(scratchIov_[0].iov_len);
      } else {
        if (!c.sendVector) {
          if (spareSendVectors_.empty()) {
            c.sendVector = std::make_unique<SendVector>();
          } else {
            c.sendVector = std::move(spareSendVectors_.back());
            spareSendVectors_.pop_back();
          }
        }
        SendVector& v = *c.sendVector;
        std::memcpy(v.iov, scratchIov_, sizeof(iovec) * static_cast<size_t>(count));
        v.msg = msghdr{};
        v.msg.msg_iov = v.iov;
        v.msg.msg_iovlen = static_cast<size_t>(count);
        s->opcode = IORING_OP_SENDMSG;
        s->addr = reinterpret_cast<uint64_t>(&v.msg);
        s->len = 1;
      }
      s->user_data = tag(c.http.id(), kSend);
      c.sending = true;
      ++c.ops;
    }
  }
  if (!c.sending && out.empty() && c.http.shutWriteAfterFlush() && !shutRawWrite(c)) return;
  if (!c.sending && out.empty() && c.http.closeAfterFlush()) {
    uint32_t id = c.http.id();
    startLinger(c);
    if (find(id) == nullptr || c.closing) return;
  }
  armRecv(c);
}

void IoUringBackend::release(Conn& conn, bool reset) {
  auto& c = static_cast<UringConn&>(conn);
  if (c.closing) return;
  c.closing = true;
  uint32_t id = c.http.id();
  if (c.ops == 0) {
    erase(id);
    return;
  }
  // The connection (and the memory its operations use) stays until they complete, and
  // so does its fd. The FIN goes now, as closing the fd would send it: bytes the client
  // sends meanwhile (the next request, on a keep-alive connection closed as idle) then
  // find it half-closed, not yet closed, and the client sees our end before any reset
  // closing with them unread brings (as with epoll, whose close is at once).
  // (Again after a lingering close's shutdown: harmless. ENOTCONN: the peer is gone.)
  if (!reset) (void)::shutdown(c.fd.get(), SHUT_WR);
  if (c.recvArmed) cancel(tag(id, kRecv));
  if (c.sending) cancel(tag(id, kSend));
  if (c.hangupArmed) cancel(tag(id, kHangup));
}

// ---- accepting ---------------------------------------------------------------------------

bool IoUringBackend::watchListener(int fd, size_t index) {
  if (acceptArmed_.size() <= index) {
    acceptArmed_.resize(index + 1, 0);
    listenerClosing_.resize(index + 1, 0);
  }
  io_uring_sqe* s = sqe();
  if (s == nullptr) return false;
  s->opcode = IORING_OP_ACCEPT;
  s->fd = fd;
  s->accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  if (options_.multishotAccept) s->ioprio = IORING_ACCEPT_MULTISHOT;
  s->user_data = tag(static_cast<uint32_t>(index), kAccept);
  acceptArmed_[index] = 1;
  return ring_.enter(false) >= 0;
}

void IoUringBackend::armAccept(size_t index) {
  if (index >= listeners_.size() || !listeners_[index].valid() || acceptArmed_[index] ||
      listenerClosing_[index]) {
    return;
  }
  watchListener(listeners_[index].get(), index);
}

void IoUringBackend::onAccept(size_t index, const io_uring_cqe& cqe) {
  const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
  if (!more && index < acceptArmed_.size()) acceptArmed_[index] = 0;
  if (cqe.res >= 0) {
    linux_io::UniqueFd fd(cqe.res);
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    if (::getpeername(fd.get(), reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
      accepted(std::move(fd), peer);
    }
  } else if (cqe.res == -EINVAL && options_.multishotAccept && !more) {
    options_.multishotAccept = false;  // a kernel without multishot accept: single shots
  } else if (cqe.res == -EMFILE || cqe.res == -ENFILE || cqe.res == -ENOBUFS || cqe.res == -ENOMEM) {
    // Out of descriptors: stop accepting until the next tick instead of failing on and on.
    acceptPaused_ = true;
    if (more) cancel(tag(static_cast<uint32_t>(index), kAccept));
  }
  if (more || index >= listeners_.size()) return;
  if (listenerClosing_[index]) {
    listeners_[index].reset();  // its accept is over: now the fd can go
    return;
  }
  if (!acceptPaused_) armAccept(index);
}

void IoUringBackend::unwatchListeners() {
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (!listeners_[i].valid()) continue;
    if (i < acceptArmed_.size() && acceptArmed_[i]) {
      listenerClosing_[i] = 1;
      // The fd stays open until the cancelled accept completes: leave the listening state
      // now, so the port is free at once (node's close() then listen() on the same port).
      if (::shutdown(listeners_[i].get(), SHUT_RD) != 0) {
        // Not fatal: the port is then free once the cancel completes and the fd closes.
      }
      cancel(tag(static_cast<uint32_t>(i), kAccept));
    } else {
      listeners_[i].reset();
    }
  }
  acceptPaused_ = false;
  ring_.enter(false);
}

void IoUringBackend::onTick() {
  if (!acceptPaused_) return;
  acceptPaused_ = false;
  for (size_t i = 0; i < listeners_.size(); ++i) armAccept(i);
}

}  // namespace syshttp::backends
