#include "epoll_backend.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

namespace syshttp::backends {
namespace {

constexpr uint64_t kListenerTag = uint64_t{1} << 63;
constexpr int kMaxEvents = 256;
constexpr int kIovecs = 64;

}  // namespace

std::unique_ptr<EpollBackend> EpollBackend::create(uv_loop_t* loop, const http::ServerLimits& limits,
                                                   bridge::Batch& batch, BackendOwner& owner,
                                                   int* error) {
  std::unique_ptr<EpollBackend> b(new EpollBackend(loop, limits, batch, owner));
  *error = b->init();
  if (*error != 0) return nullptr;
  return b;
}

// Set-up order: epoll fd, then the loop handles polling it. The destructor unwinds in
// reverse: handles first, then the fds they watch.
int EpollBackend::init() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return errno;
  return startLoop(epoll_.get());
}

EpollBackend::~EpollBackend() {
  stopLoop();
  connections_.clear();
  listeners_.clear();
}

void EpollBackend::onReadable() {
  epoll_event events[kMaxEvents];
  for (int round = 0; round < 4; ++round) {
    int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag & kListenerTag) {
        size_t index = static_cast<size_t>(tag & ~kListenerTag);
        if (index < listeners_.size() && listeners_[index].valid()) accept(listeners_[index].get());
        continue;
      }
      Conn* found = find(static_cast<uint32_t>(tag));
      if (found == nullptr) continue;
      auto& c = static_cast<EpollConn&>(*found);
      uint32_t ev = events[i].events;
      if (ev & EPOLLOUT) {
        c.writeBlocked = false;
        markDirty(c);
      }
      if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) readable(c, ev);
    }
    if (n < kMaxEvents) break;
  }
}

// ---- accepting ---------------------------------------------------------------------------

bool EpollBackend::watchListener(int fd, size_t index) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag | index;
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EpollBackend::unwatchListeners() {
  // Closing the fd removes it from the epoll set; the slot stays so tags keep their index.
  for (auto& l : listeners_) l.reset();
  acceptPaused_ = false;
}

void EpollBackend::accept(int listenerFd) {
  for (int i = 0; i < 128; ++i) {
    sockaddr_storage peer{};
    socklen_t peerLength = sizeof(peer);
    int fd = ::accept4(listenerFd, reinterpret_cast<sockaddr*>(&peer), &peerLength,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays queued and the level-triggered listener would
        // wake us on every turn: stop watching it until the next timer tick.
        pauseAccepting();
      }
      return;
    }
    accepted(linux_io::UniqueFd(fd), peer);
  }
}

void EpollBackend::pauseAccepting() {
  for (auto& l : listeners_) {
    if (l.valid()) (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, l.get(), nullptr);
  }
  acceptPaused_ = true;
}

void EpollBackend::resumeAccepting() {
  acceptPaused_ = false;
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (listeners_[i].valid() && !watchListener(listeners_[i].get(), i) && errno != EEXIST) {
      acceptPaused_ = true;  // try again on the next tick
    }
  }
}

void EpollBackend::onTick() {
  if (acceptPaused_) resumeAccepting();
}

std::unique_ptr<LinuxBackend::Conn> EpollBackend::makeConn(uint32_t id, linux_io::UniqueFd fd) {
  return std::make_unique<EpollConn>(id, *this, std::move(fd), now());
}

bool EpollBackend::startConn(Conn& conn) {
  auto& c = static_cast<EpollConn&>(conn);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = c.http.id();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) != 0) return false;
  c.interest = ev.events;
  return true;
}

// ---- reading and writing -----------------------------------------------------------------

void EpollBackend::readable(EpollConn& c, uint32_t events) {
  if (c.lingering) {
    char sink[4096];
    for (int i = 0; i < 16; ++i) {
      ssize_t r = ::read(c.fd.get(), sink, sizeof(sink));
      if (r > 0) continue;
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno == EAGAIN) return;
      close(c, false);  // EOF or error: the peer is done
      return;
    }
    return;
  }
  for (int i = 0; i < 8; ++i) {
    size_t room = 0;
    char* p = c.http.readSpace(&room);
    if (room == 0) {
      // Not reading now (backpressure, or this connection's input is over), yet the
      // client hung up: that ends what it asked for, as an EOF would.
      if (events & (EPOLLHUP | EPOLLERR)) {
        close(c, false);
        return;
      }
      if ((events & EPOLLRDHUP) && !c.http.peerClosed() && !c.peerShut) {
        if (c.http.awaitingBody()) {
          // Finished sending while the app reads its body slowly: what it sent is read
          // first, and the end follows it (the read that returns 0).
          c.peerShut = true;
          break;
        }
        if (c.http.receivedEof()) {
          peerEnded(c);
          return;
        }
      }
      break;
    }
    ssize_t r = ::read(c.fd.get(), p, room);
    if (r > 0) {
      c.http.received(static_cast<size_t>(r), now());
      if (static_cast<size_t>(r) < room) break;
      continue;
    }
    if (r == 0) {
      if (c.http.receivedEof()) {
        peerEnded(c);
        return;
      }
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    close(c, true);
    return;
  }
  c.http.releaseInput();  // a read that brought nothing (EAGAIN) took it
  size_t room = c.http.readRoom();
  if (room == 0) updateInterest(c);  // stop reading until JS wants more
}

void EpollBackend::flush(Conn& conn) {
  auto& c = static_cast<EpollConn&>(conn);
  if (c.lingering) return;
  http::OutputChain& out = c.http.output();
  while (!out.empty() && !c.writeBlocked) {
    iovec iov[kIovecs];
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(out.fillIovec(iov, kIovecs));
    ssize_t w = ::sendmsg(c.fd.get(), &msg, MSG_NOSIGNAL);
    if (w >= 0) {
      c.http.sent(static_cast<size_t>(w));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      c.writeBlocked = true;
      break;
    }
    close(c, true);  // EPIPE, ECONNRESET: the peer is gone
    return;
  }
  if (out.empty() && c.http.shutWriteAfterFlush() && !shutRawWrite(c)) return;
  if (out.empty() && c.http.closeAfterFlush()) {
    uint32_t id = c.http.id();
    startLinger(c);
    if (find(id) == nullptr) return;  // closed outright
  }
  updateInterest(c);
}

bool EpollBackend::updateInterest(EpollConn& c) {
  uint32_t want = 0;
  if (c.lingering) {
    want = EPOLLIN | EPOLLRDHUP;
  } else {
    size_t room = c.http.readRoom();
    if (room > 0) want |= EPOLLIN;
    // Even while not reading (backpressure), notice the client hanging up.
    if (room > 0 || (!c.http.peerClosed() && !c.http.closeAfterFlush() && !c.peerShut)) want |= EPOLLRDHUP;
    if (c.writeBlocked) want |= EPOLLOUT;
  }
  if (want == c.interest) return true;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = c.http.id();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &ev) != 0) {
    close(c, true);
    return false;
  }
  c.interest = want;
  return true;
}

void EpollBackend::release(Conn& c, bool /*reset*/) {
  erase(c.http.id());  // closing the fd also leaves the epoll set
}

}  // namespace syshttp::backends
