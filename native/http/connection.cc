#include "connection.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "error_responses.h"
#include "number_format.h"

namespace syshttp::http {
namespace {

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
// An unread request body smaller than this is read and dropped after the response so
// the connection can be reused; a larger one costs more than a new connection.
constexpr uint64_t kMaxDiscardBytes = 256 * 1024;

void appendLiteral(OutputChain& out, const char* s) { out.append(s, std::strlen(s)); }

}  // namespace

Connection::Connection(uint32_t id, ConnectionHost& host, const ServerLimits& limits,
                       const DateCache& date, uint64_t nowMs, BlockPool* pool)
    : id_(id),
      host_(host),
      limits_(limits),
      date_(date),
      pool_(pool),
      inCapacity_(std::max<size_t>(limits.inputBufferSize,
                                   size_t{limits.head.maxRequestLine} + limits.head.maxHeaderBytes + 256)),
      headStartMs_(nowMs),
      idleSinceMs_(nowMs),
      now_(nowMs) {
  output_.usePool(pool);
  lastSendMs_ = nowMs;
}

Connection::~Connection() {
  if (in_ && inputPooled()) pool_->give(std::move(in_), inCapacity_);
}

// ---- input ---------------------------------------------------------------------------

char* Connection::readSpace(size_t* length) {
  *length = readRoom();
  if (*length == 0) return nullptr;
  if (inBegin_ == inEnd_) inBegin_ = inEnd_ = 0;
  if (!in_) in_ = inputPooled() ? pool_->take(inCapacity_) : std::unique_ptr<char[]>(new char[inCapacity_]);
  if (inEnd_ == inCapacity_ && inBegin_ > 0) {
    std::memmove(in_.get(), in_.get() + inBegin_, inEnd_ - inBegin_);
    inEnd_ -= inBegin_;
    inBegin_ = 0;
  }
  return in_.get() + inEnd_;
}

// What readSpace() offers once it has made room (an empty buffer starts over, a full one
// moves its unparsed bytes to the front).
size_t Connection::readRoom() const {
  if (phase_ == Phase::Stopped || closeAfterFlush_ || peerClosed_ ||
      (phase_ == Phase::Raw && rawPaused_)) {
    return 0;
  }
  // An app sees what is read (mirrorInput). Between requests (never in a body, which
  // node's request reading keeps flowing) nothing more is read while it does not take the
  // copies (its socket paused: node's readStop), nor while request heads wait with output
  // backed up (node's flood check pauses its socket when a head arrives and its responses
  // wait for the kernel): what the app sees stops where node's reading would. (Otherwise
  // reading goes on into the input buffer, and parsing stops at its bounds, parsingHeld.)
  if (mirrorInput_ && phase_ == Phase::Head &&
      (mirrorPaused_ || (inEnd_ > inBegin_ && (queuedOutput() > 0 || parsingHeld())))) {
    return 0;
  }
  if (inBegin_ == inEnd_) return inCapacity_;
  return inEnd_ == inCapacity_ ? inCapacity_ - (inEnd_ - inBegin_) : inCapacity_ - inEnd_;
}

// Only between parses (process() has returned, nothing points into the buffer): the
// batch copies what it reports, so no bytes of it outlive the call that parsed them.
void Connection::releaseInput() {
  if (in_ && inBegin_ == inEnd_ && inputPooled()) pool_->give(std::move(in_), inCapacity_);
}

void Connection::received(size_t length, uint64_t nowMs) {
  now_ = nowMs;
  if (mirrorInput_ && phase_ != Phase::Raw && length > 0) {
    // As node:http's socket 'data' after its parser has had the chunk: the copy is
    // reported after what parsing it reports. Taken first: parsing may hand the buffer
    // back to the pool. (A detached connection's bytes go to its stream whole: no copy.)
    std::string copy(in_.get() + inEnd_, length);
    ConnectionHost& host = host_;
    const uint32_t connection = id();
    inEnd_ += length;
    bytesRead_ += length;
    process();
    host.onInputCopy(connection, copy.data(), copy.size());
    return;
  }
  inEnd_ += length;
  bytesRead_ += length;
  process();
}

bool Connection::receivedEof() {
  // Like node:http (httpAllowHalfOpen off): the client closing its side ends what it
  // asked for, so handlers that have not answered hear of it through their abort signal
  // (settleAfterEof, after the app's turn). Responses completed are flushed before the
  // close.
  peerClosed_ = true;
  // Between requests (no body cut short): with allowHalfOpen what was asked is answered.
  answerAfterEof_ = limits_.allowHalfOpen && phase_ == Phase::Head;
  if (phase_ == Phase::Raw) {
    // A detached stream ends like a socket's readable side, after the bytes before the
    // end (held while paused): the app decides what next (node's sockets then end their
    // own side, which endRaw() does).
    rawEofPending_ = true;
    process();
    if (rawShut_) {
      closeAfterFlush_ = true;  // our side was already shut: both are done
      host_.wantFlush(*this);
    }
    return false;
  }
  if (limits_.deferClientErrors && phase_ == Phase::Head && slots_.empty() && partialHeadBuffered()) {
    // A head cut short by the client's end: node:http tells its 'clientError' listener
    // (HPE_INVALID_EOF_STATE), which may still answer on the half-closed connection.
    fail(HttpError::BadRequest, ParseFault::Eof);
    if (phase_ == Phase::Raw) {
      rawEofPending_ = true;
      process();
      return false;
    }
  }
  if (phase_ == Phase::Body && inEnd_ > inBegin_) {
    // What arrived before the end is still the request's body, to be read in the app's
    // turn (node:http parses all its socket read before it hears of the end): a request
    // sent whole with the client's FIN is answered. Heads pipelined after it are parsed
    // from what arrived, as node's parser does; nothing more is read.
    return settleAfterEof();
  }
  phase_ = Phase::Stopped;
  inBegin_ = inEnd_ = 0;
  return settleAfterEof();
}

bool Connection::settleAfterEof() {
  if (phase_ == Phase::Raw) return false;  // a stream taken over after the end: the app's to end
  // The responses still owed go out (completeFront closes after the last), or are aborted.
  if (hasRequestsInFlight()) return !answerAfterEof_;
  closeAfterFlush_ = true;
  host_.wantFlush(*this);
  return false;
}

void Connection::process() {
  while (phase_ != Phase::Stopped) {
    bool progressed = phase_ == Phase::Head ? parseHead()
                      : phase_ == Phase::Body ? deliverBody()
                                              : deliverRaw();
    if (!progressed) break;
  }
  // After the client's end only what arrived before it is still parsed (receivedEof): once
  // a body waits for bytes that will not come, or no body is being read, input is over.
  if (peerClosed_ && phase_ != Phase::Raw && !(phase_ == Phase::Body && inEnd_ > inBegin_)) {
    phase_ = Phase::Stopped;
    inBegin_ = inEnd_ = 0;
  }
  if (inBegin_ == inEnd_) inBegin_ = inEnd_ = 0;
  releaseInput();
}

// A keep-alive client mostly sends the same field lines request after request (the same
// Host, Accept, User-Agent …). Saying so (kRequestSameFields) lets JS reuse the previous
// request's strings instead of comparing them byte by byte; here it is one memcmp. The
// copy is kept only for heads of ordinary size.
bool Connection::fieldsRepeat(const char* base, const RequestHead& head) {
  if (head.fieldCount == 0) {
    prevFields_.clear();
    return false;
  }
  const size_t start = head.fields[0].name.offset;
  const size_t length = head.headLength - start;
  if (length > kMaxRememberedFields) {
    std::string().swap(prevFields_);  // no copy of a large head kept on an idle connection
    return false;
  }
  if (prevFields_.size() == length && std::memcmp(prevFields_.data(), base + start, length) == 0) return true;
  prevFields_.assign(base + start, length);
  return false;
}

// A client that pipelines without reading its responses is not served further until it
// reads: requests parsed ahead and queued output stay bounded (node:http pauses its parser
// the same way).
bool Connection::parsingHeld() const {
  return slots_.size() >= limits_.maxPipelinedRequests || queuedOutput() > limits_.responseHighWaterMark;
}

bool Connection::parseHead() {
  if ((shuttingDown_ && !finishHead_) || awaitingUpgrade_ || parsingHeld()) return false;
  size_t avail = inEnd_ - inBegin_;
  if (avail == 0) return false;
  if (!headStarted_) {
    headStarted_ = true;
    headStartMs_ = now_;
  }

  RequestHead head;
  HttpError error = HttpError::None;
  const char* base = in_.get() + inBegin_;
  ParseStatus status;
  std::vector<Field>& fields = pool_ != nullptr ? pool_->fields : ownFields_;
  if (fields.empty()) fields.resize(std::min<size_t>(kInitialFields, size_t{limits_.head.maxHeaderCount} + 1));
  for (;;) {
    head = RequestHead{};
    head.fields = fields.data();
    head.fieldCapacity = static_cast<uint32_t>(fields.size());
    error = HttpError::None;
    status = parseRequestHead(base, avail, limits_.head, head, error);
    // The field table grows on demand up to the limit (zeroed memory for 10,000 fields on
    // every idle connection would be 160 KB each): full before the limit, grow and parse
    // again (rare: a head with more fields than any before on this connection).
    if (status == ParseStatus::Error && head.fieldsFull) {
      fields.resize(std::min<size_t>(fields.size() * 4, size_t{limits_.head.maxHeaderCount} + 1));
      continue;
    }
    break;
  }
  if (status == ParseStatus::Incomplete) return false;
  if (status == ParseStatus::Error) {
    fail(error, head.fault, head.faultOffset);
    return false;
  }
  // Without tunnels (HeadLimits::connectTunnels, the node layer's 'connect'), a 2xx to
  // CONNECT would turn the connection into one (RFC 9110 §9.3.6): CONNECT is answered
  // 501 and the connection closed, never handed to the app.
  if (!limits_.head.connectTunnels && head.method.length == 7 && std::memcmp(base + head.method.offset, "CONNECT", 7) == 0) {
    fail(HttpError::NotImplemented);
    return false;
  }

  finishHead_ = false;  // the one head a graceful stop waited for: it gets the last answer
  head.sameFields = fieldsRepeat(base, head);
  Slot& s = slots_.emplace_back();
  s.seq = nextSeq_++;
  s.headMethod = head.method.length == 4 && std::memcmp(base + head.method.offset, "HEAD", 4) == 0;
  s.http10 = head.versionMinor == 0;
  s.keepAlive = head.keepAlive;
  s.upgrade = head.upgrade;
  awaitingUpgrade_ = head.upgrade;
  headStarted_ = false;
  everRequested_ = true;
  lastRequest_ = !head.keepAlive;

  host_.onRequest(*this, s.seq, head, base);
  inBegin_ += head.headLength;

  bool hasBody = head.bodyKind == BodyKind::Chunked ||
                 (head.bodyKind == BodyKind::ContentLength && head.contentLength > 0);
  if (hasBody) {
    body_ = BodyState{};
    body_.seq = s.seq;
    body_.kind = head.bodyKind;
    body_.remaining = head.contentLength;
    body_.limit = limits_.maxRequestBodySize;
    body_.expectContinue = head.expectContinue;
    chunked_.reset();
    phase_ = Phase::Body;
  } else if (lastRequest_) {
    phase_ = Phase::Stopped;
  }
  return true;
}

bool Connection::deliverBody() {
  size_t avail = inEnd_ - inBegin_;
  if (!body_.discard && (!body_.requested || body_.paused)) return false;
  if (avail == 0) return false;
  const char* p = in_.get() + inBegin_;

  if (body_.kind == BodyKind::ContentLength) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(avail, body_.remaining));
    if (!body_.discard) host_.onBody(*this, body_.seq, p, n);
    inBegin_ += n;
    body_.remaining -= n;
    body_.received += n;
    body_.bytesWhileActive += n;
    if (body_.remaining == 0) {
      if (!body_.discard) host_.onBodyEnd(*this, body_.seq, nullptr);
      finishBody();
    }
    return true;
  }

  size_t consumed = 0;
  const char* data = nullptr;
  size_t dataLength = 0;
  HttpError error = HttpError::None;
  ChunkedDecoder::Status st = chunked_.decode(p, avail, &consumed, &data, &dataLength, &error);
  inBegin_ += consumed;
  switch (st) {
    case ChunkedDecoder::Status::Data:
      body_.received += dataLength;
      body_.bytesWhileActive += dataLength;
      if (body_.discard) {
        if (body_.received > kMaxDiscardBytes) stopReading();
        return true;
      }
      if (body_.received > body_.limit) {
        host_.onBodyError(*this, body_.seq, HttpError::PayloadTooLarge);
        bodyFailed();
        return false;
      }
      host_.onBody(*this, body_.seq, data, dataLength);
      return true;
    case ChunkedDecoder::Status::NeedMore:
      return false;
    case ChunkedDecoder::Status::Done:
      if (!body_.discard) host_.onBodyEnd(*this, body_.seq, &chunked_);
      finishBody();
      return true;
    case ChunkedDecoder::Status::Error:
      if (body_.discard) {
        stopReading();
      } else {
        host_.onBodyError(*this, body_.seq, error);
        bodyFailed();
      }
      return false;
  }
  return false;
}

