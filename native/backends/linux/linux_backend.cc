#include "linux_backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "backends/linux/listener.h"
#include "http/error_responses.h"

namespace syshttp::backends {
namespace {

// After our side is shut, how long the peer gets to read the last response and close
// before we close anyway (nginx's lingering close, so the peer never sees an RST
// instead of the answer it was sent).
constexpr uint64_t kLingerMs = 2000;

// backend.h's portable copies of http::Connection's call results and flags: the same
// numbers, or the build fails.
static_assert(static_cast<int>(SendResult::Ok) == static_cast<int>(http::SendResult::Ok));
static_assert(static_cast<uint32_t>(kSendTrailers) == static_cast<uint32_t>(http::kSendTrailers));
static_assert(static_cast<int>(SendResult::Full) == static_cast<int>(http::SendResult::Full));
static_assert(static_cast<int>(SendResult::Gone) == static_cast<int>(http::SendResult::Gone));
static_assert(static_cast<int>(SendResult::UnknownRequest) == static_cast<int>(http::SendResult::UnknownRequest));
static_assert(static_cast<int>(SendResult::LengthMismatch) == static_cast<int>(http::SendResult::LengthMismatch));
static_assert(static_cast<int>(SendResult::Ended) == static_cast<int>(http::SendResult::Ended));
static_assert(static_cast<int>(SendResult::BadStatus) == static_cast<int>(http::SendResult::BadStatus));
static_assert(static_cast<int>(SendResult::NotUpgradable) == static_cast<int>(http::SendResult::NotUpgradable));
static_assert(static_cast<int>(BodyCallResult::Ok) == static_cast<int>(http::BodyCallResult::Ok));
static_assert(static_cast<int>(BodyCallResult::Gone) == static_cast<int>(http::BodyCallResult::Gone));
static_assert(static_cast<int>(BodyCallResult::UnknownRequest) == static_cast<int>(http::BodyCallResult::UnknownRequest));
constexpr uint32_t u(uint32_t flag) { return flag; }
static_assert(u(kSendEnd) == u(http::kSendEnd) && u(kSendHasDate) == u(http::kSendHasDate) &&
              u(kSendClose) == u(http::kSendClose) && u(kSendHasConnection) == u(http::kSendHasConnection) &&
              u(kSendTrailers) == u(http::kSendTrailers) && u(kSendHasKeepAlive) == u(http::kSendHasKeepAlive) &&
              u(kSendNoLength) == u(http::kSendNoLength) && u(kSendNoChunked) == u(http::kSendNoChunked) &&
              u(kSendCloseAfter) == u(http::kSendCloseAfter) && u(kSendAppChunked) == u(http::kSendAppChunked) &&
              u(kSendFinalInformational) == u(http::kSendFinalInformational));

}  // namespace

// The libuv handles of one backend. They outlive it: libuv closes asynchronously, and
// the last close callback frees them (and tells whoever waits, see whenClosed).
struct LinuxBackend::LoopHandles {
  uv_poll_t poll;
  uv_timer_t timer;
  uv_check_t check;
  uv_prepare_t prepare;
  LinuxBackend* owner = nullptr;
  int open = 0;
  void (*onClosed)(void*) = nullptr;
  void* onClosedArg = nullptr;

