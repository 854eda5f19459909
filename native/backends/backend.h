// What every backend offers the N-API layer (native/bridge/native_server.cc), and what it
// asks of it. Implemented by the Linux backends (epoll, io_uring: native/backends/linux,
// over http::Connection) and by HTTP.sys on Windows (native/backends/httpsys). Portable:
// nothing here may include a POSIX or Win32 header.
#pragma once
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/external_bytes.h"
#include "http/limits.h"

namespace syshttp::backends {

// Flags of Backend::send, set by the JS layer (lib/exchange.ts). The Linux backends pass
// them to http::Connection, whose SendFlags are checked equal at compile time
// (linux_backend.cc), so there is one set of numbers.
enum SendFlags : uint32_t {
  kSendEnd = 1u << 0,           // this call completes the response
  kSendHasDate = 1u << 1,       // the app set its own Date field
  kSendClose = 1u << 2,         // close the connection after this response
  kSendHasConnection = 1u << 3, // the app set a Connection field itself
  kSendTrailers = 1u << 4,      // with kSendEnd on a started response: `head` is the trailer
                                // section (field lines), sent after the last chunk
  kSendHasKeepAlive = 1u << 5,  // the app set a Keep-Alive field: of the keep-alive
                                // announcement (ServerLimits::keepAliveFields) only Connection
  kSendNoLength = 1u << 6,      // no Content-Length of the server's (node's removed one):
                                // chunked, or the close, ends the body
  kSendNoChunked = 1u << 7,     // no chunked framing (node's removed Transfer-Encoding)
  kSendCloseAfter = 1u << 8,    // close after this response, the server's own decision:
                                // it says Connection: close (kSendClose: the app's field did)
  kSendAppChunked = 1u << 9,    // the app's own Transfer-Encoding line, its last coding
                                // chunked, is among the fields: the server chunks the body
                                // without a line of its own (Linux backends)
  kSendFinalInformational = 1u << 10  // a 1xx status as the final response, as node:http
                                // sends one (no body, no framing), then a close: nothing
                                // else can follow it (Linux backends)
};

enum class SendResult : int32_t {
  Ok = 0,
  Full = 1,             // queued, but above the high-water mark: wait for drain
  Gone = -1,            // the connection is closed
  UnknownRequest = -2,  // no such request in flight (already completed?)
  LengthMismatch = -3,  // more body than the Content-Length the app declared
  Ended = -4,           // the response was already completed
  BadStatus = -5,       // a status the server does not send this way (101, <100, >999)
  NotUpgradable = -6    // detach(): not an upgrade request, or not the one to answer next
};

enum class BodyCallResult : int32_t { Ok = 0, Gone = -1, UnknownRequest = -2 };

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
  std::string path;  // a Unix socket path (Linux) instead of address and port
};