void Connection::finishBody() {
  body_ = BodyState{};
  phase_ = lastRequest_ ? Phase::Stopped : Phase::Head;
}

// The body cannot be read any further: the app hears of it through onBodyError, answers
// (413, 400, 408 …), and the connection closes after that answer.
void Connection::bodyFailed() {
  if (Slot* s = findSlot(body_.seq)) s->closeAfter = true;
  stopReading();
}

void Connection::stopReading() {
  phase_ = Phase::Stopped;
  inBegin_ = inEnd_ = 0;
  if (slots_.empty()) {
    closeAfterFlush_ = true;
    host_.wantFlush(*this);
  }
}

void Connection::fail(HttpError error, ParseFault fault, uint32_t parsed) {
  const ClientErrorDetail detail{fault, std::string_view(in_.get() + inBegin_, inEnd_ - inBegin_), parsed};
  if (limits_.deferClientErrors && slots_.empty() && phase_ != Phase::Raw) {
    // The app answers: what the client sent is dropped, what it sends next is raw.
    phase_ = Phase::Raw;
    idleSinceMs_ = now_;
    host_.onClientError(*this, error, true, detail);
    inBegin_ = inEnd_ = 0;
    host_.wantFlush(*this);
    return;
  }
  queueErrorResponse(error);
  host_.onClientError(*this, error, false, detail);
  phase_ = Phase::Stopped;
  inBegin_ = inEnd_ = 0;
}

