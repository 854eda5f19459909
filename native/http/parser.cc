// Strict HTTP/1.1 request-head parser (RFC 9112 §2–§3, §5, §6; RFC 9110 §5, §7.2, §8.6).
//
// One forward pass over buf[0, len). Every syntax or limit error is decided at the byte
// where it becomes certain, so calling again with a longer prefix of the same stream gives
// either Incomplete or the same answer. Checks that need the whole field section (Host,
// Content-Length, Transfer-Encoding, Connection, Expect) run once the empty line is seen.
// No allocation, no mutable state outside the arguments.
#include "parser.h"

#include <string_view>

#include "char_classes.h"
#include "number_format.h"

#include <cstring>

#include <cstdint>
#include <limits>

namespace syshttp::http {
namespace {

// Character classes: native/http/char_classes.h.
using chars::has;
using chars::isAlphaAscii;
using chars::isDigitAscii;
using chars::kAlpha;
using chars::kDigit;
using chars::kHex;
using chars::kHost;
using chars::kSchemeTail;
using chars::kTarget;
using chars::kTchar;
using chars::kValue;

// authority without userinfo (RFC 3986 §3.2): uri-host [ ":" port ], where uri-host is an
// IP-literal "[…]" or a reg-name (unreserved / pct-encoded / sub-delims) and port is
// digits. Used for Host values and absolute-form targets; an empty host is allowed
// only where the caller says so.
bool validAuthority(const unsigned char* p, size_t off, size_t len, bool allowEmptyHost) {
  size_t k = 0;
  if (len > 0 && p[off] == '[') {
    size_t close = 1;
    while (close < len && p[off + close] != ']') {
      const unsigned char h = p[off + close];
      if (!has(h, kHex) && h != ':' && h != '.' && h != 'v' && h != 'V') return false;
      ++close;
    }
    if (close == len || close == 1) return false;
    k = close + 1;
  } else {
    while (k < len && p[off + k] != ':') {
      const unsigned char h = p[off + k];
      if (h == '%') {
        if (k + 2 >= len || !has(p[off + k + 1], kHex) || !has(p[off + k + 2], kHex)) return false;
        k += 3;
        continue;
      }
      if (!has(h, kHost) || h == '[' || h == ']') return false;
      ++k;
    }
    if (k == 0 && !allowEmptyHost) return false;
  }
  if (k == len) return true;
  if (p[off + k] != ':') return false;
  size_t digits = 0;
  for (++k; k < len; ++k, ++digits) {
    if (!isDigitAscii(p[off + k])) return false;
  }
  return digits <= 5;
}

// Bytes a conforming client always percent-encodes in a path (the WHATWG path
// percent-encode set), and the fragment mark, which never belongs in a request-target.
constexpr bool badPathByte(unsigned char c) {
  return c == '#' || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' || c == '}';
}
inline bool isOws(unsigned char c) { return c == ' ' || c == '\t'; }
inline unsigned char lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c | 0x20) : c;
}

constexpr uint64_t kMaxContentLength = (uint64_t{1} << 53) - 1;  // Number.MAX_SAFE_INTEGER

// Fetch results below zero are not bytes.
constexpr int kNeedMore = -1;
constexpr int kOverLimit = -2;

// The outcome of one parsing step: Ok to go on, or the final status and error.
struct Outcome {
  ParseStatus status;
  HttpError error;
  ParseFault fault;
};
constexpr Outcome kOk{ParseStatus::Complete, HttpError::None, ParseFault::Other};
constexpr Outcome kIncomplete{ParseStatus::Incomplete, HttpError::None, ParseFault::Other};
constexpr Outcome fail(HttpError e, ParseFault f = ParseFault::Other) { return Outcome{ParseStatus::Error, e, f}; }
inline bool isOk(const Outcome& o) { return o.status == ParseStatus::Complete; }

template <size_t N>
bool spanIs(const unsigned char* p, size_t off, size_t n, const char (&lit)[N]) {
  if (n != N - 1) return false;
  for (size_t i = 0; i < n; ++i) {
    if (lower(p[off + i]) != static_cast<unsigned char>(lit[i])) return false;
  }
  return true;
}

