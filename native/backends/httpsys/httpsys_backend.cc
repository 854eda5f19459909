#include "backends/httpsys/httpsys_backend.h"

#include <cstdio>
#include <cstring>

namespace syshttp::httpsys {

using backends::BodyCallResult;
using backends::ListenOutcome;
using backends::ListenRequest;
using backends::SendResult;

namespace {

constexpr uint32_t kDefaultReceives = 8;   // Wine serves no more requests at once than this
constexpr uint32_t kMaxReceives = 64;
constexpr ULONG kReceiveBuffer = 16 * 1024;  // grown on ERROR_MORE_DATA
constexpr ULONG kBodyBuffer = 64 * 1024;
constexpr size_t kSmallWrite = 4 * 1024;     // below this, let HTTP.sys coalesce (BUFFER_DATA)
// Under Wine, a streamed response is held until it completes (no
// HttpSendResponseEntityBody there); past this, the connection is dropped instead.
constexpr size_t kWineHoldLimit = 16 * 1024 * 1024;
constexpr DWORD kCancelWaitMs = 2000;

enum OpKind : int { kReceive, kBody, kSend, kDisconnect };

uint64_t key(uint32_t connection, uint32_t seq) { return (static_cast<uint64_t>(connection) << 32) | seq; }

std::wstring widen(const std::string& s) {
  std::wstring w;
  w.reserve(s.size());
  for (unsigned char c : s) w.push_back(static_cast<wchar_t>(c));
  return w;
}

std::string narrow(const std::wstring& w) {
  std::string s;
  s.reserve(w.size());
  for (wchar_t c : w) s.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  return s;
}

std::string envVar(const wchar_t* name) {
  wchar_t buffer[256];
  DWORD n = GetEnvironmentVariableW(name, buffer, 256);
  if (n == 0 || n >= 256) return {};
  return narrow(std::wstring(buffer, n));
}

// The body bytes of one write, in chunked coding when `chunked` ("<hex>\r\n…\r\n").
// Sized once and copied with memcpy (also keeps GCC 12's -Wrestrict false positive on
// chained std::string appends away).
void frame(std::string& out, const char* body, size_t length, bool chunked) {
  if (!chunked) {
    out.assign(body, length);
    return;
  }
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", length);
  size_t prefix = n > 0 ? static_cast<size_t>(n) : 0;
  out.resize(prefix + length + 2);
  std::memcpy(out.data(), size, prefix);
  std::memcpy(out.data() + prefix, body, length);
  std::memcpy(out.data() + prefix + length, "\r\n", 2);
}

bool bodyAllowed(int status) { return status != 204 && status != 304; }

// "http://+:8080/app/" → host "+", port 8080.
bool splitPrefix(const std::string& url, std::string* host, int* port) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  size_t hostStart = scheme + 3;
  size_t pathStart = url.find('/', hostStart);
  std::string authority = url.substr(hostStart, pathStart == std::string::npos ? std::string::npos : pathStart - hostStart);
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos || authority.find(']', colon) != std::string::npos) {
    *host = authority;
    *port = url.compare(0, 5, "https") == 0 ? 443 : 80;
    return true;
  }
  *host = authority.substr(0, colon);
  *port = std::atoi(authority.c_str() + colon + 1);
  return *port > 0 && *port < 65536;
}

}  // namespace

// One overlapped call. OVERLAPPED is the first member: the completion port hands back
// its address, which is this Op's.
struct HttpSysBackend::Op {
  OVERLAPPED ov{};
  int kind = kReceive;
  uint32_t connection = 0;
  uint32_t seq = 0;
  // receive / body: the buffer the kernel writes into (8-byte aligned for HTTP_REQUEST)
  std::unique_ptr<uint64_t[]> buffer;
  ULONG bufferBytes = 0;
  // send: everything the HTTP_RESPONSE and its chunks point into
  std::string head;
  std::string contentLength;
  ResponseHead response;
  std::string data;
  std::vector<HTTP_DATA_CHUNK> chunks;
  HTTP_CACHE_POLICY cache{};  // HttpSendHttpResponse's policy for a whole response
  bool final = false;
  // disconnect
  HTTP_CONNECTION_ID httpConnection = HTTP_NULL_ID;

  void resize(ULONG bytes) {
    buffer = std::make_unique<uint64_t[]>((bytes + 7) / 8);
    bufferBytes = bytes;
  }
};

// A request JS was told about and has not finished answering, or whose last send is
// still with the kernel.
struct HttpSysBackend::Request {
  HTTP_REQUEST_ID id = HTTP_NULL_ID;
  uint32_t connection = 0;
  uint32_t seq = 0;
  RequestSummary summary;
  // response
  bool started = false;     // the head went to JS's send()
  bool ended = false;       // JS completed the response
  bool sentFinal = false;   // the last send was issued
  bool noBody = false;      // HEAD, 204, 304: body bytes are dropped
  bool chunked = false;     // we frame the body with chunked coding
  bool disconnect = false;  // close the connection after this response
  bool failed = false;
  int64_t declared = -1;
  uint32_t cacheTtl = 0;    // seconds the kernel may serve this response from its cache
  uint64_t written = 0;
  size_t sendsOut = 0;
  size_t bytesOut = 0;
  bool needDrain = false;
  // Wine only: a streamed response held until it completes
  bool holding = false;
  int heldStatus = 0;
  std::string heldHead;
  std::string held;
  // request body
  bool bodyRequested = false;
  bool bodyPaused = false;
  bool bodyReading = false;
  bool bodyDone = false;
  uint64_t bodyReceived = 0;
  uint64_t bodyLimit = 0;
};

