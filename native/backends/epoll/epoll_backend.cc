#include "epoll_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "backends/linux/listener.h"
#include "http/error_responses.h"

namespace syshttp::backends {
namespace {

constexpr uint64_t kListenerTag = uint64_t{1} << 63;
constexpr int kMaxEvents = 256;
constexpr int kIovecs = 64;
// After our side is shut, how long the peer gets to read the last response and close
// before we close anyway (nginx's lingering close, so the peer never sees an RST
// instead of the answer it was sent).
constexpr uint64_t kLingerMs = 2000;

}  // namespace

struct EpollBackend::LoopHandles {
  uv_poll_t poll;
  uv_timer_t timer;
  uv_check_t check;
  uv_prepare_t prepare;
  EpollBackend* owner = nullptr;
  int open = 0;
  void (*onClosed)(void*) = nullptr;
  void* onClosedArg = nullptr;

  static void closed(uv_handle_t* h) {
    auto* self = static_cast<LoopHandles*>(h->data);
    if (--self->open > 0) return;
    void (*callback)(void*) = self->onClosed;
    void* arg = self->onClosedArg;
    delete self;
    if (callback != nullptr) callback(arg);
  }
  void closeAll() {
    owner = nullptr;
    uv_handle_t* all[] = {reinterpret_cast<uv_handle_t*>(&poll), reinterpret_cast<uv_handle_t*>(&timer),
                          reinterpret_cast<uv_handle_t*>(&check), reinterpret_cast<uv_handle_t*>(&prepare)};
    int initialised = open;
    if (initialised == 0) {
      void (*callback)(void*) = onClosed;
      void* arg = onClosedArg;
      delete this;
      if (callback != nullptr) callback(arg);
      return;
    }
    for (int i = 0; i < initialised; ++i) uv_close(all[i], closed);
  }
};

EpollBackend::Conn::Conn(uint32_t id, EpollBackend& b, linux_io::UniqueFd socket, uint64_t now)
    : fd(std::move(socket)), http(id, b, b.limits_, b.date_, now) {}

std::unique_ptr<EpollBackend> EpollBackend::create(uv_loop_t* loop, const http::ServerLimits& limits,
                                                   bridge::Batch& batch, BackendOwner& owner,
                                                   int* error) {
  std::unique_ptr<EpollBackend> b(new EpollBackend(loop, limits, batch, owner));
  *error = b->init();
  if (*error != 0) return nullptr;
  return b;
}

EpollBackend::EpollBackend(uv_loop_t* loop, const http::ServerLimits& limits, bridge::Batch& batch,
                           BackendOwner& owner)
    : loop_(loop), limits_(limits), batch_(batch), owner_(owner) {
  uint32_t shortest = std::min({limits.keepAliveTimeoutMs, limits.requestHeadersTimeoutMs,
                                limits.sendStallTimeoutMs,
                                limits.minBodyBytesPerSecond > 0 ? limits.minBodyRateGraceMs : 1000u});
  tickMs_ = std::clamp<uint32_t>(shortest / 4, 50, 1000);
}

// Set-up order: epoll fd → uv_poll on it → timer → check → prepare. The destructor
// unwinds in reverse (handles first, then the fds they watch).
int EpollBackend::init() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return errno;
  handles_ = new LoopHandles();
  handles_->owner = this;
  int rc = uv_poll_init(loop_, &handles_->poll, epoll_.get());
  if (rc != 0) return -rc;
  handles_->poll.data = handles_;
  ++handles_->open;
  if ((rc = uv_timer_init(loop_, &handles_->timer)) != 0) return -rc;
  handles_->timer.data = handles_;
  ++handles_->open;
  if ((rc = uv_check_init(loop_, &handles_->check)) != 0) return -rc;
  handles_->check.data = handles_;
  ++handles_->open;
  if ((rc = uv_prepare_init(loop_, &handles_->prepare)) != 0) return -rc;
  handles_->prepare.data = handles_;
  ++handles_->open;

  if ((rc = uv_poll_start(&handles_->poll, UV_READABLE, onPoll)) != 0) return -rc;
  if ((rc = uv_timer_start(&handles_->timer, onTimer, tickMs_, tickMs_)) != 0) return -rc;
  if ((rc = uv_check_start(&handles_->check, onTurn)) != 0) return -rc;
  if ((rc = uv_prepare_start(&handles_->prepare, onPrepare)) != 0) return -rc;
  // Only the poll handle keeps the process alive, like a listening node:http server.
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->timer));
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->check));
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles_->prepare));
  lastTick_ = now();
  return 0;
}