  static void closed(uv_handle_t* h) {
    auto* self = static_cast<LoopHandles*>(h->data);
    if (--self->open > 0) return;
    self->finish();
  }
  void finish() {
    void (*callback)(void*) = onClosed;
    void* arg = onClosedArg;
    delete this;
    if (callback != nullptr) callback(arg);
  }
  void closeAll() {
    owner = nullptr;
    uv_handle_t* all[] = {reinterpret_cast<uv_handle_t*>(&poll), reinterpret_cast<uv_handle_t*>(&timer),
                          reinterpret_cast<uv_handle_t*>(&check), reinterpret_cast<uv_handle_t*>(&prepare)};
    int initialised = open;
    if (initialised == 0) {
      finish();
      return;
    }
    for (int i = 0; i < initialised; ++i) uv_close(all[i], closed);
  }
};

LinuxBackend::LinuxBackend(uv_loop_t* loop, const http::ServerLimits& limits, bridge::Batch& batch,
                           BackendOwner& owner)
    : loop_(loop), limits_(limits), batch_(batch), owner_(owner) {
  uint32_t shortest = std::min({limits.keepAliveTimeoutMs, limits.requestHeadersTimeoutMs,
                                limits.sendStallTimeoutMs,
                                limits.minBodyBytesPerSecond > 0 ? limits.minBodyRateGraceMs : 1000u});
  tickMs_ = std::clamp<uint32_t>(shortest / 4, 50, 1000);
}

LinuxBackend::~LinuxBackend() { stopLoop(); }

// Set-up order: uv_poll on the backend's fd → timer → check → prepare; stopLoop()
// closes them all, before the backend closes the fd.
int LinuxBackend::startLoop(int pollFd) {
  handles_ = new LoopHandles();
  handles_->owner = this;
  int rc = uv_poll_init(loop_, &handles_->poll, pollFd);
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
  refed_ = true;  // a new poll handle is ref'd
  updateRef();
  lastTick_ = now();
  return 0;
}

void LinuxBackend::stopLoop() {
  if (handles_ == nullptr) return;
  handles_->closeAll();  // uv_close stops polling at once
  handles_ = nullptr;
}

void LinuxBackend::whenClosed(void (*callback)(void*), void* arg) {
  if (handles_ == nullptr) {
    callback(arg);
    return;
  }
  handles_->onClosed = callback;
  handles_->onClosedArg = arg;
}

// ---- loop callbacks --------------------------------------------------------------------

void LinuxBackend::onPoll(uv_poll_t* handle, int status, int) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner == nullptr || status < 0) return;
  LinuxBackend& b = *h->owner;
  b.onReadable();
  b.endOfTurn();
}

void LinuxBackend::onTimer(uv_timer_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner == nullptr) return;
  LinuxBackend& b = *h->owner;
  uint64_t t = b.now();
  // A tick late because the loop was blocked would count the stall against clients
  // whose bytes are still unread in the kernel: count at most two ticks.
  uint32_t elapsed = static_cast<uint32_t>(std::min<uint64_t>(t - b.lastTick_, 2 * b.tickMs_));
  b.lastTick_ = t;
  b.date_.update(std::time(nullptr));
  b.onTick();
  std::vector<std::pair<uint32_t, bool>> expired;  // id, reset
  for (auto& [id, c] : b.connections_) {
    if (c->lingering) {
      if (t >= c->lingerDeadline) expired.emplace_back(id, false);
    } else if (c->http.tick(t, elapsed)) {
      expired.emplace_back(id, true);
    }
  }
  for (auto [id, reset] : expired) {
    if (Conn* c = b.find(id)) b.close(*c, reset);
  }
  b.endOfTurn();
}

void LinuxBackend::onTurn(uv_check_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner != nullptr) h->owner->endOfTurn();
}

void LinuxBackend::onPrepare(uv_prepare_t* handle) {
  auto* h = static_cast<LoopHandles*>(handle->data);
  if (h->owner != nullptr) h->owner->endOfTurn();
}

void LinuxBackend::endOfTurn() {
  // JS first (it answers what this turn brought), then one flush per dirty connection.
  // A flush can raise drains or aborts: they go to JS now rather than after the loop's
  // next wait (which could be a whole timer tick away). Bounded, like any loop here.
  for (int round = 0; round < 4; ++round) {
    if (!owner_.dispatchEvents()) return;  // destroyed meanwhile: `this` is gone
    // Half-closed connections are settled once JS has also heard what its own calls
    // raised (a body it read, a body error found as it read): its turn is over then.
    if (batch_.empty() || round == 3) settleHalfClosed();
    flushDirty();
    if (batch_.empty()) break;
  }
  afterFlush();
}

// ---- connections -----------------------------------------------------------------------