struct HttpSysBackend::Conn {
  uint32_t id = 0;
  HTTP_CONNECTION_ID httpId = HTTP_NULL_ID;
  uint32_t nextSeq = 1;
  uint32_t inFlight = 0;
  bool watched = false;  // a HttpWaitForDisconnect is outstanding
};

// ---- set-up --------------------------------------------------------------------------

HttpSysBackend::HttpSysBackend(const http::ServerLimits& limits, bridge::Batch& batch,
                               backends::BackendOwner& owner, const HttpSysOptions& options)
    : limits_(limits), batch_(batch), owner_(owner), options_(options) {}

std::unique_ptr<HttpSysBackend> HttpSysBackend::create(napi_env env, const http::ServerLimits& limits,
                                                       bridge::Batch& batch, backends::BackendOwner& owner,
                                                       const HttpSysOptions& options, ULONG* error,
                                                       std::string* call) {
  std::unique_ptr<HttpSysBackend> b(new HttpSysBackend(limits, batch, owner, options));
  *error = b->setUp(env, call);
  if (*error != NO_ERROR) return nullptr;  // the members unwind what was set up
  return b;
}

ULONG HttpSysBackend::setUp(napi_env env, std::string* call) {
  ULONG r = api_.initialize();
  if (r != NO_ERROR) return *call = "HttpInitialize", r;
  QueueMode mode = options_.requestQueueMode == "attach"           ? QueueMode::Attach
                   : options_.requestQueueMode == "createOrAttach" ? QueueMode::CreateOrAttach
                                                                   : QueueMode::Create;
  r = queue_.open(widen(options_.requestQueueName), mode, &attached_);
  if (r != NO_ERROR) return *call = "HttpCreateRequestQueue", r;
  if (!attached_) {
    // A queue we created: it needs a session and a URL group bound to it. (The queue is
    // opened before them only so that 'attach' needs neither; they are still closed
    // before it, see the destructor.)
    r = session_.create();
    if (r != NO_ERROR) return *call = "HttpCreateServerSession", r;
    r = group_.create(session_.id());
    if (r != NO_ERROR) return *call = "HttpCreateUrlGroup", r;
    r = group_.bind(queue_.handle());
    if (r != NO_ERROR) return *call = "HttpSetUrlGroupProperty(Binding)", r;
    configure();
  }
  r = port_.start(env, onCompletions, this);
  if (r != NO_ERROR) return *call = "CreateIoCompletionPort", r;
  r = port_.associate(queue_.handle());
  if (r != NO_ERROR) return *call = "CreateIoCompletionPort(queue)", r;
  receiveTarget_ = options_.receives != 0 ? options_.receives : kDefaultReceives;
  if (receiveTarget_ > kMaxReceives) receiveTarget_ = kMaxReceives;
  postReceives();
  if (receivesOut_ == 0) return *call = "HttpReceiveHttpRequest", ERROR_GEN_FAILURE;
  return NO_ERROR;
}

// Properties of a queue and group we own. A property this http.sys does not implement
// (Wine answers ERROR_CALL_NOT_IMPLEMENTED to all but the binding) is noted, not fatal:
// the server still works, without that limit.
void HttpSysBackend::configure() {
  auto note = [&](const char* what, ULONG r) {
    if (r == NO_ERROR) return;
    if (!ignored_.empty()) ignored_ += ", ";
    ignored_ += what;
    ignored_ += " (error " + std::to_string(r) + ")";
  };
  HTTP_TIMEOUT_LIMIT_INFO t{};
  auto seconds = [](uint32_t s) { return static_cast<USHORT>(s > 0xffff ? 0xffff : s); };
  t.EntityBody = seconds(options_.entityBodyTimeout);
  t.DrainEntityBody = seconds(options_.drainEntityBodyTimeout);
  t.RequestQueue = seconds(options_.requestQueueTimeout);
  t.IdleConnection = seconds(options_.idleConnectionTimeout != 0 ? options_.idleConnectionTimeout
                                                                  : (limits_.keepAliveTimeoutMs + 999) / 1000);
  t.HeaderWait = seconds(options_.headerWaitTimeout != 0 ? options_.headerWaitTimeout
                                                         : (limits_.requestHeadersTimeoutMs + 999) / 1000);
  t.MinSendRate = options_.minSendBytesPerSecond;
  note("timeouts", group_.setTimeouts(t));
  uint32_t maxConnections = options_.maxConnections != 0 ? options_.maxConnections : limits_.maxConnections;
  if (maxConnections != 0) note("maxConnections", group_.setMaxConnections(maxConnections));
  if (options_.requestQueueLimit != 0) note("requestQueueLimit", queue_.setLength(options_.requestQueueLimit));
}