void Connection::queueErrorResponse(HttpError error) {
  const bool node = limits_.nodeErrorResponses;
  std::string_view head = node ? nodeErrorResponseHead(error) : errorResponseHead(error);
  OutputChain* out = &output_;
  if (slots_.empty()) {
    closeAfterFlush_ = true;
  } else {
    // Behind responses still being produced: keep the order of the pipeline.
    Slot& s = slots_.emplace_back();
    s.seq = 0;
    s.synthetic = true;
    s.started = s.ended = s.closeAfter = true;
    out = &pendingOf(s);
  }
  out->append(head.data(), head.size());
  if (!node) out->append(date_.line(), DateCache::kLineLength);
  out->append("\r\n", 2);
  host_.wantFlush(*this);
}

// ---- output --------------------------------------------------------------------------

void Connection::sent(size_t length) {
  output_.consume(length);
  bytesSent_ += length;
  if (length > 0) lastSendMs_ = now_;
  bool low = output_.size() <= limits_.responseHighWaterMark / 2;
  if (rawNeedDrain_ && low) {
    rawNeedDrain_ = false;
    host_.onDrain(*this, 0);
  }
  if (!slots_.empty()) {
    Slot& front = slots_.front();
    if (front.needDrain && low) {
      front.needDrain = false;
      host_.onDrain(*this, front.seq);
    }
  }
  // Parsing paused on queued output (parseHead) resumes once the client has read it.
  if (low && phase_ == Phase::Head && inEnd_ > inBegin_ && !closeAfterFlush_) {
    process();
    host_.wantFlush(*this);
  }
}

