// A strict, zero-copy, stateless HTTP/1.1 request-head parser (RFC 9110 / RFC 9112).
//
// Zero-copy: the result is offsets into the caller's buffer, nothing is copied.
// Stateless and resumable the picohttpparser way: when the head is not complete the
// caller keeps the bytes and calls again with more; a head is at most a few KiB so
// re-scanning is cheaper than carrying state. Limits are checked on partial input too,
// so a client cannot make us buffer more than the limits allow.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http_error.h"

namespace syshttp::http {

// A byte range within the buffer that was parsed.
struct Span {
  uint32_t offset;
  uint32_t length;
};

struct Field {
  Span name;   // as sent (case preserved), a valid token
  Span value;  // leading and trailing OWS removed
};

enum class BodyKind : uint8_t { None, ContentLength, Chunked };

enum class ParseStatus : int8_t { Complete = 0, Error = -1, Incomplete = -2 };

// Which rule a refused head broke, for callers that report it (the node:http layer maps
// these to llhttp's error codes). The response is the HttpError's either way.
enum class ParseFault : uint8_t {
  Other = 0,
  Method,                   // the method is not a token
  Url,                      // the request-target
  Version,                  // the HTTP-version or what follows it
  HeaderToken,              // a field name, its colon, a field-value character, obs-fold
  CrExpected,               // a bare LF ending a field line
  LfExpected,               // a CR not followed by LF
  ContentLength,            // a Content-Length that is not a number
  UnexpectedContentLength,  // Content-Length repeated with another value
  TransferEncoding,         // Transfer-Encoding not ending in chunked, in HTTP/1.0, or with Content-Length
  Eof,                      // the client ended its side in the middle of a head (Connection)
};

// What a refused head's 'clientError' reports of it (node's err.rawPacket, err.bytesParsed).
struct ClientErrorDetail {
  ParseFault fault = ParseFault::Other;  // which parsing rule broke, for a head refused for its syntax
  std::string_view received;             // the head's bytes received so far
  uint32_t parsed = 0;                   // where in `received` the parser stopped
};

struct HeadLimits {
  uint32_t maxRequestLine = 8 * 1024;   // method SP target SP version, without CRLF → 414
  uint32_t maxHeaderBytes = 32 * 1024;  // all field lines with their CRLFs → 431
  uint32_t maxHeaderCount = 100;        // → 431
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Off only for the node
  // layer, which answers it as node:http does (a response, not a protocol error; an
  // upgrade goes to its 'upgrade' listener) unless requireHostHeader is false.
  bool requireHost = true;
  // CONNECT is taken as a tunnel request (RequestHead::upgrade, no body; origin-form
  // targets too, as llhttp takes them): the node layer's 'connect'. Otherwise the
  // connection refuses it (501).
  bool connectTunnels = false;
  // A method llhttp does not know (node:http's parser: its HTTP and RTSP methods) is
  // refused at its first byte off all of them while the method is still arriving, as
  // llhttp does (the node layer, which refuses a whole unknown method itself).
  // Otherwise any token is a method (RFC 9110 §9).
  bool llhttpMethods = false;
  // With an absolute-form target, a Host field naming another authority is refused, as
  // Kestrel refuses it (the app routing by Host and a proxy by the target would
  // disagree). Off for the node layer: node:http takes the request as sent, as RFC 9112
  // §3.2.2 has an origin server take it (the target's authority counts, not Host).
  bool hostMustMatchTarget = true;
};

struct RequestHead {
  Span method;
  Span target;
  Span authority;                    // absolute-form: the target's authority; else empty
  uint16_t authorityDefaultPort = 0; // 80 or 443 with an absolute-form http(s) target
  uint8_t versionMinor = 1;  // HTTP/1.<versionMinor>, 0 or 1
  // Caller-provided storage. With fewer than limits.maxHeaderCount entries, a head with
  // more fields fails with HeaderFieldsTooLarge and fieldsFull set: the caller may grow
  // the storage and parse again.
  Field* fields = nullptr;
  uint32_t fieldCapacity = 0;
  uint32_t fieldCount = 0;
  bool fieldsFull = false;
  BodyKind bodyKind = BodyKind::None;
  uint64_t contentLength = 0;  // valid when bodyKind == ContentLength
  bool keepAlive = false;      // 1.1 unless "Connection: close"; 1.0 only with "keep-alive"
  bool expectContinue = false; // "Expect: 100-continue" on HTTP/1.1
  bool upgrade = false;        // "Connection: upgrade" together with an Upgrade field
  bool noHost = false;         // HTTP/1.1 without Host, taken as limits.requireHost is off
  // Set by the Connection, not the parser: the field lines are byte for byte the previous
  // request's on the same connection (the request with the sequence number before).
  bool sameFields = false;
  uint32_t headLength = 0;     // bytes consumed, through the empty line's CRLF
  ParseFault fault = ParseFault::Other;  // with ParseStatus::Error: which rule broke
  uint32_t faultOffset = 0;  // with ParseStatus::Error: where in buf the parser stopped
};

// Parses one request head from buf[0, len).
// Complete: `out` is filled, out.headLength bytes were consumed.
// Incomplete: more bytes are needed; no limit has been crossed so far.
// Error: `err` says which precomputed response to send before closing.
ParseStatus parseRequestHead(const char* buf, size_t len, const HeadLimits& limits,
                             RequestHead& out, HttpError& err);

// Case-insensitive ASCII comparison of a span of `buf` with a lower-case literal.
bool spanEqualsLower(const char* buf, Span s, const char* lowerLiteral, size_t literalLength);

}  // namespace syshttp::http