HttpSysBackend::~HttpSysBackend() {
  closing_ = true;
  // Reverse of set-up: URLs and the group go first (no new requests are routed to us),
  // then the queue (cancels every outstanding call), then the completion thread, once
  // the cancelled calls have completed. Only then may their buffers be freed.
  group_.close();
  queue_.close();
  bool clean = port_.stop(kCancelWaitMs);
  if (!clean) {
    // Some call never completed: the kernel may still write into its Op. Leak them all
    // rather than free memory that is in use.
    for (auto& [p, op] : ops_) op.release();
  }
  ops_.clear();
  session_.close();
}

void HttpSysBackend::whenClosed(void (*callback)(void*), void* arg) { port_.whenClosed(callback, arg); }

std::string HttpSysBackend::describe() const {
  std::string d = "httpsys (HTTP Server API 2.0, " + std::to_string(receiveTarget_) + " receives";
  if (attached_) d += ", attached to queue " + options_.requestQueueName;
  if (api_.underWine()) d += ", Wine: streamed responses held until complete, no disconnect notification";
  if (!ignored_.empty()) d += ", ignored by this http.sys: " + ignored_;
  return d + ")";
}

// ---- listening ---------------------------------------------------------------------------

ListenOutcome HttpSysBackend::listen(const ListenRequest& request) {
  ListenOutcome out;
  out.syscall = "HttpAddUrlToUrlGroup";
  if (!request.path.empty()) {
    out.error = ERROR_NOT_SUPPORTED;
    out.message = "HTTP.sys serves URL prefixes, not Unix socket paths";
    return out;
  }
  if (attached_) {
    // The queue's owner registered its URLs: there is nothing to bind here.
    out.address = request.address;
    out.port = request.port;
    out.family = request.address.find(':') != std::string::npos ? 6 : 4;
    listening_ = true;
    return out;
  }
  std::vector<std::string> prefixes;
  if (!options_.urlPrefixes.empty()) {
    if (listening_) {
      out.error = ERROR_ALREADY_EXISTS;
      out.message = "the urlPrefixes are registered already (listen() once with urlPrefixes)";
      return out;
    }
    prefixes = options_.urlPrefixes;
  } else {
    if (request.port == 0) {
      out.error = ERROR_INVALID_PARAMETER;
      out.message = "HTTP.sys cannot choose a port: give listen() an explicit port, or urlPrefixes";
      return out;
    }
    std::string host = request.address;
    if (host == "::" || host == "0.0.0.0" || host.empty()) {
      host = "+";  // the strong wildcard: every address, every host name
    } else if (host.find(':') != std::string::npos) {
      host = "[" + host + "]";
    }
    prefixes.push_back("http://" + host + ":" + std::to_string(request.port) + "/");
  }
  for (size_t i = 0; i < prefixes.size(); ++i) {
    std::wstring url = widen(prefixes[i]);
    // UrlContext: the prefix's index + 1 (0 is listen()'s own prefix).
    ULONG r = group_.addUrl(url, options_.urlPrefixes.empty() ? 0 : i + 1);
    if (r != NO_ERROR) {
      out.error = static_cast<int>(r);
      if (r == ERROR_ACCESS_DENIED) {
        std::string domain = envVar(L"USERDOMAIN");
        std::string user = envVar(L"USERNAME");
        std::string who = domain.empty() ? user : domain + "\\" + user;
        out.message = "access denied registering " + prefixes[i] +
                      ": this account may not listen on that URL. As an administrator, run: netsh http add urlacl url=" +
                      prefixes[i] + " user=" + (who.empty() ? "<your account>" : who);
      } else if (r == ERROR_ALREADY_EXISTS || r == ERROR_SHARING_VIOLATION) {
        out.message = prefixes[i] + " is registered by another request queue or process";
      } else {
        out.message = "HttpAddUrlToUrlGroup(" + prefixes[i] + ") failed with Win32 error " + std::to_string(r);
      }
      for (const std::wstring& done : urls_) HttpRemoveUrlFromUrlGroup(group_.id(), done.c_str(), 0);
      urls_.clear();
      return out;
    }
    urls_.push_back(std::move(url));
  }
  std::string host;
  int port = 0;
  splitPrefix(prefixes[0], &host, &port);
  if (host == "+" || host == "*") host = request.address.empty() || !options_.urlPrefixes.empty() ? "0.0.0.0" : request.address;
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  out.address = host;
  out.port = port;
  out.family = host.find(':') != std::string::npos ? 6 : 4;
  listening_ = true;
  return out;
}

void HttpSysBackend::closeListeners() {
  for (const std::wstring& url : urls_) HttpRemoveUrlFromUrlGroup(group_.id(), url.c_str(), 0);
  urls_.clear();
}

// ---- completions -----------------------------------------------------------------------