size_t Connection::queuedOutput() const {
  size_t total = output_.size();
  for (const Slot& s : slots_) {
    if (s.pending) total += s.pending->size();
  }
  return total;
}

Connection::Slot* Connection::findSlot(uint32_t seq) {
  for (Slot& s : slots_) {
    if (s.seq == seq && !s.synthetic) return &s;
  }
  return nullptr;
}

SendResult Connection::send(uint32_t seq, int status, const char* head, size_t headLength,
                            const char* body, size_t bodyLength, uint32_t flags,
                            int64_t declaredLength, ExternalBytes* lender) {
  // Once the connection is to close, no request after the closing one may write: the
  // bytes could be read as part of the response before it.
  if (closeAfterFlush_) return SendResult::Gone;
  Slot* s = findSlot(seq);
  if (s == nullptr) return SendResult::UnknownRequest;
  if (s->ended) return SendResult::Ended;
  // Every check comes before any state changes: a refused call leaves nothing behind.
  const bool finalInformational = (flags & kSendFinalInformational) != 0 && status >= 100 && status < 200;
  if (!s->started && status >= 100 && status < 200 && !finalInformational) {
    return sendInformational(*s, status, head, headLength, body, bodyLength, flags);
  }
  if (!s->started && !finalInformational && (status < 200 || status > 999)) return SendResult::BadStatus;
  // Trailers end a response whose head went out in an earlier call.
  bool trailers = (flags & kSendTrailers) != 0;
  if (trailers && (!s->started || (flags & kSendEnd) == 0)) return SendResult::BadStatus;
  int64_t declared = s->started ? s->declared : declaredLength;
  if (declared >= 0 && s->written + bodyLength > static_cast<uint64_t>(declared)) {
    return SendResult::LengthMismatch;
  }
  bool ending = (flags & kSendEnd) != 0;
  if (ending) settleUnreadBody(*s);
  if (!s->started) {
    s->declared = declaredLength;
    writeHead(*s, status, head, headLength, flags, ending, bodyLength);
  }
  if (bodyLength > 0) writeBody(*s, body, bodyLength, lender);
  host_.wantFlush(*this);
  if (!ending) {
    size_t queued = outputFor(*s).size();
    if (queued > limits_.responseHighWaterMark) {
      s->needDrain = true;
      return SendResult::Full;
    }
    return SendResult::Ok;
  }

  if (s->chunked) {
    OutputChain& out = outputFor(*s);
    if (trailers && headLength > 0) {
      // The last chunk, then the trailer section (RFC 9112 §7.1.2); the JS layer checked
      // the field lines (node's addTrailers).
      appendLiteral(out, "0\r\n");
      out.append(head, headLength);
      out.append("\r\n", 2);
    } else {
      appendLiteral(out, "0\r\n\r\n");
    }
  }
  if (s->declared >= 0 && !s->noBody && s->written < static_cast<uint64_t>(s->declared)) {
    s->closeAfter = true;  // the framing promised more than was sent: only a close ends it
  }
  s->ended = true;
  s->needDrain = false;
  if (s == &slots_.front()) completeFront();
  return SendResult::Ok;
}

