// The HTTP/1.1 state of one client connection, free of any I/O: a backend puts received
// bytes in, takes bytes to send out, and tells it about time passing. Everything a
// backend shares (epoll now, io_uring next) lives here: parsing, pipelining with
// responses kept in order, body flow control, response framing, limits and timeouts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "chunked_decoder.h"
#include "date_cache.h"
#include "http_error.h"
#include "limits.h"
#include "external_bytes.h"
#include "output_chain.h"
#include "parser.h"

namespace syshttp::http {

class Connection;

// What a connection reports to its owner. The backend implements it and forwards the
// request events to the bridge.
class ConnectionHost {
 public:
  virtual void onRequest(Connection& c, uint32_t seq, const RequestHead& head, const char* base) = 0;
  virtual void onBody(Connection& c, uint32_t seq, const char* data, size_t length) = 0;
  virtual void onBodyEnd(Connection& c, uint32_t seq, const ChunkedDecoder* trailers) = 0;
  virtual void onBodyError(Connection& c, uint32_t seq, HttpError error) = 0;
  virtual void onDrain(Connection& c, uint32_t seq) = 0;
  // A detached (upgraded) connection's bytes, in order, and the peer's end of them.
  virtual void onRaw(Connection& c, const char* data, size_t length) = 0;
  virtual void onRawEnd(Connection& c) = 0;
  // A copy of the bytes just received, once what parsing them found was reported (setMirrorInput).
  virtual void onInputCopy(uint32_t connection, const char* data, size_t length) = 0;
  // A protocol error in a request head (or its timeout) was answered with an error
  // response; the connection closes once that is sent. For the app's 'clientError'.
  // `deferred`: nothing was answered; the connection is a raw stream now (the app's
  // 'clientError' listener writes its own answer, see ServerLimits::deferClientErrors).
  // `detail`: the rule a head refused for its syntax broke, and what of it was received.
  virtual void onClientError(Connection& c, HttpError error, bool deferred, const ClientErrorDetail& detail) = 0;
  // Output was queued, or the connection wants to be closed: flush it this loop turn.
  virtual void wantFlush(Connection& c) = 0;