void HttpSysBackend::onCompletions(void* self, std::vector<OVERLAPPED_ENTRY>& completions) {
  auto* b = static_cast<HttpSysBackend*>(self);
  uint32_t requestsBefore = 0;
  for (const OVERLAPPED_ENTRY& e : completions) {
    if (e.lpOverlapped == nullptr) continue;  // a wake(): only the dispatch below
    auto it = b->ops_.find(reinterpret_cast<Op*>(e.lpOverlapped));
    if (it == b->ops_.end()) continue;
    Op& op = *it->second;
    DWORD bytes = 0;
    ULONG error = NO_ERROR;
    if (!GetOverlappedResult(b->queue_.handle(), &op.ov, &bytes, FALSE)) error = GetLastError();
    if (op.kind == kReceive && error == NO_ERROR) ++requestsBefore;
    b->completed(op, error, bytes);
  }
  // Every receive came back full in one wake-up: the load can use more of them.
  if (requestsBefore >= b->receiveTarget_ && b->receiveTarget_ < kMaxReceives && !b->shuttingDown_) {
    b->receiveTarget_ = b->receiveTarget_ * 2 > kMaxReceives ? kMaxReceives : b->receiveTarget_ * 2;
    b->postReceives();
  }
  // The one call into JS for this wake-up. False: JS destroyed us meanwhile.
  if (!b->owner_.dispatchEvents()) return;
}

void HttpSysBackend::completed(Op& op, ULONG error, ULONG bytes) {
  switch (op.kind) {
    case kReceive: received(op, error, bytes); break;
    case kBody: bodyRead(op, error, bytes); break;
    case kSend: sent(op, error); break;
    case kDisconnect: disconnected(op, error); break;
    default: break;
  }
}

HttpSysBackend::Op& HttpSysBackend::newOp(int kind) {
  auto op = std::make_unique<Op>();
  op->kind = kind;
  Op& ref = *op;
  ops_.emplace(&ref, std::move(op));
  return ref;
}

std::unique_ptr<HttpSysBackend::Op> HttpSysBackend::takeOp(Op& op) {
  auto it = ops_.find(&op);
  std::unique_ptr<Op> owned = std::move(it->second);
  ops_.erase(it);
  return owned;
}

void HttpSysBackend::wake() { port_.wake(); }

// ---- receiving requests ------------------------------------------------------------------

void HttpSysBackend::postReceives() {
  while (receivesOut_ < receiveTarget_ && !shuttingDown_ && !closing_) {
    Op& op = newOp(kReceive);
    op.resize(kReceiveBuffer);
    if (!postReceive(op, HTTP_NULL_ID)) break;
  }
}

// Posts `op` as a receive. False (and `op` freed): the call failed at once.
bool HttpSysBackend::postReceive(Op& op, HTTP_REQUEST_ID id) {
  op.ov = OVERLAPPED{};
  port_.issued();
  ULONG r = HttpReceiveHttpRequest(queue_.handle(), id, 0, reinterpret_cast<PHTTP_REQUEST>(op.buffer.get()),
                                   op.bufferBytes, nullptr, &op.ov);
  if (r == NO_ERROR || r == ERROR_IO_PENDING) {
    ++receivesOut_;
    return true;
  }
  port_.notIssued();
  takeOp(op);
  return false;
}

void HttpSysBackend::received(Op& op, ULONG error, ULONG bytes) {
  --receivesOut_;
  if (closing_ || error == ERROR_OPERATION_ABORTED || error == ERROR_INVALID_HANDLE) {
    takeOp(op);
    return;
  }
  if (error == ERROR_MORE_DATA) {
    // The request did not fit: receive it again by its id into a buffer of the size
    // HTTP.sys asked for.
    HTTP_REQUEST_ID id = reinterpret_cast<const HTTP_REQUEST*>(op.buffer.get())->RequestId;
    op.resize(bytes > op.bufferBytes ? bytes : op.bufferBytes * 2);
    postReceive(op, id);
    return;
  }
  if (error == NO_ERROR) deliver(*reinterpret_cast<const HTTP_REQUEST*>(op.buffer.get()));
  // ERROR_CONNECTION_INVALID (the client left while we re-received) and anything else:
  // this request is gone; keep receiving the next ones.
  if (shuttingDown_ || receivesOut_ >= receiveTarget_) {
    takeOp(op);
    return;
  }
  if (op.bufferBytes > 4 * kReceiveBuffer) op.resize(kReceiveBuffer);  // one large head does not pin memory
  postReceive(op, HTTP_NULL_ID);
}