// 1xx before the final response (100 Continue, 103 Early Hints …): the head as the app
// wrote it, no body, no framing, and the request stays unanswered. 101 only comes from
// detach(). An HTTP/1.0 client is not sent any (RFC 9110 §15.2): the call is a no-op.
SendResult Connection::sendInformational(Slot& s, int status, const char* head, size_t headLength,
                                         const char* body, size_t bodyLength, uint32_t flags) {
  (void)body;
  if (status == 101 || bodyLength > 0 || (flags & kSendEnd) != 0 || headLength == 0) {
    return SendResult::BadStatus;
  }
  if (s.http10) return SendResult::Ok;
  OutputChain& out = outputFor(s);
  out.append(head, headLength);
  out.append("\r\n", 2);
  if (status == 100 && phase_ == Phase::Body && body_.seq == s.seq) body_.continueSent = true;
  host_.wantFlush(*this);
  return SendResult::Ok;
}

// A response that completes before its request body was read in full: a small rest is
// read and dropped so the connection can serve the next request; a client still waiting
// for "100 Continue", or a large rest, ends the connection instead (RFC 9110 §10.1.1).
// Decided before the head is written so that it can say "Connection: close".
void Connection::settleUnreadBody(Slot& s) {
  if (phase_ != Phase::Body || body_.seq != s.seq || body_.discard || body_.afterResponse) return;
  if (body_.requested) {
    // The app is reading it: the rest still goes to the app (node:http's parser delivers
    // a body whatever the response does), within the time an unread one gets, and the
    // connection goes on after it (JS hears of a close as an abort: still in flight).
    body_.afterResponse = true;
    discardDeadlineMs_ = now_ + limits_.requestHeadersTimeoutMs;
    return;
  }
  bool clientWaitsForUs = body_.expectContinue && !body_.continueSent;
  bool small = body_.kind == BodyKind::Chunked ? body_.received <= kMaxDiscardBytes
                                               : body_.remaining <= kMaxDiscardBytes;
  if (clientWaitsForUs || !small) {
    s.closeAfter = true;
    phase_ = Phase::Stopped;
    inBegin_ = inEnd_ = 0;
  } else {
    body_.discard = true;
    discardDeadlineMs_ = now_ + limits_.requestHeadersTimeoutMs;
  }
}