EpollBackend::~EpollBackend() {
  if (handles_ != nullptr) handles_->closeAll();  // stops polling before epoll_ closes
  connections_.clear();
  listeners_.clear();
}

void EpollBackend::whenClosed(void (*callback)(void*), void* arg) {
  if (handles_ == nullptr) {
    callback(arg);
    return;
  }
  handles_->onClosed = callback;
  handles_->onClosedArg = arg;
}

uint64_t EpollBackend::now() const { return uv_now(loop_); }

// ---- loop callbacks --------------------------------------------------------------------

void EpollBackend::onPoll(uv_poll_t* handle, int status, int) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner == nullptr || status < 0) return;
  h->owner->pollEvents();
}

void EpollBackend::onTimer(uv_timer_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner == nullptr) return;
  EpollBackend& b = *h->owner;
  uint64_t t = b.now();
  // A tick late because the loop was blocked would count the stall against clients
  // whose bytes are still unread in the kernel: count at most two ticks.
  uint32_t elapsed = static_cast<uint32_t>(std::min<uint64_t>(t - b.lastTick_, 2 * b.tickMs_));
  b.lastTick_ = t;
  b.date_.update(std::time(nullptr));
  if (b.acceptPaused_) b.resumeAccepting();
  std::vector<std::pair<uint32_t, bool>> expired;  // id, reset
  for (auto& [id, c] : b.connections_) {
    if (c->lingering) {
      if (t >= c->lingerDeadline) expired.emplace_back(id, false);
    } else if (c->http.tick(t, elapsed)) {
      expired.emplace_back(id, true);
    }
  }
  for (auto [id, reset] : expired) {
    auto it = b.connections_.find(id);
    if (it != b.connections_.end()) b.close(*it->second, reset);
  }
  b.endOfTurn();
}

void EpollBackend::onTurn(uv_check_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner != nullptr) h->owner->endOfTurn();
}

void EpollBackend::onPrepare(uv_prepare_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner != nullptr) h->owner->endOfTurn();
}

void EpollBackend::endOfTurn() {
  // JS first (it answers what this turn brought), then one flush per dirty connection.
  // A flush can raise drains or aborts: they go to JS now rather than after the loop's
  // next wait (which could be a whole timer tick away). Bounded, like any loop here.
  for (int round = 0; round < 4; ++round) {
    if (!owner_.dispatchEvents()) return;  // destroyed meanwhile: `this` is gone
    flushDirty();
    if (batch_.empty()) return;
  }
}

void EpollBackend::pollEvents() {
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
      auto it = connections_.find(static_cast<uint32_t>(tag));
      if (it == connections_.end()) continue;
      Conn& c = *it->second;
      uint32_t ev = events[i].events;
      if (ev & EPOLLOUT) {
        c.writeBlocked = false;
        markDirty(c);
      }
      if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) readable(c, ev);
    }
    if (n < kMaxEvents) break;
  }
  endOfTurn();
}

// ---- accepting ---------------------------------------------------------------------------

ListenOutcome EpollBackend::listen(const ListenRequest& request) {
  linux_io::ListenConfig config;
  config.address = request.address;
  config.port = request.port;
  config.backlog = request.backlog;
  config.reusePort = request.reusePort;
  config.ipv6Only = request.ipv6Only;
  linux_io::ListenResult r = linux_io::openListener(config);
  ListenOutcome out;
  if (r.error != 0) {
    out.error = r.error;
    out.syscall = r.syscall;
    return out;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerTag | listeners_.size();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, r.fd.get(), &ev) != 0) {
    out.error = errno;
    out.syscall = "epoll_ctl";
    return out;
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (r.bound.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(r.bound);
    ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof(text));
    out.port = ntohs(a.sin_port);
    out.family = 4;
  } else {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(r.bound);
    ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof(text));
    out.port = ntohs(a.sin6_port);
    out.family = 6;
  }
  out.address = text;
  listeners_.push_back(std::move(r.fd));
  return out;
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
    if (!listeners_[i].valid()) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerTag | i;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listeners_[i].get(), &ev) != 0 && errno != EEXIST) {
      acceptPaused_ = true;  // try again on the next tick
    }
  }
}

void EpollBackend::closeListeners() {
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
    linux_io::UniqueFd socket(fd);
    if (shuttingDown_) continue;
    if (limits_.maxConnections != 0 && connections_.size() >= limits_.maxConnections) continue;
    int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) continue;
    sockaddr_storage local{};
    socklen_t localLength = sizeof(local);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLength) != 0) continue;

    uint32_t id = nextId_++;
    while (id == 0 || connections_.count(id) != 0) id = nextId_++;
    auto conn = std::make_unique<Conn>(id, *this, std::move(socket), now());
    linux_io::packAddress(local, conn->addresses);
    linux_io::packAddress(peer, conn->addresses + linux_io::kPackedAddressSize);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
    conn->interest = ev.events;
    connections_.emplace(id, std::move(conn));
  }
}