void HttpSysBackend::deliver(const HTTP_REQUEST& r) {
  Conn* conn = nullptr;
  auto known = connIds_.find(r.ConnectionId);
  if (known != connIds_.end()) {
    conn = conns_[known->second].get();
  } else {
    auto c = std::make_unique<Conn>();
    c->id = nextConnId_++;
    if (nextConnId_ == 0) nextConnId_ = 1;
    c->httpId = r.ConnectionId;
    conn = c.get();
    connIds_.emplace(r.ConnectionId, c->id);
    conns_.emplace(c->id, std::move(c));
    // Hear when the client goes away, to abort what JS still works on. Wine's http.sys
    // has no HttpWaitForDisconnect: there a connection is forgotten once it is idle.
    if (WaitForDisconnectFn wait = api_.waitForDisconnect(); wait != nullptr && !api_.underWine()) {
      Op& op = newOp(kDisconnect);
      op.connection = conn->id;
      op.httpConnection = r.ConnectionId;
      port_.issued();
      ULONG w = wait(queue_.handle(), r.ConnectionId, &op.ov);
      if (w == NO_ERROR || w == ERROR_IO_PENDING) {
        conn->watched = true;
      } else {
        port_.notIssued();
        takeOp(op);
      }
    }
  }
  auto req = std::make_unique<Request>();
  req->id = r.RequestId;
  req->connection = conn->id;
  req->seq = conn->nextSeq++;
  req->summary = record_.append(batch_, req->connection, req->seq, r);
  req->bodyLimit = limits_.maxRequestBodySize;
  ++conn->inFlight;
  requests_.emplace(key(req->connection, req->seq), std::move(req));
}

// ---- request bodies -------------------------------------------------------------------

BodyCallResult HttpSysBackend::readBody(uint32_t connection, uint32_t seq, uint64_t maxBodySize) {
  if (conns_.find(connection) == conns_.end()) return BodyCallResult::Gone;
  Request* req = findRequest(connection, seq);
  if (req == nullptr) return BodyCallResult::UnknownRequest;
  req->bodyLimit = maxBodySize;
  req->bodyPaused = false;
  if (req->bodyRequested) {
    readMore(*req);
    return BodyCallResult::Ok;
  }
  req->bodyRequested = true;
  if (!req->summary.hasBody) {
    req->bodyDone = true;
    batch_.bodyEnd(connection, seq, nullptr);
    wake();
  } else if (req->summary.hasContentLength && req->summary.contentLength > maxBodySize) {
    req->bodyDone = true;
    batch_.bodyError(connection, seq, 413);
    wake();
  } else {
    readMore(*req);
  }
  return BodyCallResult::Ok;
}

BodyCallResult HttpSysBackend::pauseBody(uint32_t connection, uint32_t seq, bool paused) {
  if (conns_.find(connection) == conns_.end()) return BodyCallResult::Gone;
  Request* req = findRequest(connection, seq);
  if (req == nullptr) return BodyCallResult::UnknownRequest;
  req->bodyPaused = paused;
  if (!paused && req->bodyRequested) readMore(*req);
  return BodyCallResult::Ok;
}

// One HttpReceiveRequestEntityBody at a time per request, and none while JS has paused
// the body: that is the backpressure (HTTP.sys then stops reading the socket).
void HttpSysBackend::readMore(Request& req) {
  if (req.bodyReading || req.bodyDone || req.bodyPaused || req.failed || closing_) return;
  Op& op = newOp(kBody);
  op.connection = req.connection;
  op.seq = req.seq;
  op.resize(kBodyBuffer);
  port_.issued();
  ULONG r = HttpReceiveRequestEntityBody(queue_.handle(), req.id, 0, op.buffer.get(), op.bufferBytes, nullptr, &op.ov);
  if (r == NO_ERROR || r == ERROR_IO_PENDING) {
    req.bodyReading = true;
    return;
  }
  port_.notIssued();
  takeOp(op);
  req.bodyDone = true;
  if (r == ERROR_HANDLE_EOF) {
    batch_.bodyEnd(req.connection, req.seq, nullptr);
  } else {
    batch_.bodyError(req.connection, req.seq, 400);
  }
  wake();
}

void HttpSysBackend::bodyRead(Op& op, ULONG error, ULONG bytes) {
  std::unique_ptr<Op> owned = takeOp(op);
  Request* req = findRequest(op.connection, op.seq);
  if (req == nullptr || closing_) return;
  req->bodyReading = false;
  if (error == NO_ERROR && bytes > 0) {
    req->bodyReceived += bytes;
    if (req->bodyReceived > req->bodyLimit) {
      req->bodyDone = true;
      batch_.bodyError(req->connection, req->seq, 413);
      return;
    }
    batch_.body(req->connection, req->seq, reinterpret_cast<const char*>(op.buffer.get()), bytes);
    readMore(*req);
  } else if (error == NO_ERROR || error == ERROR_HANDLE_EOF) {
    req->bodyDone = true;
    batch_.bodyEnd(req->connection, req->seq, nullptr);
  } else {
    // The connection broke mid-body.
    req->bodyDone = true;
    connectionLost(req->connection);
  }
}

// ---- responses ------------------------------------------------------------------------