void Connection::writeHead(Slot& s, int status, const char* head, size_t headLength,
                           uint32_t flags, bool ending, size_t bodyLength) {
  s.started = true;
  // A 1xx as the final response (kSendFinalInformational) has no body either, and the
  // connection closes after it: the client may take it for an interim answer, or a switch.
  const bool informational = status < 200;
  s.noBody = s.headMethod || status == 204 || status == 304 || informational;
  if (informational) s.closeAfter = true;
  OutputChain& out = outputFor(s);
  out.append(head, headLength);
  if (!(flags & kSendHasDate)) out.append(date_.line(), DateCache::kLineLength);

  bool close = s.closeAfter || !s.keepAlive || (flags & (kSendClose | kSendCloseAfter)) != 0 ||
               (shuttingDown_ && &s == &slots_.back());
  // The framing first decided, then written after the Connection fields (node:http's
  // order: the app's fields, Date, Connection and Keep-Alive, then the framing).
  enum class Framing : uint8_t { None, Length, Chunked };
  Framing framing = Framing::None;
  bool bodyForbidden = status == 204 || status == 304 || informational;
  if (bodyForbidden || s.declared >= 0) {
    // 204/304 carry no framing; a declared Content-Length is among the app's fields.
  } else if (ending && (flags & kSendNoLength) == 0) {
    framing = Framing::Length;
  } else if (!s.http10 && (flags & kSendNoChunked) == 0) {
    framing = Framing::Chunked;
  } else {
    close = true;  // HTTP/1.0 without a length, or no framing allowed: the close ends the body
  }
  if (close) {
    s.closeAfter = true;
    // Unless the app already said close: an app's "keep-alive" does not stop a close,
    // and a second Connection line makes the list say so (RFC 9112 §9.6).
    if (!(flags & kSendClose)) appendLiteral(out, "Connection: close\r\n");
  } else if (!(flags & kSendHasConnection)) {
    const std::string& fields = limits_.keepAliveFields;
    if (!fields.empty() && (flags & kSendHasKeepAlive) != 0) {
      appendLiteral(out, "Connection: keep-alive\r\n");  // the app's Keep-Alive says the rest
    } else if (!fields.empty()) {
      out.append(fields.data(), fields.size());
    } else if (s.http10) {
      appendLiteral(out, "Connection: keep-alive\r\n");
    }
  }
  if (framing == Framing::Length) {
    char line[48] = "Content-Length: ";
    constexpr size_t kPrefix = sizeof("Content-Length: ") - 1;
    size_t n = kPrefix + formatDecimal(bodyLength, line + kPrefix);
    line[n++] = '\r';
    line[n++] = '\n';
    out.append(line, n);
  } else if (framing == Framing::Chunked) {
    // An app's own line (say "gzip, chunked") is among its fields already.
    if ((flags & kSendAppChunked) == 0) appendLiteral(out, "Transfer-Encoding: chunked\r\n");
    s.chunked = !s.noBody;
  }
  out.append("\r\n", 2);
}

void Connection::writeBody(Slot& s, const char* body, size_t length, ExternalBytes* lender) {
  s.written += length;
  if (s.noBody) return;
  OutputChain& out = outputFor(s);
  if (s.chunked) {
    char size[24];
    size_t n = formatHex(length, size);
    size[n++] = '\r';
    size[n++] = '\n';
    out.append(size, n);
  }
  // A large body the JS side lends is written from where it is (no copy); others are copied.
  if (lender != nullptr && lender->release != nullptr && length >= kLendMin) {
    lender->taken = true;
    out.appendExternal(body, length, *lender);
  } else {
    out.append(body, length);
  }
  if (s.chunked) out.append("\r\n", 2);
}

void Connection::completeFront() {
  while (!slots_.empty() && slots_.front().ended) {
    bool close = slots_.front().closeAfter;
    if (slots_.front().upgrade) awaitingUpgrade_ = false;  // answered over HTTP after all
    slots_.pop_front();
    if (close) {
      // Requests parsed after this one are never answered: they are dropped here (no
      // later send() can reach the wire) and hear of the close as an abort.
      for (const Slot& rest : slots_) {
        if (!rest.synthetic && !rest.ended) abandoned_ = true;
      }
      slots_.clear();
      closeAfterFlush_ = true;
      phase_ = Phase::Stopped;
      inBegin_ = inEnd_ = 0;
      break;
    }
    if (!slots_.empty() && slots_.front().pending) output_.spliceFrom(*slots_.front().pending);
  }
  if (closeAfterFlush_) return;
  if (slots_.empty()) idleSinceMs_ = now_;
  process();
  if (slots_.empty() && (shuttingDown_ || phase_ == Phase::Stopped)) closeAfterFlush_ = true;
}

// ---- upgrade ---------------------------------------------------------------------------

bool Connection::deliverRaw() {
  if (rawPaused_) return false;
  if (inEnd_ > inBegin_) {
    size_t n = inEnd_ - inBegin_;
    const char* p = in_.get() + inBegin_;
    inBegin_ = inEnd_ = 0;  // before the call: the host may pause or end from inside it
    host_.onRaw(*this, p, n);
  }
  if (rawEofPending_) {
    rawEofPending_ = false;
    host_.onRawEnd(*this);
  }
  return false;
}