template <size_t N>
bool spanIsExact(const unsigned char* p, size_t off, size_t n, const char (&lit)[N]) {
  if (n != N - 1) return false;
  for (size_t i = 0; i < n; ++i) {
    if (p[off + i] != static_cast<unsigned char>(lit[i])) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// llhttp's methods (HeadLimits::llhttpMethods).

// What llhttp's request parser spells out: node's http.METHODS, RTSP's, and PRI.
constexpr std::string_view kLlhttpMethods[] = {
    "DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY", "LOCK",
    "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND",
    "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE",
    "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE", "QUERY", "PRI",
    "DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER",
    "SET_PARAMETER", "REDIRECT", "RECORD", "FLUSH"};
constexpr size_t kNoMismatch = static_cast<size_t>(-1);

// Where llhttp would refuse a method that begins m[0, len) (more may follow): the first
// byte no known method has there, or kNoMismatch.
size_t llhttpMethodMismatch(const unsigned char* m, size_t len) {
  size_t longest = 0;  // the longest prefix of m some method begins with
  for (std::string_view known : kLlhttpMethods) {
    size_t k = 0;
    while (k < len && k < known.size() && static_cast<unsigned char>(known[k]) == m[k]) ++k;
    if (k == len) return kNoMismatch;
    if (k > longest) longest = k;
  }
  return longest;
}

// Whether m[0, len) is one of llhttp's methods, whole.
bool isLlhttpMethod(const unsigned char* m, size_t len) {
  for (std::string_view known : kLlhttpMethods) {
    if (known.size() == len && std::memcmp(known.data(), m, len) == 0) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// The scanning pass.

class HeadScanner {
 public:
  HeadScanner(const unsigned char* p, size_t len, bool clamped, const HeadLimits& limits,
              RequestHead& out)
      : p_(p), len_(len), clamped_(clamped), limits_(limits), out_(out) {}

  Outcome run(size_t& headEnd);

 private:
  // A byte of the request line: bytes at or past lineLimit_ other than CR cross the limit
  // (the line may still end exactly at the limit).
  int lineByte(size_t i) const {
    if (i >= len_) return kNeedMore;
    const unsigned char c = p_[i];
    if (i >= lineLimit_ && c != '\r') return kOverLimit;
    return c;
  }
  // A byte of the field section: any byte at or past the limit crosses it, even one that
  // has not arrived yet.
  int sectionByte(size_t i) const {
    if (i >= sectionLimit_) return kOverLimit;
    if (i >= len_) return kNeedMore;
    return p_[i];
  }
  int plainByte(size_t i) const { return i >= len_ ? kNeedMore : p_[i]; }

  Outcome lineFetchFailure(int r) const {
    if (r == kOverLimit) return fail(HttpError::UriTooLong);
    return needMore();
  }
  Outcome sectionFetchFailure(int r) const {
    if (r == kOverLimit) return fail(HttpError::HeaderFieldsTooLarge);
    return needMore();
  }
  // When the buffer was clamped to what a Span can address, needing more is an error.
  Outcome needMore() const {
    return clamped_ ? fail(HttpError::HeaderFieldsTooLarge) : kIncomplete;
  }

  Outcome skipLeadingEmptyLines(size_t& i);
  Outcome requestLine(size_t& i);
  Outcome checkTargetForm(size_t mOff, size_t mLen, size_t tOff, size_t tLen);
  Outcome checkPathAndQuery(size_t off, size_t len) const;
  Outcome fieldSection(size_t& i);

  const unsigned char* p_;
  size_t len_;
  bool clamped_;
  const HeadLimits& limits_;
  RequestHead& out_;
  size_t unknownMethodAt_ = kNoMismatch;  // llhttpMethods: where llhttp would refuse the method
  size_t lineLimit_ = 0;
  size_t sectionLimit_ = 0;
};

Outcome HeadScanner::skipLeadingEmptyLines(size_t& i) {
  // RFC 9112 §2.2: ignore empty lines before the request line. They are bounded by the
  // request-line limit so that a stream of CRLFs cannot be buffered forever.
  for (;;) {
    const int c = plainByte(i);
    if (c < 0) return needMore();
    if (c == '\n') return fail(HttpError::BadRequest);
    if (c != '\r') return kOk;
    if (i >= limits_.maxRequestLine) return fail(HttpError::BadRequest);
    const int lf = plainByte(i + 1);
    if (lf < 0) return needMore();
    if (lf != '\n') return fail(HttpError::BadRequest, ParseFault::LfExpected);
    i += 2;
  }
}

Outcome HeadScanner::requestLine(size_t& i) {
  const size_t lineStart = i;
  lineLimit_ = lineStart + limits_.maxRequestLine;

  // method = token
  int c;
  for (;;) {
    c = lineByte(i);
    if (c < 0) {
      if (limits_.llhttpMethods && c == kNeedMore) {
        // Refused as soon as no method llhttp knows can begin so.
        const size_t bad = llhttpMethodMismatch(p_ + lineStart, i - lineStart);
        if (bad != kNoMismatch) {
          i = lineStart + bad;
          return fail(HttpError::BadRequest, ParseFault::Method);
        }
      }
      return lineFetchFailure(c);
    }
    if (!has(static_cast<unsigned char>(c), kTchar)) break;
    ++i;
  }
  // A whole method token llhttp does not know is left to the caller (the node layer
  // refuses it as a request, so a 'clientError' listener may answer it in turn).
  if (i == lineStart || c != ' ') return fail(HttpError::BadRequest, ParseFault::Method);
  const size_t mOff = lineStart;
  const size_t mLen = i - lineStart;
  if (limits_.llhttpMethods && !isLlhttpMethod(p_ + mOff, mLen)) {
    // llhttp refuses it at its first wrong byte, before the rest of the head comes: so
    // does run() while this head is incomplete (a whole one goes to the caller, above).
    const size_t bad = llhttpMethodMismatch(p_ + mOff, mLen);
    unknownMethodAt_ = mOff + (bad == kNoMismatch ? mLen : bad);
  }
  ++i;

  // request-target: visible ASCII only
  const size_t tOff = i;
  for (;;) {
    c = lineByte(i);
    if (c < 0) return lineFetchFailure(c);
    if (!has(static_cast<unsigned char>(c), kTarget)) break;
    ++i;
  }
  if (i == tOff || c != ' ') return fail(HttpError::BadRequest, ParseFault::Url);
  const size_t tLen = i - tOff;
  ++i;

  // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3)
  static constexpr char kPrefix[] = "HTTP/";
  for (size_t k = 0; k < 5; ++k, ++i) {
    c = lineByte(i);
    if (c < 0) return lineFetchFailure(c);
    if (c != kPrefix[k]) return fail(HttpError::BadRequest);  // llhttp: not a version at all
  }
  int digits[2];
  for (int k = 0; k < 3; ++k, ++i) {
    c = lineByte(i);
    if (c < 0) return lineFetchFailure(c);
    if (k == 1) {
      if (c != '.') return fail(HttpError::BadRequest, ParseFault::Version);
    } else {
      if (!isDigitAscii(static_cast<unsigned>(c))) return fail(HttpError::BadRequest, ParseFault::Version);
      digits[k / 2] = c - '0';
    }
  }
  c = lineByte(i);
  if (c < 0) return lineFetchFailure(c);
  if (c != '\r') return fail(HttpError::BadRequest, ParseFault::Version);
  c = plainByte(i + 1);
  if (c < 0) return needMore();
  if (c != '\n') return fail(HttpError::BadRequest, ParseFault::LfExpected);
  i += 2;

  // RFC 9110 §6.2: a higher minor version of a major version we implement is processed
  // as the highest minor we conform to (HTTP/1.2 → 1.1); other majors are 505.
  if (digits[0] != 1) return fail(HttpError::VersionNotSupported);
  out_.versionMinor = static_cast<uint8_t>(digits[1] > 1 ? 1 : digits[1]);
  out_.method = Span{static_cast<uint32_t>(mOff), static_cast<uint32_t>(mLen)};
  out_.target = Span{static_cast<uint32_t>(tOff), static_cast<uint32_t>(tLen)};
  return checkTargetForm(mOff, mLen, tOff, tLen);
}

// RFC 9112 §3.2: origin-form for any method but CONNECT, absolute-form likewise,
// authority-form only (and always) for CONNECT, asterisk-form only for OPTIONS.
Outcome HeadScanner::checkTargetForm(size_t mOff, size_t mLen, size_t tOff,
                                     size_t tLen) {
  const bool isConnect = spanIsExact(p_, mOff, mLen, "CONNECT");
  const unsigned char first = p_[tOff];

  if (isConnect && !(limits_.connectTunnels && first == '/')) {
    // authority-form = uri-host ":" port; the host is a reg-name or an IP-literal.
    size_t colon = tLen;
    for (size_t k = tLen; k > 0; --k) {
      if (p_[tOff + k - 1] == ':') {
        colon = k - 1;
        break;
      }
    }
    if (colon == tLen || colon == 0 || colon + 1 == tLen) return fail(HttpError::BadRequest, ParseFault::Url);
    for (size_t k = colon + 1; k < tLen; ++k) {
      if (!isDigitAscii(p_[tOff + k])) return fail(HttpError::BadRequest, ParseFault::Url);
    }
    if (first == '[') {
      if (colon < 3 || p_[tOff + colon - 1] != ']') return fail(HttpError::BadRequest, ParseFault::Url);
      for (size_t k = 1; k + 1 < colon; ++k) {
        const unsigned char h = p_[tOff + k];
        if (!has(h, kHex) && h != ':' && h != '.') return fail(HttpError::BadRequest, ParseFault::Url);
      }
      return kOk;
    }
    for (size_t k = 0; k < colon; ++k) {
      const unsigned char h = p_[tOff + k];
      if (h == '%') {
        if (k + 2 >= colon || !has(p_[tOff + k + 1], kHex) || !has(p_[tOff + k + 2], kHex)) {
          return fail(HttpError::BadRequest, ParseFault::Url);
        }
        k += 2;
        continue;
      }
      if (!has(h, kHost) || h == ':' || h == '[' || h == ']') return fail(HttpError::BadRequest, ParseFault::Url);
    }
    return kOk;
  }

  if (first == '/') return checkPathAndQuery(tOff, tLen);
  if (first == '*' && tLen == 1) {
    return spanIsExact(p_, mOff, mLen, "OPTIONS") ? kOk : fail(HttpError::BadRequest, ParseFault::Url);
  }
  // absolute-form: scheme "://" authority [ path-abempty [ "?" query ] ]
  if (has(first, kAlpha)) {
    size_t k = 1;
    while (k < tLen && has(p_[tOff + k], kSchemeTail)) ++k;
    if (k + 3 <= tLen && p_[tOff + k] == ':' && p_[tOff + k + 1] == '/' &&
        p_[tOff + k + 2] == '/') {
      const bool httpScheme = spanIs(p_, tOff, k, "http") || spanIs(p_, tOff, k, "https");
      const size_t aOff = tOff + k + 3;
      size_t aLen = 0;
      while (aOff + aLen < tOff + tLen && p_[aOff + aLen] != '/' && p_[aOff + aLen] != '?') {
        // userinfo is an error in http(s) URIs (RFC 9110 §4.2.4); a fragment is never sent
        if (p_[aOff + aLen] == '@' || p_[aOff + aLen] == '#') return fail(HttpError::BadRequest, ParseFault::Url);
        ++aLen;
      }
      // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid.
      if (!validAuthority(p_, aOff, aLen, !httpScheme)) return fail(HttpError::BadRequest, ParseFault::Url);
      out_.authority = Span{static_cast<uint32_t>(aOff), static_cast<uint32_t>(aLen)};
      out_.authorityDefaultPort = spanIs(p_, tOff, k, "https") ? 443 : 80;
      return checkPathAndQuery(aOff + aLen, tOff + tLen - aOff - aLen);
    }
  }
  return fail(HttpError::BadRequest, ParseFault::Url);
}

Outcome HeadScanner::checkPathAndQuery(size_t off, size_t len) const {
  bool inQuery = false;
  for (size_t k = 0; k < len; ++k) {
    const unsigned char c = p_[off + k];
    if (c == '?') inQuery = true;
    // In the query only '#' is refused: browsers send {, }, ` and friends there as is.
    if (c == '#' || (!inQuery && badPathByte(c))) return fail(HttpError::BadRequest, ParseFault::Url);
  }
  return kOk;
}

Outcome HeadScanner::fieldSection(size_t& i) {
  sectionLimit_ = i + limits_.maxHeaderBytes;
  const uint32_t maxFields =
      limits_.maxHeaderCount < out_.fieldCapacity ? limits_.maxHeaderCount : out_.fieldCapacity;
  int c;
  for (;;) {
    // Start of a field line, or the empty line that ends the head.
    c = sectionByte(i);
    if (c < 0) return sectionFetchFailure(c);
    if (c == '\r') {
      c = sectionByte(i + 1);
      if (c < 0) return sectionFetchFailure(c);
      if (c != '\n') return fail(HttpError::BadRequest, ParseFault::LfExpected);
      i += 2;
      return kOk;
    }
    // Bare LF, obs-fold (RFC 9112 §5.2) or whitespace before the first field (§2.2).
    if (c == '\n' || isOws(static_cast<unsigned char>(c))) return fail(HttpError::BadRequest, ParseFault::HeaderToken);
    if (out_.fieldCount >= maxFields) {
      out_.fieldsFull = maxFields < limits_.maxHeaderCount;  // the storage, not the limit
      return fail(HttpError::HeaderFieldsTooLarge);
    }

    // field-name = token, then ":" with nothing in between.
    const size_t nameOff = i;
    for (;;) {
      c = sectionByte(i);
      if (c < 0) return sectionFetchFailure(c);
      if (!has(static_cast<unsigned char>(c), kTchar)) break;
      ++i;
    }
    if (i == nameOff || c != ':') return fail(HttpError::BadRequest, ParseFault::HeaderToken);
    const size_t nameLen = i - nameOff;
    ++i;

    // OWS field-value OWS CRLF
    for (;;) {
      c = sectionByte(i);
      if (c < 0) return sectionFetchFailure(c);
      if (!isOws(static_cast<unsigned char>(c))) break;
      ++i;
    }
    const size_t valueOff = i;
    size_t valueEnd = i;
    for (;;) {
      c = sectionByte(i);
      if (c < 0) return sectionFetchFailure(c);
      const auto uc = static_cast<unsigned char>(c);
      if (!has(uc, kValue)) break;
      ++i;
      if (!isOws(uc)) valueEnd = i;
    }
    if (c != '\r') {  // NUL, CTL, DEL or bare LF
      return fail(HttpError::BadRequest, c == '\n' ? ParseFault::CrExpected : ParseFault::HeaderToken);
    }
    c = sectionByte(i + 1);
    if (c < 0) return sectionFetchFailure(c);
    if (c != '\n') return fail(HttpError::BadRequest, ParseFault::LfExpected);
    i += 2;

    out_.fields[out_.fieldCount++] =
        Field{Span{static_cast<uint32_t>(nameOff), static_cast<uint32_t>(nameLen)},
              Span{static_cast<uint32_t>(valueOff), static_cast<uint32_t>(valueEnd - valueOff)}};
  }
}

Outcome HeadScanner::run(size_t& headEnd) {
  size_t i = 0;
  Outcome o = skipLeadingEmptyLines(i);
  if (isOk(o)) o = requestLine(i);
  if (isOk(o)) o = fieldSection(i);
  if (o.status == ParseStatus::Incomplete && unknownMethodAt_ != kNoMismatch) {
    i = unknownMethodAt_;
    o = fail(HttpError::BadRequest, ParseFault::Method);
  }
  if (!isOk(o)) {
    // The byte being looked at (llhttp's error position, node's err.bytesParsed); for a
    // CR not followed by LF, the byte after it.
    out_.faultOffset = static_cast<uint32_t>(o.fault == ParseFault::LfExpected ? i + 1 : i);
    return o;
  }
  headEnd = i;
  return kOk;
}

// ---------------------------------------------------------------------------------------
// Field semantics, once the whole head is known.

// Calls fn(offset, length) for each element of a comma-separated list (RFC 9110 §5.6.1),
// with OWS around elements removed. Empty elements are passed too (length 0).
template <typename Fn>
void forEachListElement(const unsigned char* p, Span v, Fn&& fn) {
  const size_t end = size_t{v.offset} + v.length;
  size_t i = v.offset;
  for (;;) {
    while (i < end && isOws(p[i])) ++i;
    const size_t start = i;
    while (i < end && p[i] != ',') ++i;
    size_t stop = i;
    while (stop > start && isOws(p[stop - 1])) --stop;
    fn(start, stop - start);
    if (i >= end) return;
    ++i;  // the comma
  }
}

// Content-Length = 1*DIGIT, possibly repeated as a list or over several lines, all equal
// (RFC 9110 §8.6, RFC 9112 §6.3 item 5).
bool addContentLength(const unsigned char* p, Span v, bool& have, uint64_t& value) {
  bool ok = true;
  forEachListElement(p, v, [&](size_t off, size_t n) {
    if (!ok) return;
    if (n == 0) {
      ok = false;
      return;
    }
    uint64_t x = 0;
    for (size_t k = 0; k < n; ++k) {
      const unsigned char d = p[off + k];
      if (!isDigitAscii(d)) {
        ok = false;
        return;
      }
      x = x * 10 + (d - '0');
      if (x > kMaxContentLength) {
        ok = false;
        return;
      }
    }
    if (have && x != value) {
      ok = false;
      return;
    }
    have = true;
    value = x;
  });
  return ok;
}

struct TransferCodings {
  bool present = false;
  bool malformed = false;  // empty element, parameters, non-token
  uint32_t chunkedCount = 0;
  bool lastIsChunked = false;
  bool otherCoding = false;
};

void addTransferCodings(const unsigned char* p, Span v, TransferCodings& te) {
  te.present = true;
  forEachListElement(p, v, [&](size_t off, size_t n) {
    if (n == 0) {
      te.malformed = true;
      return;
    }
    for (size_t k = 0; k < n; ++k) {
      if (!has(p[off + k], kTchar)) {  // ";" (parameters), whitespace inside, quotes, ...
        te.malformed = true;
        return;
      }
    }
    te.lastIsChunked = spanIs(p, off, n, "chunked");
    if (te.lastIsChunked) {
      ++te.chunkedCount;
    } else {
      te.otherCoding = true;
    }
  });
}

struct ConnectionOptions {
  bool close = false;
  bool keepAlive = false;
  bool upgrade = false;
};

void addConnectionOptions(const unsigned char* p, Span v, ConnectionOptions& co) {
  forEachListElement(p, v, [&](size_t off, size_t n) {
    if (spanIs(p, off, n, "close")) co.close = true;
    else if (spanIs(p, off, n, "keep-alive")) co.keepAlive = true;
    else if (spanIs(p, off, n, "upgrade")) co.upgrade = true;
  });
}

bool hasExpectContinue(const unsigned char* p, Span v) {
  bool found = false;
  forEachListElement(p, v, [&](size_t off, size_t n) {
    if (spanIs(p, off, n, "100-continue")) found = true;
  });
  return found;
}

bool validHost(const unsigned char* p, Span v) {
  return validAuthority(p, v.offset, v.length, /*allowEmptyHost=*/true);
}

// RFC 9112 §3.2.2 and Kestrel: with an absolute-form target, Host must name the same
// authority (letter case and an explicit default port aside), or the request is refused:
// otherwise the app (routing by Host) and a proxy (routing by the target) disagree.
bool hostMatchesAuthority(const unsigned char* p, Span host, Span authority, uint16_t defaultPort) {
  auto trimmed = [&](Span s) {
    char port[8] = {':'};
    size_t n = 1 + formatDecimal(defaultPort, port + 1);
    if (s.length > static_cast<uint32_t>(n) &&
        std::memcmp(p + s.offset + s.length - n, port, static_cast<size_t>(n)) == 0) {
      s.length -= static_cast<uint32_t>(n);
    }
    return s;
  };
  Span a = trimmed(host);
  Span b = trimmed(authority);
  if (a.length != b.length) return false;
  for (uint32_t k = 0; k < a.length; ++k) {
    unsigned char x = p[a.offset + k];
    unsigned char y = p[b.offset + k];
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

Outcome interpretFields(const unsigned char* p, const HeadLimits& limits, RequestHead& out) {
  uint32_t hostCount = 0;
  bool haveLength = false;
  uint64_t length = 0;
  TransferCodings te;
  ConnectionOptions co;
  bool upgradeField = false;
  bool expectContinue = false;
  uint32_t teValue = 0;  // the last Transfer-Encoding's value

  for (uint32_t f = 0; f < out.fieldCount; ++f) {
    const Field& fld = out.fields[f];
    const size_t off = fld.name.offset;
    const size_t n = fld.name.length;
    switch (n) {
      case 4:
        if (spanIs(p, off, n, "host")) {
          if (++hostCount > 1 || !validHost(p, fld.value)) return fail(HttpError::BadRequest);
          if (out.authority.length > 0 && limits.hostMustMatchTarget &&
              !hostMatchesAuthority(p, fld.value, out.authority, out.authorityDefaultPort)) {
            return fail(HttpError::BadRequest);
          }
        }
        break;
      case 6:
        if (spanIs(p, off, n, "expect") && hasExpectContinue(p, fld.value)) {
          expectContinue = true;
        }
        break;
      case 7:
        if (spanIs(p, off, n, "upgrade")) upgradeField = true;
        break;
      case 10:
        if (spanIs(p, off, n, "connection")) addConnectionOptions(p, fld.value, co);
        break;
      case 14:
        if (spanIs(p, off, n, "content-length")) {
          const bool repeated = haveLength;
          if (!addContentLength(p, fld.value, haveLength, length)) {
            // Where llhttp stops: a repeated field's value, or the value's first non-digit.
            size_t at = fld.value.offset;
            if (!repeated) {
              while (at < size_t{fld.value.offset} + fld.value.length && isDigitAscii(p[at])) ++at;
            }
            out.faultOffset = static_cast<uint32_t>(at);
            return fail(HttpError::BadRequest, repeated ? ParseFault::UnexpectedContentLength : ParseFault::ContentLength);
          }
        }
        break;
      case 17:
        if (spanIs(p, off, n, "transfer-encoding")) {
          addTransferCodings(p, fld.value, te);
          teValue = fld.value.offset;
        }
        break;
      default:
        break;
    }
  }

  const bool http11 = out.versionMinor == 1;
  if (http11 && hostCount == 0) {
    if (limits.requireHost) return fail(HttpError::BadRequest);
    out.noHost = true;
  }

  if (te.present) {
    // RFC 9112 §6.1 and §6.3: TE with CL is a smuggling vector; TE in 1.0 cannot be
    // trusted; the final coding must be chunked, exactly once. (llhttp reports each as a
    // Transfer-Encoding fault, the first too.)
    if (haveLength || !http11 || te.malformed || te.chunkedCount != 1 || !te.lastIsChunked) {
      out.faultOffset = teValue;
      return fail(HttpError::BadRequest, ParseFault::TransferEncoding);
    }
    if (te.otherCoding) return fail(HttpError::NotImplemented);
    out.bodyKind = BodyKind::Chunked;
  } else if (haveLength) {
    out.bodyKind = BodyKind::ContentLength;
    out.contentLength = length;
  }

  out.keepAlive = !co.close && (http11 || co.keepAlive);
  out.upgrade = co.upgrade && upgradeField;
  if (limits.connectTunnels && spanIsExact(p, out.method.offset, out.method.length, "CONNECT")) {
    // A tunnel: what follows the head is the tunnel's, never a body.
    out.upgrade = true;
    out.bodyKind = BodyKind::None;
    out.contentLength = 0;
  }
  out.expectContinue = http11 && expectContinue;
  return kOk;
}

}  // namespace

ParseStatus parseRequestHead(const char* buf, size_t len, const HeadLimits& limits,
                             RequestHead& out, HttpError& err) {
  err = HttpError::None;
  out.method = Span{0, 0};
  out.target = Span{0, 0};
  out.authority = Span{0, 0};
  out.authorityDefaultPort = 0;
  out.versionMinor = 1;
  out.fieldCount = 0;
  out.fieldsFull = false;
  out.bodyKind = BodyKind::None;
  out.contentLength = 0;
  out.keepAlive = false;
  out.expectContinue = false;
  out.upgrade = false;
  out.noHost = false;
  out.headLength = 0;
  out.fault = ParseFault::Other;
  out.faultOffset = 0;

  // Spans are 32-bit: never look past what they can address.
  constexpr size_t kMaxAddressable = std::numeric_limits<uint32_t>::max();
  const bool clamped = len > kMaxAddressable;
  if (clamped) len = kMaxAddressable;
  const auto* p = reinterpret_cast<const unsigned char*>(buf);

  HeadScanner scanner(p, len, clamped, limits, out);
  size_t headEnd = 0;
  Outcome o = scanner.run(headEnd);
  if (isOk(o)) {
    out.faultOffset = static_cast<uint32_t>(headEnd);  // a field's meaning: known at the head's end
    o = interpretFields(p, limits, out);                // (or at the field, where it says)
  }
  if (!isOk(o)) {
    if (o.status == ParseStatus::Error) {
      err = o.error;
      out.fault = o.fault;
    }
    out.fieldCount = 0;
    return o.status;
  }
  out.headLength = static_cast<uint32_t>(headEnd);
  return ParseStatus::Complete;
}

bool spanEqualsLower(const char* buf, Span s, const char* lowerLiteral, size_t literalLength) {
  if (s.length != literalLength) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(buf) + s.offset;
  for (size_t i = 0; i < literalLength; ++i) {
    if (lower(p[i]) != static_cast<unsigned char>(lowerLiteral[i])) return false;
  }
  return true;
}

}  // namespace syshttp::http