 protected:
  ~ConnectionHost() = default;
};

// Flags of Connection::send, set by the JS layer.
enum SendFlags : uint32_t {
  kSendEnd = 1u << 0,          // this call completes the response
  kSendHasDate = 1u << 1,      // the app set its own Date field
  kSendClose = 1u << 2,        // close the connection after this response
  kSendHasConnection = 1u << 3, // the app set a Connection field itself
  kSendTrailers = 1u << 4,      // see backends/backend.h
  kSendHasKeepAlive = 1u << 5,  // see backends/backend.h
  kSendNoLength = 1u << 6,      // see backends/backend.h
  kSendNoChunked = 1u << 7,     // see backends/backend.h
  kSendCloseAfter = 1u << 8,   // see backends/backend.h
  kSendAppChunked = 1u << 9,   // see backends/backend.h
  kSendFinalInformational = 1u << 10  // see backends/backend.h
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

class Connection {
 public:
  // `pool` (optional, outlives the connection): where output blocks and the input
  // buffer come from.
  Connection(uint32_t id, ConnectionHost& host, const ServerLimits& limits, const DateCache& date,
             uint64_t nowMs, BlockPool* pool = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  uint32_t id() const { return id_; }

  // ---- input -----------------------------------------------------------------------
  // Room to receive into; length 0 means "do not read now" (backpressure or closing).
  // Takes the input buffer if the connection holds none (see releaseInput).
  char* readSpace(size_t* length);
  // What readSpace() would offer, without taking a buffer: to decide whether to read.
  size_t readRoom() const;
  // Gives the input buffer back when it holds nothing (received() does so itself; a
  // backend calls this after a read that brought no bytes).
  void releaseInput();
  // `length` bytes were received into readSpace(); parses and reports what they complete.
  void received(size_t length, uint64_t nowMs);
  // The peer closed its side. Returns true when requests the app still owns must be
  // settled: once the app has had the turn that brought them, settleAfterEof() says
  // whether to abort them; otherwise the connection closes once its output is flushed.
  bool receivedEof();
  // After receivedEof() returned true and the app had its turn: true when requests are
  // still in flight (abort them, close now); else the connection closes after its flush.
  bool settleAfterEof();
  bool peerClosed() const { return peerClosed_; }
  // Whether input is still taken (later, if not now: backpressure); false once it is over.
  bool acceptsInput() const { return phase_ != Phase::Stopped && !closeAfterFlush_ && !peerClosed_; }
  // A request body is still to be received: what the client sent before its end is its.
  bool awaitingBody() const { return phase_ == Phase::Body && !body_.discard; }
  // Bytes received from the peer so far (node's socket.bytesRead).
  uint64_t bytesRead() const { return bytesRead_; }
  // Bytes given to the socket so far, written or still queued (node's socket.bytesWritten).
  uint64_t bytesWritten() const { return bytesSent_ + queuedOutput(); }
  // Bytes given to the socket and not yet written to it (node's socket.writableLength).
  size_t queuedOutput() const;
  // Too many requests parsed ahead of their responses, or too much output queued: no more
  // heads are parsed for now.
  bool parsingHeld() const;

  // ---- output ----------------------------------------------------------------------
  OutputChain& output() { return output_; }
  // `length` bytes of output() were written to the socket.
  void sent(size_t length);
  // Nothing more will be written: close once output() is empty.
  bool closeAfterFlush() const { return closeAfterFlush_; }

  // ---- calls from JS ---------------------------------------------------------------
  // One call per response in the common case: head (status line and app fields, CRLF
  // after each, may be empty after the first call), body bytes, flags.
  // `lender` (optional): the body may be sent from where it is rather than copied (see
  // ExternalBytes); only large bodies are, so small writes still coalesce.
  SendResult send(uint32_t seq, int status, const char* head, size_t headLength,
                  const char* body, size_t bodyLength, uint32_t flags, int64_t declaredLength,
                  ExternalBytes* lender = nullptr);
  // Start (or resume) delivering the request body, with the request's own size limit.
  BodyCallResult readBody(uint32_t seq, uint64_t maxBodySize);
  BodyCallResult pauseBody(uint32_t seq, bool paused);

  // ---- upgrade: the connection leaves HTTP --------------------------------------------
  // Hands the connection to the app as a raw byte stream in place of a response to
  // request `seq`, which must carry Upgrade, be the next to answer, have no response
  // started and its body (if any) read. Bytes after its head and all later ones go to
  // onRaw; the app writes its own bytes (its 101 first) with writeRaw.
  // `hijack` (node's raw socket writes in place of a response): any request may be
  // handed over, body unread or not, if it is the next to answer and the requests after
  // it are answered already (their answers are dropped); what follows its head (its body,
  // requests not parsed yet) arrives raw.
  // buffered: takes what came after the head so far (node's 'upgrade' head) instead of
  // delivering it as raw bytes.
  SendResult detach(uint32_t seq, bool hijack = false, std::string* buffered = nullptr);
  // An upgrade request behind responses not complete yet (parsing stopped after its
  // head): copies what came after its head so far into `buffered`, detaching nothing.
  // detach() later takes those bytes again, followed by any that came since.
  SendResult peekUpgrade(uint32_t seq, std::string* buffered);
  bool detached() const { return phase_ == Phase::Raw; }
  // Queues bytes as they are; Full asks the app to wait for onDrain (seq 0).
  SendResult writeRaw(const char* data, size_t length);
  // No more bytes from the app: once its output is flushed the backend shuts our side
  // (shutWriteAfterFlush), and reading goes on until the peer ends too, as a socket's
  // end() does; then the connection closes. With `close` (the app destroyed its stream)
  // nothing more goes to the app: after the flush and the shutdown the connection
  // lingers and closes, as closing a socket's fd lets the kernel send what it was given.
  SendResult endRaw(bool close = false);
  bool shutWriteAfterFlush() const { return rawEnding_ && !rawShut_; }
  // The backend shut our side. Returns true when the peer had already ended: close now.
  bool wroteShutdown();
  void pauseRaw(bool paused);
  // From now on each read's bytes are also reported as they came (onInputCopy), and still
  // parsed: node:http's socket 'data' once an app listens for it (its parser's unconsume).
  // `paused`: the app does not take them now (its socket's buffer is full): no reading.
  void setMirrorInput(bool paused);

  // ---- lifetime --------------------------------------------------------------------
  // Graceful stop: finish what is in flight, accept nothing new. Returns true when the
  // connection is idle and can be closed right away.
  bool beginShutdown();
  // Checks timeouts once per timer tick (no syscall: the loop's cached clock). An
  // expired connection queues its 408 if any and asks to be flushed and closed.
  // Returns true when the connection must be reset now (a client that stopped reading).
  bool tick(uint64_t nowMs, uint32_t elapsedMs);
  // The app closes the connection without a reset (node's socket.destroy()): nothing
  // more is read or written (requests in flight are dropped), but the output already
  // queued goes out first, as bytes a node:net socket had handed to the kernel would.
  // Returns false (close now) when there is none, or, with a response still being
  // written, more than a send buffer's worth (responseHighWaterMark), or the connection
  // is a detached stream.
  bool stopAfterOutput();
  // Bytes of a request head begun and not complete (not only empty lines, not a whole
  // head waiting behind queued output).
  bool partialHeadBuffered() const;
  // Requests JS still owns (reported but not completed): they must hear of an abort.
  bool hasRequestsInFlight() const;
  bool idle() const;

 private:
  struct Slot {
    uint32_t seq;
    bool headMethod;   // HEAD: never a body
    bool http10;
    bool keepAlive;    // what the request asked for
    bool started = false;
    bool ended = false;
    bool noBody = false;
    bool chunked = false;
    bool closeAfter = false;
    bool needDrain = false;
    bool synthetic = false;  // an error response queued by the server, not by JS
    bool upgrade = false;    // the request asked to upgrade: parsing waits for its answer
    int64_t declared = -1;   // Content-Length the app set, -1 if none
    uint64_t written = 0;    // body bytes the app gave
    // Output held back until the slots before it complete; made when first needed (most
    // responses are written as the front slot, straight to the connection's output).
    std::unique_ptr<OutputChain> pending;
  };

  enum class Phase : uint8_t { Head, Body, Stopped, Raw };

  void process();
  bool parseHead();
  bool fieldsRepeat(const char* base, const RequestHead& head);
  bool deliverBody();
  bool deliverRaw();
  void finishBody();
  void bodyFailed();
  void settleUnreadBody(Slot& s);
  void stopReading();
  void fail(HttpError error, ParseFault fault = ParseFault::Other, uint32_t parsed = 0);
  void queueErrorResponse(HttpError error);
  void completeFront();
  Slot* findSlot(uint32_t seq);
  OutputChain& pendingOf(Slot& s) {
    if (!s.pending) s.pending = std::make_unique<OutputChain>(pool_);
    return *s.pending;
  }
  OutputChain& outputFor(Slot& s) { return (&s == &slots_.front()) ? output_ : pendingOf(s); }
  void writeHead(Slot& s, int status, const char* head, size_t headLength, uint32_t flags,
                 bool ending, size_t bodyLength);
  void writeBody(Slot& s, const char* body, size_t length, ExternalBytes* lender);
  SendResult sendInformational(Slot& s, int status, const char* head, size_t headLength,
                               const char* body, size_t bodyLength, uint32_t flags);

  uint32_t id_;
  ConnectionHost& host_;
  const ServerLimits& limits_;
  const DateCache& date_;
  BlockPool* pool_;

  // The input buffer is held only while it holds bytes (a head or body part not yet
  // parsed): between reads it goes back to the pool, so an idle keep-alive connection
  // holds none, and busy connections reuse buffers warm in cache.
  bool inputPooled() const { return pool_ != nullptr && inCapacity_ == BlockPool::kLarge; }
  std::unique_ptr<char[]> in_;
  size_t inCapacity_;
  size_t inBegin_ = 0;
  size_t inEnd_ = 0;
  // Parsed fields of the head being read: kInitialFields at first, grown as heads need.
  // The pool's table (shared by the backend's connections), or without a pool this one.
  static constexpr size_t kInitialFields = 32;
  std::vector<Field> ownFields_;
  // The previous request's field lines (up to kMaxRememberedFields bytes), to tell a
  // repeat (fieldsRepeat). Empty: none, or too long to keep.
  static constexpr size_t kMaxRememberedFields = 2048;
  std::string prevFields_;

  Phase phase_ = Phase::Head;
  uint32_t nextSeq_ = 1;
  std::deque<Slot> slots_;
  OutputChain output_;
  bool closeAfterFlush_ = false;
  uint64_t bytesRead_ = 0;
  uint64_t bytesSent_ = 0;
  bool shuttingDown_ = false;
  bool finishHead_ = false;  // shutting down with a head partly received: parse that one
  bool peerClosed_ = false;
  bool mirrorInput_ = false;  // setMirrorInput
  bool mirrorPaused_ = false;
  bool answerAfterEof_ = false;  // the peer ended between requests, allowHalfOpen: answer them

  // The request whose body is being received (phase_ == Body).
  struct BodyState {
    uint32_t seq = 0;
    BodyKind kind = BodyKind::None;
    uint64_t remaining = 0;  // Content-Length bodies
    uint64_t received = 0;
    uint64_t limit = 0;
    bool requested = false;
    bool paused = false;
    bool expectContinue = false;
    bool continueSent = false;
    bool discard = false;     // the response completed first: drop the rest
    bool afterResponse = false;  // the response completed while the app read it: the rest is still its
    uint64_t activeMs = 0;    // time spent waiting for body bytes the app wants
    uint64_t bytesWhileActive = 0;
  } body_;
  ChunkedDecoder chunked_;

  uint64_t headStartMs_;   // when the head being received started (or the connection)
  uint64_t idleSinceMs_;
  uint64_t now_;            // the loop's cached clock, as of the last event
  bool headStarted_ = true;  // a new connection is timed like a head in progress
  bool everRequested_ = false;
  bool lastRequest_ = false; // the request being read asked to close afterwards
  bool abandoned_ = false;   // requests dropped unanswered after a closing response
  // An upgrade request was parsed: what follows its head may be another protocol, so no
  // further request is parsed until it is answered over HTTP (or detached).
  bool awaitingUpgrade_ = false;
  bool rawPaused_ = false;
  bool rawNeedDrain_ = false;
  bool rawEofPending_ = false;  // the peer's end, told after the bytes held while paused
  bool rawEnding_ = false;      // the app ended its side (endRaw)
  bool rawShut_ = false;        // … and the backend shut the socket's write side
  uint64_t discardDeadlineMs_ = 0;
  uint64_t lastSendMs_ = 0;  // last time the socket took output
};

}  // namespace syshttp::http