SendResult Connection::detach(uint32_t seq, bool hijack, std::string* buffered) {
  if (closeAfterFlush_ || phase_ == Phase::Raw) return SendResult::Gone;
  Slot* s = findSlot(seq);
  if (s == nullptr) return SendResult::UnknownRequest;
  if (s->ended || s->started) return SendResult::Ended;
  if (hijack) {
    // Later requests must be answered already (refused behind it): their answers are dropped.
    if (s != &slots_.front()) return SendResult::NotUpgradable;
    for (const Slot& other : slots_) {
      if (&other != s && !other.ended) return SendResult::NotUpgradable;
    }
  } else if (!s->upgrade || s != &slots_.front() || (phase_ == Phase::Body && body_.seq == seq)) {
    return SendResult::NotUpgradable;
  }
  // Parsing stopped after this request's head (awaitingUpgrade_), or (hijack) the ones
  // parsed after it are answered: the slot list empties and every byte still buffered
  // belongs to the raw stream.
  slots_.clear();
  awaitingUpgrade_ = false;
  phase_ = Phase::Raw;
  if (peerClosed_) rawEofPending_ = true;  // the client ended already: its stream hears it
  idleSinceMs_ = now_;
  if (buffered != nullptr) {
    buffered->assign(in_.get() + inBegin_, inEnd_ - inBegin_);
    inBegin_ = inEnd_ = 0;
  }
  process();  // what came after the head, once JS has its stream (the records are ordered)
  host_.wantFlush(*this);
  return SendResult::Ok;
}

SendResult Connection::peekUpgrade(uint32_t seq, std::string* buffered) {
  if (closeAfterFlush_ || phase_ == Phase::Raw) return SendResult::Gone;
  Slot* s = findSlot(seq);
  if (s == nullptr) return SendResult::UnknownRequest;
  if (s->ended || s->started) return SendResult::Ended;
  // Only while parsing waits after its head: nothing is taken from the input buffer then
  // (reads only append to it), so what is copied now is where detach()'s bytes begin.
  if (!s->upgrade || !awaitingUpgrade_ || s != &slots_.back() || phase_ == Phase::Body) return SendResult::NotUpgradable;
  buffered->assign(in_.get() + inBegin_, inEnd_ - inBegin_);
  return SendResult::Ok;
}

SendResult Connection::writeRaw(const char* data, size_t length) {
  if (phase_ != Phase::Raw || closeAfterFlush_ || rawEnding_) return SendResult::Gone;
  if (length > 0) {
    output_.append(data, length);
    host_.wantFlush(*this);
  }
  if (output_.size() > limits_.responseHighWaterMark) {
    rawNeedDrain_ = true;
    return SendResult::Full;
  }
  return SendResult::Ok;
}

SendResult Connection::endRaw(bool close) {
  if (phase_ != Phase::Raw || closeAfterFlush_) return SendResult::Gone;
  rawEnding_ = true;
  rawNeedDrain_ = false;
  if (close) closeAfterFlush_ = true;
  host_.wantFlush(*this);
  return SendResult::Ok;
}

bool Connection::wroteShutdown() {
  rawShut_ = true;
  if (!peerClosed_) return false;
  closeAfterFlush_ = true;  // both sides are done
  return true;
}

void Connection::setMirrorInput(bool paused) {
  const bool resumed = mirrorPaused_ && !paused;
  mirrorInput_ = true;
  mirrorPaused_ = paused;
  if (resumed) host_.wantFlush(*this);  // the backend reads again on its next flush
}

void Connection::pauseRaw(bool paused) {
  if (phase_ != Phase::Raw) return;
  bool resumed = rawPaused_ && !paused;
  rawPaused_ = paused;
  if (resumed) {
    process();              // what was held while paused
    host_.wantFlush(*this);  // and the backend reads again on its next flush
  }
}

// ---- calls from JS about the body ---------------------------------------------------

BodyCallResult Connection::readBody(uint32_t seq, uint64_t maxBodySize) {
  if (closeAfterFlush_) return BodyCallResult::Gone;
  Slot* s = findSlot(seq);
  if (s == nullptr) return BodyCallResult::UnknownRequest;
  if (phase_ != Phase::Body || body_.seq != seq || body_.discard) return BodyCallResult::Ok;
  body_.limit = maxBodySize;
  if (!body_.requested) {
    body_.requested = true;
    if (body_.kind == BodyKind::ContentLength && body_.remaining > maxBodySize) {
      host_.onBodyError(*this, seq, HttpError::PayloadTooLarge);
      bodyFailed();
      return BodyCallResult::Ok;
    }
    if (body_.expectContinue && !body_.continueSent && !s->started) {
      appendLiteral(outputFor(*s), kContinue);
      body_.continueSent = true;
    }
  }
  body_.paused = false;
  process();
  host_.wantFlush(*this);
  return BodyCallResult::Ok;
}

BodyCallResult Connection::pauseBody(uint32_t seq, bool paused) {
  if (paused) {
    if (phase_ == Phase::Body && body_.seq == seq) body_.paused = true;
    return BodyCallResult::Ok;
  }
  return readBody(seq, phase_ == Phase::Body && body_.seq == seq ? body_.limit
                                                                   : limits_.maxRequestBodySize);
}