LinuxBackend::Conn* LinuxBackend::find(uint32_t id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

bool LinuxBackend::byteCounts(uint32_t connection, uint64_t* read, uint64_t* written, uint64_t* queued) {
  const Conn* c = find(connection);
  if (c == nullptr) return false;
  *read = c->http.bytesRead();
  *written = c->http.bytesWritten();
  *queued = c->http.queuedOutput();
  return true;
}

void LinuxBackend::erase(uint32_t id) {
  auto it = connections_.find(id);
  if (it != connections_.end() && !it->second->unrefed) --refedConnections_;
  if (it != connections_.end() && it->second->announced) {
    // The final counts go with the record: the socket still answers them after its close.
    const http::Connection& h = it->second->http;
    batch_.connectionClosed(id, h.bytesRead(), h.bytesWritten());
  }
  connections_.erase(id);  // closes the fd
  if (refedConnections_ == 0) updateRef();
  maybeShutdownComplete();
}

void LinuxBackend::accepted(linux_io::UniqueFd socket, const sockaddr_storage& peer) {
  if (shuttingDown_) return;
  if (limits_.maxConnections != 0 && connections_.size() >= limits_.maxConnections) return;
  int fd = socket.get();
  sockaddr_storage local{};
  socklen_t localLength = sizeof(local);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLength) != 0) return;
  int one = 1;
  if (local.ss_family != AF_UNIX && ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) return;

  uint32_t id = nextId_++;
  while (id == 0 || connections_.count(id) != 0) id = nextId_++;
  std::unique_ptr<Conn> conn = makeConn(id, std::move(socket));
  linux_io::packAddress(local, conn->addresses);
  linux_io::packAddress(peer, conn->addresses + linux_io::kPackedAddressSize);
  Conn& c = *conn;
  connections_.emplace(id, std::move(conn));
  ++refedConnections_;
  if (!refed_) updateRef();
  // Announced before startConn, which may read (and so report a request) at once.
  if (connectionEvents_) {
    c.announced = true;
    batch_.connectionOpen(id, c.addresses);
  }
  if (!startConn(c)) erase(id);
}

void LinuxBackend::markDirty(Conn& c) {
  if (c.dirty) return;
  c.dirty = true;
  dirty_.push_back(c.http.id());
}

void LinuxBackend::flushDirty() {
  while (!dirty_.empty()) {
    std::vector<uint32_t> list;
    list.swap(dirty_);
    for (uint32_t id : list) {
      Conn* c = find(id);
      if (c == nullptr) continue;
      c->dirty = false;
      flush(*c);
    }
  }
  maybeShutdownComplete();
}

void LinuxBackend::startLinger(Conn& c) {
  if (c.http.hasRequestsInFlight()) batch_.abort(c.http.id());
  if (c.http.peerClosed() || ::shutdown(c.fd.get(), SHUT_WR) != 0) {
    close(c, false);
    return;
  }
  c.lingering = true;
  c.lingerDeadline = now() + kLingerMs;
}

bool LinuxBackend::shutRawWrite(Conn& c) {
  if (::shutdown(c.fd.get(), SHUT_WR) != 0) {
    close(c, false);
    return false;
  }
  if (c.http.wroteShutdown()) {
    close(c, false);  // the peer had ended already: both sides are done
    return false;
  }
  return true;
}