SendResult HttpSysBackend::send(uint32_t connection, uint32_t seq, int status, const char* head,
                                size_t headLength, const char* body, size_t bodyLength, uint32_t flags,
                                int64_t declaredLength) {
  if (conns_.find(connection) == conns_.end()) return SendResult::Gone;
  Request* req = findRequest(connection, seq);
  if (req == nullptr) return SendResult::UnknownRequest;
  if (req->failed) return SendResult::Gone;
  if (req->ended) return SendResult::Ended;
  bool ending = (flags & backends::kSendEnd) != 0;
  // Trailers (a started response's end) are not sent: that needs HTTP_DATA_CHUNK_TRAILERS
  // (Windows 10 2004 and later), not in mingw-w64's headers nor in Wine.
  if ((flags & backends::kSendTrailers) != 0 && (!req->started || !ending)) return SendResult::BadStatus;
  if (!req->started) {
    if (status < 200 || status > 999) return SendResult::BadStatus;
    if (declaredLength >= 0 && static_cast<uint64_t>(declaredLength) < bodyLength) return SendResult::LengthMismatch;
    req->started = true;
    req->declared = declaredLength;
    req->noBody = req->summary.head || !bodyAllowed(status);
    req->disconnect = (flags & (backends::kSendClose | backends::kSendCloseAfter)) != 0 || shuttingDown_ ||
                      !req->summary.keepAlive;
    std::string h(head, headLength);
    if (ending) return sendWhole(*req, h, status, body, bodyLength);
    return sendStart(*req, h, status, body, bodyLength, false);
  }
  if (req->declared >= 0 && req->written + bodyLength > static_cast<uint64_t>(req->declared)) {
    return SendResult::LengthMismatch;
  }
  return sendMore(*req, body, bodyLength, ending);
}

void HttpSysBackend::setResponseCache(uint32_t connection, uint32_t seq, uint32_t ttlSeconds) {
  if (Request* req = findRequest(connection, seq)) req->cacheTtl = ttlSeconds;
}

// The whole response is known: one HttpSendHttpResponse with head and body.
SendResult HttpSysBackend::sendWhole(Request& req, const std::string& head, int status, const char* body,
                                     size_t bodyLength) {
  auto op = std::make_unique<Op>();
  op->kind = kSend;
  op->head = head;
  if (!op->response.parse(op->head, static_cast<USHORT>(status))) return SendResult::BadStatus;
  uint64_t length = req.declared >= 0 ? static_cast<uint64_t>(req.declared) : bodyLength;
  if (bodyAllowed(status) && !op->response.has(HttpHeaderContentLength)) {
    op->contentLength = std::to_string(length);
    op->response.set(HttpHeaderContentLength, op->contentLength);
  }
  if (!req.noBody && bodyLength > 0) op->data.assign(body, bodyLength);
  req.written += bodyLength;
  req.ended = true;
  // Less body than the declared Content-Length: the client would wait for the rest.
  if (req.declared >= 0 && req.written < static_cast<uint64_t>(req.declared) && !req.noBody) req.disconnect = true;
  op->final = true;
  return issue(req, std::move(op), true, req.disconnect ? HTTP_SEND_RESPONSE_FLAG_DISCONNECT : 0) ? SendResult::Ok
                                                                                                   : SendResult::Gone;
}

SendResult HttpSysBackend::sendStart(Request& req, const std::string& head, int status, const char* body,
                                     size_t bodyLength, bool ending) {
  if (api_.underWine()) {
    // No HttpSendResponseEntityBody under Wine: hold the response and send it whole
    // when it completes (documented in README, Windows; real Windows streams).
    req.holding = true;
    req.heldStatus = status;
    req.heldHead = head;
    if (!req.noBody) req.held.append(body, bodyLength);
    req.written += bodyLength;
    if (ending) return sendMore(req, nullptr, 0, true);
    return SendResult::Ok;
  }
  auto op = std::make_unique<Op>();
  op->kind = kSend;
  op->head = head;
  if (!op->response.parse(op->head, static_cast<USHORT>(status))) return SendResult::BadStatus;
  if (!req.noBody && req.declared < 0 && !op->response.has(HttpHeaderTransferEncoding)) {
    if (req.summary.http10) {
      req.disconnect = true;  // HTTP/1.0: the end of the connection ends the body
    } else {
      req.chunked = true;
      op->contentLength = "chunked";
      op->response.set(HttpHeaderTransferEncoding, op->contentLength);
    }
  }
  if (!req.noBody && bodyLength > 0) frame(op->data, body, bodyLength, req.chunked);
  req.written += bodyLength;
  ULONG flags = HTTP_SEND_RESPONSE_FLAG_MORE_DATA;
  if (bodyLength < kSmallWrite) flags |= HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA;
  if (!issue(req, std::move(op), true, flags)) return SendResult::Gone;
  if (ending) return sendMore(req, nullptr, 0, true);
  if (req.bytesOut > limits_.responseHighWaterMark) {
    req.needDrain = true;
    return SendResult::Full;
  }
  return SendResult::Ok;
}