// ---- lifetime -------------------------------------------------------------------------

bool Connection::hasRequestsInFlight() const {
  if (abandoned_ || phase_ == Phase::Raw) return true;  // a detached stream is the app's
  for (const Slot& s : slots_) {
    if (!s.synthetic && !s.ended) return true;
  }
  // A body the app reads, its response complete or not, until it ends (a close cuts it
  // short: an abort for the app, even once input has stopped).
  return (phase_ == Phase::Body || body_.afterResponse) && body_.requested && !body_.discard;
}

bool Connection::partialHeadBuffered() const {
  // Skip the empty lines a client may send between requests (RFC 9112 §2.2).
  size_t i = inBegin_;
  while (i < inEnd_ && (in_[i] == '\r' || in_[i] == '\n')) ++i;
  if (i == inEnd_) return false;
  std::string_view rest(in_.get() + i, inEnd_ - i);
  return rest.find("\r\n\r\n") == std::string_view::npos && rest.find("\n\n") == std::string_view::npos;
}

bool Connection::stopAfterOutput() {
  if (phase_ == Phase::Raw || output_.empty()) return false;
  // Complete responses go out whole, as bytes node:net had handed to the kernel would
  // (a client that stops reading meets the send-stall limit); of one still being
  // written, at most the high-water mark.
  if (hasRequestsInFlight() && output_.size() > limits_.responseHighWaterMark) return false;
  slots_.clear();  // the front's output is output_ itself; later responses' is dropped
  abandoned_ = false;
  stopReading();  // no slot left: the close follows the flush
  return true;
}

bool Connection::idle() const {
  return slots_.empty() && inBegin_ == inEnd_ && phase_ == Phase::Head;
}

bool Connection::beginShutdown() {
  shuttingDown_ = true;
  if (phase_ == Phase::Raw) return false;  // the app's stream: it ends it (or stop's timeout does)
  if (slots_.empty() && phase_ == Phase::Head && inEnd_ > inBegin_) {
    // A head partly received: the client is sending a request. As node:http's close(),
    // it is not idle: it is answered (with Connection: close), or the head timeout ends it.
    finishHead_ = true;
    return false;
  }
  if (slots_.empty() && !(phase_ == Phase::Body && body_.afterResponse)) {
    // Idle: nothing the app has seen is lost (a body it still reads is not idle).
    closeAfterFlush_ = true;
    phase_ = Phase::Stopped;
    host_.wantFlush(*this);
    return true;
  }
  return false;
}

bool Connection::tick(uint64_t nowMs, uint32_t elapsedMs) {
  now_ = nowMs;
  // Output the client does not read: give up on it rather than hold it forever.
  if (output_.empty()) {
    lastSendMs_ = nowMs;
  } else if (nowMs - lastSendMs_ >= limits_.sendStallTimeoutMs) {
    return true;
  }
  if (closeAfterFlush_ || phase_ == Phase::Raw) return false;

  // The rest of a body whose response is complete must arrive in time too: one the app
  // still reads ends with the connection (it hears of an abort), one nobody reads is
  // dropped and the connection closes after it.
  if (phase_ == Phase::Body && body_.afterResponse && nowMs >= discardDeadlineMs_) return true;
  if (phase_ == Phase::Body && body_.discard) {
    if (nowMs >= discardDeadlineMs_) stopReading();
    return false;
  }

  if (phase_ == Phase::Body && body_.requested && !body_.paused &&
      limits_.minBodyBytesPerSecond > 0) {
    body_.activeMs += elapsedMs;
    if (body_.activeMs > limits_.minBodyRateGraceMs &&
        body_.bytesWhileActive * 1000 < uint64_t{limits_.minBodyBytesPerSecond} * body_.activeMs) {
      host_.onBodyError(*this, body_.seq, HttpError::RequestTimeout);
      bodyFailed();
      return false;
    }
  }

  if (!slots_.empty() || phase_ != Phase::Head) return false;
  bool partial = inEnd_ > inBegin_;
  if (partial || (headStarted_ && !everRequested_)) {
    if (nowMs - headStartMs_ >= limits_.requestHeadersTimeoutMs) {
      if (partial || limits_.answerUnusedConnectionTimeout) {
        fail(HttpError::RequestTimeout);
      } else {
        phase_ = Phase::Stopped;
        closeAfterFlush_ = true;
        host_.wantFlush(*this);
      }
    }
  } else if (nowMs - idleSinceMs_ >= limits_.keepAliveTimeoutMs) {
    phase_ = Phase::Stopped;
    closeAfterFlush_ = true;
    host_.wantFlush(*this);
  }
  return false;
}

}  // namespace syshttp::http