// ---- reading and writing -----------------------------------------------------------------

void EpollBackend::readable(Conn& c, uint32_t events) {
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
      if ((events & EPOLLRDHUP) && !c.http.peerClosed() && c.http.receivedEof()) {
        close(c, false);
        return;
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
        close(c, false);
        return;
      }
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) break;
    close(c, true);
    return;
  }
  size_t room = 0;
  c.http.readSpace(&room);
  if (room == 0) updateInterest(c);  // stop reading until JS wants more
}

void EpollBackend::markDirty(Conn& c) {
  if (c.dirty) return;
  c.dirty = true;
  dirty_.push_back(c.http.id());
}

void EpollBackend::flushDirty() {
  while (!dirty_.empty()) {
    std::vector<uint32_t> list;
    list.swap(dirty_);
    for (uint32_t id : list) {
      auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      it->second->dirty = false;
      flush(*it->second);
    }
  }
  maybeShutdownComplete();
}

void EpollBackend::flush(Conn& c) {
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
  if (out.empty() && c.http.closeAfterFlush()) {
    startLinger(c);
    return;
  }
  updateInterest(c);
}

bool EpollBackend::updateInterest(Conn& c) {
  uint32_t want = 0;
  if (c.lingering) {
    want = EPOLLIN | EPOLLRDHUP;
  } else {
    size_t room = 0;
    c.http.readSpace(&room);
    if (room > 0) want |= EPOLLIN | EPOLLRDHUP;
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

void EpollBackend::startLinger(Conn& c) {
  if (c.http.hasRequestsInFlight()) batch_.abort(c.http.id());
  if (::shutdown(c.fd.get(), SHUT_WR) != 0) {
    close(c, false);
    return;
  }
  c.lingering = true;
  c.lingerDeadline = now() + kLingerMs;
  updateInterest(c);
}

void EpollBackend::close(Conn& c, bool reset) {
  if (!c.lingering && c.http.hasRequestsInFlight()) batch_.abort(c.http.id());
  if (reset) {
    // An RST tells the client at once that the exchange failed.
    linger l{1, 0};
    (void)::setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  connections_.erase(c.http.id());  // closes the fd, which leaves the epoll set
  maybeShutdownComplete();
}

void EpollBackend::maybeShutdownComplete() {
  if (shuttingDown_ && !shutdownReported_ && connections_.empty()) {
    shutdownReported_ = true;
    batch_.shutdownComplete();
  }
}

// ---- calls from the N-API layer -------------------------------------------------------

http::Connection* EpollBackend::connection(uint32_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->lingering) return nullptr;
  return &it->second->http;
}

void EpollBackend::abort(uint32_t id) {
  auto it = connections_.find(id);
  if (it != connections_.end()) close(*it->second, true);
}

void EpollBackend::beginShutdown() {
  shuttingDown_ = true;
  closeListeners();
  for (auto& [id, c] : connections_) {
    if (!c->lingering) c->http.beginShutdown();
  }
  flushDirty();
}

void EpollBackend::closeAll() {
  std::vector<uint32_t> ids;
  ids.reserve(connections_.size());
  for (auto& [id, c] : connections_) ids.push_back(id);
  for (uint32_t id : ids) abort(id);
}

// ---- http::ConnectionHost -------------------------------------------------------------

void EpollBackend::onRequest(http::Connection& c, uint32_t seq, const http::RequestHead& head,
                             const char* base) {
  auto it = connections_.find(c.id());
  if (it == connections_.end()) return;
  batch_.request(c.id(), seq, head, base, it->second->addresses);
}

void EpollBackend::onBody(http::Connection& c, uint32_t seq, const char* data, size_t length) {
  batch_.body(c.id(), seq, data, length);
}

void EpollBackend::onBodyEnd(http::Connection& c, uint32_t seq, const http::ChunkedDecoder* trailers) {
  batch_.bodyEnd(c.id(), seq, trailers);
}

void EpollBackend::onBodyError(http::Connection& c, uint32_t seq, http::HttpError error) {
  batch_.bodyError(c.id(), seq, http::errorStatus(error));
}

void EpollBackend::onDrain(http::Connection& c, uint32_t seq) { batch_.drain(c.id(), seq); }

void EpollBackend::wantFlush(http::Connection& c) {
  auto it = connections_.find(c.id());
  if (it != connections_.end()) markDirty(*it->second);
}

}  // namespace syshttp::backends