SendResult HttpSysBackend::sendMore(Request& req, const char* body, size_t bodyLength, bool ending) {
  if (req.holding) {
    if (!req.noBody) req.held.append(body, bodyLength);
    if (body != nullptr) req.written += bodyLength;
    if (req.held.size() > kWineHoldLimit) {
      cancel(req);
      return SendResult::Gone;
    }
    if (!ending) return SendResult::Ok;
    req.holding = false;
    req.ended = true;
    auto op = std::make_unique<Op>();
    op->kind = kSend;
    op->head = req.heldHead;
    if (!op->response.parse(op->head, static_cast<USHORT>(req.heldStatus))) return SendResult::BadStatus;
    uint64_t length = req.declared >= 0 ? static_cast<uint64_t>(req.declared) : req.written;
    if (bodyAllowed(req.heldStatus) && !op->response.has(HttpHeaderContentLength)) {
      op->contentLength = std::to_string(length);
      op->response.set(HttpHeaderContentLength, op->contentLength);
    }
    op->data.swap(req.held);
    op->final = true;
    if (req.declared >= 0 && req.written < static_cast<uint64_t>(req.declared) && !req.noBody) req.disconnect = true;
    return issue(req, std::move(op), true, req.disconnect ? HTTP_SEND_RESPONSE_FLAG_DISCONNECT : 0) ? SendResult::Ok
                                                                                                     : SendResult::Gone;
  }
  auto op = std::make_unique<Op>();
  op->kind = kSend;
  if (!req.noBody && bodyLength > 0) frame(op->data, body, bodyLength, req.chunked);
  req.written += bodyLength;
  ULONG flags = 0;
  if (ending) {
    req.ended = true;
    if (req.chunked) {
      size_t at = op->data.size();
      op->data.resize(at + 5);
      std::memcpy(op->data.data() + at, "0\r\n\r\n", 5);
    }
    if (req.declared >= 0 && req.written < static_cast<uint64_t>(req.declared) && !req.noBody) req.disconnect = true;
    if (req.disconnect) flags |= HTTP_SEND_RESPONSE_FLAG_DISCONNECT;
    op->final = true;
  } else {
    if (op->data.empty()) return SendResult::Ok;
    flags |= HTTP_SEND_RESPONSE_FLAG_MORE_DATA;
    if (bodyLength < kSmallWrite) flags |= HTTP_SEND_RESPONSE_FLAG_BUFFER_DATA;
  }
  if (!issue(req, std::move(op), false, flags)) return SendResult::Gone;
  if (!ending && req.bytesOut > limits_.responseHighWaterMark) {
    req.needDrain = true;
    return SendResult::Full;
  }
  return SendResult::Ok;
}

// Hands one send to the kernel. The Op keeps every byte the call points to until its
// completion. False: the call failed at once (the client is gone).
bool HttpSysBackend::issue(Request& req, std::unique_ptr<Op> owned, bool first, ULONG flags) {
  Op& op = *owned;
  op.connection = req.connection;
  op.seq = req.seq;
  if (!op.data.empty()) {
    HTTP_DATA_CHUNK chunk{};
    chunk.DataChunkType = HttpDataChunkFromMemory;
    chunk.FromMemory.pBuffer = op.data.data();
    chunk.FromMemory.BufferLength = static_cast<ULONG>(op.data.size());
    op.chunks.push_back(chunk);
  }
  ops_.emplace(&op, std::move(owned));
  port_.issued();
  ULONG r;
  if (first) {
    HTTP_RESPONSE_V2& response = op.response.response();
    response.EntityChunkCount = static_cast<USHORT>(op.chunks.size());
    response.pEntityChunks = op.chunks.empty() ? nullptr : op.chunks.data();
    // Only a response sent whole can enter HTTP.sys's cache (it decides what it keeps:
    // GET, no Vary on a request field it cannot key on, and so on).
    PHTTP_CACHE_POLICY cache = nullptr;
    if (op.final && req.cacheTtl > 0) {
      op.cache.Policy = HttpCachePolicyTimeToLive;
      op.cache.SecondsToLive = req.cacheTtl;
      cache = &op.cache;
    }
    r = HttpSendHttpResponse(queue_.handle(), req.id, flags, reinterpret_cast<PHTTP_RESPONSE>(&response), cache,
                             nullptr, nullptr, 0, &op.ov, nullptr);
  } else {
    r = HttpSendResponseEntityBody(queue_.handle(), req.id, flags, static_cast<USHORT>(op.chunks.size()),
                                   op.chunks.empty() ? nullptr : op.chunks.data(), nullptr, nullptr, 0, &op.ov,
                                   nullptr);
  }
  if (r == NO_ERROR || r == ERROR_IO_PENDING) {
    ++req.sendsOut;
    req.bytesOut += op.data.size();
    if (op.final) req.sentFinal = true;
    return true;
  }
  port_.notIssued();
  bool final = op.final;
  takeOp(op);
  req.failed = true;
  if (final) req.sentFinal = true;
  uint32_t connection = req.connection;
  if (req.sendsOut == 0 && req.ended) finish(req);
  connectionLost(connection);
  return false;
}