void LinuxBackend::close(Conn& c, bool reset) {
  if (!c.lingering && c.http.hasRequestsInFlight()) batch_.abort(c.http.id());
  c.lingering = true;  // no more events for JS from this connection
  if (reset) {
    // An RST tells the client at once that the exchange failed.
    linger l{1, 0};
    (void)::setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  release(c, reset);
}

void LinuxBackend::peerEnded(Conn& c) { halfClosed_.push_back(c.http.id()); }

void LinuxBackend::settleHalfClosed() {
  if (halfClosed_.empty()) return;
  std::vector<uint32_t> ids;
  ids.swap(halfClosed_);
  for (uint32_t id : ids) {
    Conn* c = find(id);
    if (c == nullptr || c->lingering) continue;
    // What JS has not answered by now is aborted (node:http ends its socket's side at the
    // end and aborts what is left when the socket closes); else it closes after the flush.
    if (c->http.settleAfterEof()) close(*c, false);
  }
}

void LinuxBackend::maybeShutdownComplete() {
  if (shuttingDown_ && !shutdownReported_ && connections_.empty()) {
    shutdownReported_ = true;
    batch_.shutdownComplete();
  }
}

// ---- listeners --------------------------------------------------------------------------

ListenOutcome LinuxBackend::listen(const ListenRequest& request) {
  linux_io::ListenConfig config;
  config.address = request.address;
  config.port = request.port;
  config.backlog = request.backlog;
  config.reusePort = request.reusePort;
  config.ipv6Only = request.ipv6Only;
  config.path = request.path;
  linux_io::ListenResult r = linux_io::openListener(config);
  ListenOutcome out;
  if (r.error != 0) {
    out.error = r.error;
    out.syscall = r.syscall;
    return out;
  }
  if (!watchListener(r.fd.get(), listeners_.size())) {
    out.error = errno != 0 ? errno : EIO;
    out.syscall = "watch";
    return out;
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (r.bound.ss_family == AF_UNIX) {
    out.address = request.path;
    out.family = 0;
    listeners_.push_back(std::move(r.fd));
    return out;
  }
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

void LinuxBackend::closeListeners() {
  unwatchListeners();
}

// ---- calls from the N-API layer -------------------------------------------------------

http::Connection* LinuxBackend::live(uint32_t id) {
  Conn* c = find(id);
  return c == nullptr || c->lingering ? nullptr : &c->http;
}

SendResult LinuxBackend::send(uint32_t connection, uint32_t seq, int status, const char* head,
                              size_t headLength, const char* body, size_t bodyLength, uint32_t flags,
                              int64_t declaredLength) {
  http::Connection* c = live(connection);
  if (c == nullptr) return SendResult::Gone;
  return static_cast<SendResult>(
      c->send(seq, status, head, headLength, body, bodyLength, flags, declaredLength));
}

SendResult LinuxBackend::sendLent(uint32_t connection, uint32_t seq, int status, const char* head,
                                  size_t headLength, const char* body, size_t bodyLength, uint32_t flags,
                                  int64_t declaredLength, http::ExternalBytes& lender) {
  http::Connection* c = live(connection);
  if (c == nullptr) return SendResult::Gone;
  return static_cast<SendResult>(
      c->send(seq, status, head, headLength, body, bodyLength, flags, declaredLength, &lender));
}

BodyCallResult LinuxBackend::readBody(uint32_t connection, uint32_t seq, uint64_t maxBodySize) {
  http::Connection* c = live(connection);
  if (c == nullptr) return BodyCallResult::Gone;
  return static_cast<BodyCallResult>(c->readBody(seq, maxBodySize));
}

BodyCallResult LinuxBackend::pauseBody(uint32_t connection, uint32_t seq, bool paused) {
  http::Connection* c = live(connection);
  if (c == nullptr) return BodyCallResult::Gone;
  return static_cast<BodyCallResult>(c->pauseBody(seq, paused));
}

SendResult LinuxBackend::detach(uint32_t connection, uint32_t seq, bool hijack, std::string* buffered) {
  http::Connection* c = live(connection);
  if (c == nullptr) return SendResult::Gone;
  return static_cast<SendResult>(c->detach(seq, hijack, buffered));
}

SendResult LinuxBackend::peekUpgrade(uint32_t connection, uint32_t seq, std::string* buffered) {
  http::Connection* c = live(connection);
  if (c == nullptr) return SendResult::Gone;
  return static_cast<SendResult>(c->peekUpgrade(seq, buffered));
}

SendResult LinuxBackend::writeRaw(uint32_t connection, const char* data, size_t length) {
  http::Connection* c = live(connection);
  if (c == nullptr) return SendResult::Gone;
  return static_cast<SendResult>(c->writeRaw(data, length));
}

SendResult LinuxBackend::endRaw(uint32_t connection, bool close) {
  http::Connection* c = live(connection);
  if (c == nullptr) return SendResult::Gone;
  return static_cast<SendResult>(c->endRaw(close));
}

void LinuxBackend::mirrorInput(uint32_t connection, bool paused) {
  if (http::Connection* c = live(connection)) c->setMirrorInput(paused);
}

void LinuxBackend::pauseRaw(uint32_t connection, bool paused) {
  if (http::Connection* c = live(connection)) c->pauseRaw(paused);
}

// Only the poll handle ever keeps the loop alive (startLoop): ref/unref is that one.
void LinuxBackend::setRef(bool ref) {
  refWanted_ = ref;
  updateRef();
}

void LinuxBackend::setConnectionRef(uint32_t connection, bool ref) {
  Conn* c = find(connection);
  if (c == nullptr || c->unrefed == !ref) return;
  c->unrefed = !ref;
  if (ref) ++refedConnections_;
  else --refedConnections_;
  updateRef();
}

int LinuxBackend::setNoDelay(uint32_t connection, bool on) {
  Conn* c = find(connection);
  if (c == nullptr || c->lingering) return ENOENT;
  if (c->nagle == !on) return 0;  // as it is (ws sets it on every upgraded socket)
  int value = on ? 1 : 0;
  if (::setsockopt(c->fd.get(), IPPROTO_TCP, TCP_NODELAY, &value, sizeof(value)) != 0) return errno;
  c->nagle = !on;
  return 0;
}

int LinuxBackend::setKeepAlive(uint32_t connection, bool on, unsigned delaySeconds) {
  Conn* c = find(connection);
  if (c == nullptr || c->lingering) return ENOENT;
  const int fd = c->fd.get();
  int value = on ? 1 : 0;
  if (::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &value, sizeof(value)) != 0) return errno;
  if (!on || delaySeconds == 0) return 0;  // the kernel's idle time (libuv stops here too)
  // As libuv 1.46 (node 20): probes after delaySeconds idle, then every second, 10 of them.
  int idle = static_cast<int>(std::min(delaySeconds, 32767u));  // the kernel's MAX_TCP_KEEPIDLE
  int interval = 1;
  int count = 10;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) != 0) return errno;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval)) != 0) return errno;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) != 0) return errno;
  return 0;
}