struct ListenOutcome {
  int error = 0;               // errno (Linux) or Win32 error (Windows), 0 on success
  const char* syscall = "";    // the call that failed
  std::string message;         // why, when the backend knows better than strerror()
  std::string address;         // bound address, numeric
  int port = 0;                // bound port
  int family = 0;              // 4 or 6; 0 for a Unix socket (address is its path)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual ListenOutcome listen(const ListenRequest& request) = 0;
  virtual void closeListeners() = 0;
  // ---- calls from JS, per request (connection id + seq from the request record) -------
  // One call per response in the common case: `head` is the status line and the app's
  // fields ("HTTP/1.1 200 OK\r\nName: value\r\n…", latin1, empty after the first
  // call), then body bytes; flags are SendFlags; declaredLength is the app's
  // Content-Length or -1.
  virtual SendResult send(uint32_t connection, uint32_t seq, int status, const char* head,
                          size_t headLength, const char* body, size_t bodyLength, uint32_t flags,
                          int64_t declaredLength) = 0;
  // send() with a body the backend may keep and write from where it is (large bodies,
  // no copy): a backend that does sets lender.taken and releases it later. By default
  // the body is copied as send() does, and the caller releases it.
  virtual SendResult sendLent(uint32_t connection, uint32_t seq, int status, const char* head,
                              size_t headLength, const char* body, size_t bodyLength, uint32_t flags,
                              int64_t declaredLength, http::ExternalBytes& lender) {
    (void)lender;
    return send(connection, seq, status, head, headLength, body, bodyLength, flags, declaredLength);
  }
  // Start (or resume) delivering the request body, with the request's own size limit.
  // Asks the kernel to cache the response to `seq` for `ttlSeconds` if it is sent whole
  // (HTTP.sys's HTTP_CACHE_POLICY). Backends without a kernel cache ignore it.
  virtual void setResponseCache(uint32_t connection, uint32_t seq, uint32_t ttlSeconds) {
    (void)connection, (void)seq, (void)ttlSeconds;
  }
  virtual BodyCallResult readBody(uint32_t connection, uint32_t seq, uint64_t maxBodySize) = 0;
  virtual BodyCallResult pauseBody(uint32_t connection, uint32_t seq, bool paused) = 0;
  // ---- upgrade: the connection leaves HTTP in place of a response to `seq` ------------
  // Its bytes then arrive as Raw records (RawEnd at the peer's end); the app writes raw
  // bytes (its own 101 first). A backend that cannot detach answers NotUpgradable.
  // `hijack`: any request, not only an upgrade (see http::Connection::detach).
  // buffered: see http::Connection::detach.
  virtual SendResult detach(uint32_t connection, uint32_t seq, bool hijack, std::string* buffered) = 0;
  // An upgrade that cannot detach yet (responses ahead of it): what came after its head
  // so far, detaching nothing (see http::Connection::peekUpgrade).
  virtual SendResult peekUpgrade(uint32_t connection, uint32_t seq, std::string* buffered) {
    (void)connection, (void)seq, (void)buffered;
    return SendResult::NotUpgradable;
  }
  virtual SendResult writeRaw(uint32_t connection, const char* data, size_t length) = 0;
  // close: the app is done with the connection (its stream destroyed): the bytes it
  // wrote still go out, then the connection closes without a reset.
  virtual SendResult endRaw(uint32_t connection, bool close) = 0;
  virtual void pauseRaw(uint32_t connection, bool paused) = 0;
  // Reports a copy of what an HTTP connection receives from now on (InputCopy records),
  // as well as parsing it. Backends that never see the bytes (HTTP.sys) ignore it.
  // `paused`: the app takes no copies for now (no reading meanwhile).
  virtual void mirrorInput(uint32_t connection, bool paused) { (void)connection, (void)paused; }
  // Closes the connection now; what is in flight is aborted. reset: with an RST (the
  // exchange failed), else a plain close (node's socket.destroy()), after the output of
  // completed responses still queued; flushInFlight: after all queued output, a
  // response in flight's too (bytes node:net would have handed to the kernel already).
  virtual void abort(uint32_t id, bool reset, bool flushInFlight) = 0;
  // Graceful stop: idle connections close now, busy ones after their last response.
  // keepConnections (node:http's close()): only the listeners close; the connections
  // serve on, keep-alive included, until they close on their own (a backend that cannot
  // leave them may still drain them).
  virtual void beginShutdown(bool keepConnections) = 0;
  // Undoes a beginShutdown(true) before its ShutdownComplete was taken: new listeners
  // may open and accept again (node:http's listen() right after close()). False where
  // the backend cannot (it then finishes the stop).
  virtual bool resumeAfterShutdown() { return false; }
  virtual void closeAll() = 0;
  virtual size_t connectionCount() const = 0;
  // A connection's byte counts so far (node's socket.bytesRead/bytesWritten, and
  // writableLength: queued, not yet written to the socket): false when the connection is
  // gone or the backend does not see its bytes (HTTP.sys).
  virtual bool byteCounts(uint32_t connection, uint64_t* read, uint64_t* written, uint64_t* queued) {
    (void)connection, (void)read, (void)written, (void)queued;
    return false;
  }
  // Whether the server keeps the event loop alive (node's server.ref()/unref()).
  virtual void setRef(bool ref) = 0;
  // Whether an open connection keeps the event loop alive (node's socket.ref()/unref()),
  // which it does by default. Backends whose connections never keep it ignore it.
  virtual void setConnectionRef(uint32_t connection, bool ref) { (void)connection, (void)ref; }
  // A connection's TCP options, as node:net's socket.setNoDelay()/setKeepAlive() (libuv's
  // uv_tcp_nodelay/uv_tcp_keepalive): 0, or an errno; ENOENT: the connection is gone;
  // ENOTSUP: the backend does not own the socket (HTTP.sys).
  virtual int setNoDelay(uint32_t connection, bool on) { (void)connection, (void)on; return ENOTSUP; }
  virtual int setKeepAlive(uint32_t connection, bool on, unsigned delaySeconds) {
    (void)connection, (void)on, (void)delaySeconds;
    return ENOTSUP;
  }
  // Report each connection's accept and end (ConnectionOpen/ConnectionClosed records), for
  // a JS layer that announces connections (node's 'connection'). Off by default: the
  // feature layer does not need them. Backends without a notion of accept ignore it.
  virtual void setConnectionEvents(bool on) { (void)on; }
  // Called once the backend's loop handles have finished closing after its destruction
  // (libuv closes asynchronously). A worker's async cleanup hook waits for this.
  virtual void whenClosed(void (*callback)(void*), void* arg) = 0;
};

}  // namespace syshttp::backends