void HttpSysBackend::sent(Op& op, ULONG error) {
  std::unique_ptr<Op> owned = takeOp(op);
  Request* req = findRequest(op.connection, op.seq);
  if (req == nullptr) return;
  --req->sendsOut;
  req->bytesOut -= op.data.size();
  if (error != NO_ERROR) {
    req->failed = true;
    uint32_t connection = req->connection;
    if (req->sendsOut == 0 && (req->ended || req->sentFinal)) finish(*req);
    connectionLost(connection);
    return;
  }
  if (req->needDrain && req->bytesOut <= limits_.responseHighWaterMark) {
    req->needDrain = false;
    batch_.drain(req->connection, req->seq);
  }
  if (req->sentFinal && req->sendsOut == 0) finish(*req);
}

void HttpSysBackend::disconnected(Op& op, ULONG) {
  std::unique_ptr<Op> owned = takeOp(op);
  auto it = conns_.find(op.connection);
  if (it == conns_.end() || it->second->httpId != op.httpConnection) return;
  it->second->watched = false;
  connectionLost(op.connection);
}

// ---- bookkeeping ------------------------------------------------------------------------

HttpSysBackend::Request* HttpSysBackend::findRequest(uint32_t connection, uint32_t seq) {
  auto it = requests_.find(key(connection, seq));
  return it == requests_.end() ? nullptr : it->second.get();
}

// The request is over for us (its last send completed, or it was cancelled).
void HttpSysBackend::finish(Request& req) {
  uint32_t connection = req.connection;
  requests_.erase(key(req.connection, req.seq));
  auto it = conns_.find(connection);
  if (it != conns_.end()) {
    Conn& c = *it->second;
    if (c.inFlight > 0) --c.inFlight;
    // Without a disconnect notification the connection cannot be tracked past its
    // requests: forget it once idle (its next request gets a new id).
    if (c.inFlight == 0 && !c.watched) {
      connIds_.erase(c.httpId);
      conns_.erase(it);
    }
  }
  maybeShutdownComplete();
}

// The client went away (or a call on its connection failed): JS hears of it once for
// every request it still owns on that connection, and the connection is forgotten.
void HttpSysBackend::connectionLost(uint32_t connection) {
  auto it = conns_.find(connection);
  if (it == conns_.end()) return;
  bool owned = false;
  std::vector<uint64_t> done;
  for (auto& [k, req] : requests_) {
    if (req->connection != connection) continue;
    if (!req->ended) owned = true;
    req->failed = true;
    req->ended = true;
    if (req->sendsOut == 0) done.push_back(k);
  }
  if (owned) batch_.abort(connection);
  for (uint64_t k : done) requests_.erase(k);
  Conn& c = *it->second;
  c.inFlight = 0;
  for (auto& [k, req] : requests_) {
    if (req->connection == connection) ++c.inFlight;
  }
  if (c.inFlight == 0) {
    connIds_.erase(c.httpId);
    conns_.erase(it);
  }
  maybeShutdownComplete();
}

// Ends a request that JS aborted (or that cannot be answered): the connection is reset
// where HTTP.sys can (HttpCancelHttpRequest); under Wine, where that call aborts the
// process, the request is answered with an empty 500 and the connection closed.
void HttpSysBackend::cancel(Request& req) {
  if (req.sentFinal) return;
  req.ended = true;
  req.holding = false;
  if (!api_.underWine()) {
    HttpCancelHttpRequest(queue_.handle(), req.id, nullptr);
    req.failed = true;
    if (req.sendsOut == 0) finish(req);
    return;
  }
  if (req.started && req.sendsOut > 0) return;  // nothing better to do mid-stream on Wine
  auto op = std::make_unique<Op>();
  op->kind = kSend;
  static constexpr char kHead[] = "HTTP/1.1 500 Internal Server Error\r\n";
  op->head.assign(kHead, sizeof kHead - 1);
  op->response.parse(op->head, 500);
  op->contentLength.assign(1, '0');
  op->response.set(HttpHeaderContentLength, op->contentLength);
  op->final = true;
  req.failed = true;
  if (!issue(req, std::move(op), true, HTTP_SEND_RESPONSE_FLAG_DISCONNECT)) return;
}

void HttpSysBackend::abort(uint32_t id, bool reset, bool flushInFlight) {
  (void)flushInFlight;  // HTTP.sys sends what it was given
  (void)reset;  // HTTP.sys decides how the connection ends
  std::vector<Request*> list;
  for (auto& [k, req] : requests_) {
    if (req->connection == id) list.push_back(req.get());
  }
  for (Request* req : list) cancel(*req);
}

void HttpSysBackend::beginShutdown(bool keepConnections) {
  (void)keepConnections;  // HTTP.sys owns the connections: requests in flight are finished
  shuttingDown_ = true;
  closeListeners();
  maybeShutdownComplete();
  wake();
}

void HttpSysBackend::closeAll() {
  std::vector<uint32_t> ids;
  for (auto& [id, c] : conns_) ids.push_back(id);
  for (uint32_t id : ids) abort(id, true, false);
}

void HttpSysBackend::maybeShutdownComplete() {
  if (!shuttingDown_ || shutdownReported_) return;
  for (auto& [k, req] : requests_) {
    if (!req->sentFinal || req->sendsOut > 0) return;
  }
  shutdownReported_ = true;
  batch_.shutdownComplete();
}

}  // namespace syshttp::httpsys