void LinuxBackend::updateRef() {
  if (handles_ == nullptr) return;
  bool want = refWanted_ || refedConnections_ > 0;
  if (want == refed_) return;
  refed_ = want;
  auto* poll = reinterpret_cast<uv_handle_t*>(&handles_->poll);
  if (want) uv_ref(poll);
  else uv_unref(poll);
}

void LinuxBackend::abort(uint32_t id, bool reset, bool flushInFlight) {
  Conn* c = find(id);
  if (c == nullptr || c->lingering) return;
  // What was queued goes out, then the usual close after a flush (with its linger),
  // unless a response still being written wrote this JS turn: node's socket.destroy()
  // drops what its corked socket holds, and so does this (the JS layer says which).
  bool inFlight = c->http.hasRequestsInFlight();
  if (!reset && (flushInFlight || !inFlight) && c->http.stopAfterOutput()) {
    if (inFlight) batch_.abort(id);
    return;
  }
  close(*c, reset);
}

void LinuxBackend::beginShutdown(bool keepConnections) {
  shuttingDown_ = true;
  shutdownKeepsConnections_ = keepConnections;
  closeListeners();
  if (!keepConnections) {
    for (auto& [id, c] : connections_) {
      if (!c->lingering) c->http.beginShutdown();
    }
  }
  flushDirty();  // and ShutdownComplete once no connection is left
}

bool LinuxBackend::resumeAfterShutdown() {
  if (!shuttingDown_ || !shutdownKeepsConnections_) return false;
  // Only the listeners were closed: the connections never heard of the stop.
  shuttingDown_ = false;
  shutdownReported_ = false;
  return true;
}

void LinuxBackend::closeAll() {
  std::vector<uint32_t> ids;
  ids.reserve(connections_.size());
  for (auto& [id, c] : connections_) ids.push_back(id);
  for (uint32_t id : ids) {
    if (Conn* c = find(id)) close(*c, true);
  }
}

// ---- http::ConnectionHost -------------------------------------------------------------

void LinuxBackend::onRequest(http::Connection& c, uint32_t seq, const http::RequestHead& head,
                             const char* base) {
  if (Conn* conn = find(c.id())) batch_.request(c.id(), seq, head, base, conn->addresses);
}

void LinuxBackend::onBody(http::Connection& c, uint32_t seq, const char* data, size_t length) {
  batch_.body(c.id(), seq, data, length);
}

void LinuxBackend::onBodyEnd(http::Connection& c, uint32_t seq, const http::ChunkedDecoder* trailers) {
  batch_.bodyEnd(c.id(), seq, trailers);
}

void LinuxBackend::onBodyError(http::Connection& c, uint32_t seq, http::HttpError error) {
  batch_.bodyError(c.id(), seq, http::errorStatus(error));
}

void LinuxBackend::onClientError(http::Connection& c, http::HttpError error, bool deferred,
                                 const http::ClientErrorDetail& detail) {
  if (Conn* conn = find(c.id())) batch_.clientError(c.id(), http::errorStatus(error), deferred, detail, conn->addresses);
}

void LinuxBackend::onDrain(http::Connection& c, uint32_t seq) { batch_.drain(c.id(), seq); }

void LinuxBackend::onRaw(http::Connection& c, const char* data, size_t length) {
  batch_.raw(c.id(), data, length);
}

void LinuxBackend::onRawEnd(http::Connection& c) { batch_.rawEnd(c.id()); }

void LinuxBackend::onInputCopy(uint32_t connection, const char* data, size_t length) {
  batch_.inputCopy(connection, data, length);
}

void LinuxBackend::wantFlush(http::Connection& c) {
  if (Conn* conn = find(c.id())) markDirty(*conn);
}

}  // namespace syshttp::backends
