// libFuzzer target for parseRequestHead and ChunkedDecoder.
//
// The fuzz input is the raw byte stream (so the seed corpus is plain HTTP); split points
// and limit variants are derived from a hash of it. Checked invariants:
//   parser  - spans stay inside the head, the head inside the input; status/err agree;
//             every prefix is Incomplete or gives the same answer as the whole input;
//             semantic flags are consistent with the fields (Host, framing, version).
//   chunked - one-shot, byte-at-a-time, a 2-way split and a random multi-way split all
//             give the same body, status, error, consumed count and trailers; data spans
//             lie inside the piece fed; NeedMore consumes everything.
// Every piece handed to the code under test is a heap copy of exactly that size, so any
// read past its end is reported by ASan.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "http/chunked_decoder.h"
#include "http/parser.h"

using namespace syshttp::http;

namespace {

#define FUZZ_CHECK(cond, what)                                                          \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "parser_fuzz: invariant failed: %s (%s) at %s:%d\n", (what), \
                   #cond, __FILE__, __LINE__);                                          \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

uint64_t hashBytes(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// splitmix64: split points from the input's hash.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
};

struct Piece {
  explicit Piece(const char* p, size_t n) : size(n), bytes(new char[n]) {
    if (n != 0) std::memcpy(bytes.get(), p, n);
  }
  size_t size;
  std::unique_ptr<char[]> bytes;
};

bool isTchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}
bool isWs(unsigned char c) { return c == ' ' || c == '\t'; }

// ---------------------------------------------------------------------------------------
// Parser

constexpr uint32_t kMaxFields = 100;

struct HeadResult {
  ParseStatus status;
  HttpError err;
  RequestHead head;
  Field fields[kMaxFields];
};

void parseInto(const char* buf, size_t len, const HeadLimits& limits, HeadResult& r) {
  r.head = RequestHead();
  r.head.fields = r.fields;
  r.head.fieldCapacity = kMaxFields;
  r.err = HttpError::Count;
  r.status = parseRequestHead(buf, len, limits, r.head, r.err);
}

bool within(Span s, size_t end) { return size_t{s.offset} + s.length <= end; }

void checkComplete(const char* buf, size_t len, const HeadLimits& limits, const HeadResult& r) {
  const RequestHead& h = r.head;
  const auto* p = reinterpret_cast<const unsigned char*>(buf);
  FUZZ_CHECK(r.err == HttpError::None, "Complete with an error");
  FUZZ_CHECK(h.headLength > 0 && h.headLength <= len, "headLength inside input");
  FUZZ_CHECK(p[h.headLength - 1] == '\n' && p[h.headLength - 2] == '\r', "head ends in CRLF");
  FUZZ_CHECK(h.method.length > 0 && within(h.method, h.headLength), "method span");
  FUZZ_CHECK(h.target.length > 0 && within(h.target, h.headLength), "target span");
  FUZZ_CHECK(h.target.offset == h.method.offset + h.method.length + 1, "one SP after method");
  FUZZ_CHECK(h.method.length + h.target.length + 10 <= limits.maxRequestLine, "request line limit");
  FUZZ_CHECK(h.versionMinor <= 1, "version");
  FUZZ_CHECK(h.fieldCount <= limits.maxHeaderCount && h.fieldCount <= kMaxFields, "field count");
  for (uint32_t i = 0; i < h.method.length; ++i) FUZZ_CHECK(isTchar(p[h.method.offset + i]), "method token");
  for (uint32_t i = 0; i < h.target.length; ++i) {
    const unsigned char c = p[h.target.offset + i];
    FUZZ_CHECK(c > 0x20 && c < 0x7F, "target bytes");
  }
  uint32_t hosts = 0;
  bool sawLength = false;
  bool sawTe = false;
  for (uint32_t f = 0; f < h.fieldCount; ++f) {
    const Field& fld = h.fields[f];
    FUZZ_CHECK(fld.name.length > 0 && within(fld.name, h.headLength), "name span");
    FUZZ_CHECK(within(fld.value, h.headLength), "value span");
    FUZZ_CHECK(fld.name.offset > h.target.offset, "fields after the request line");
    FUZZ_CHECK(p[fld.name.offset + fld.name.length] == ':', "colon right after the name");
    for (uint32_t i = 0; i < fld.name.length; ++i) FUZZ_CHECK(isTchar(p[fld.name.offset + i]), "name token");
    if (fld.value.length > 0) {
      FUZZ_CHECK(!isWs(p[fld.value.offset]), "value trimmed at start");
      FUZZ_CHECK(!isWs(p[fld.value.offset + fld.value.length - 1]), "value trimmed at end");
    }
    for (uint32_t i = 0; i < fld.value.length; ++i) {
      const unsigned char c = p[fld.value.offset + i];
      FUZZ_CHECK(c == '\t' || (c >= 0x20 && c != 0x7F), "value bytes");
    }
    if (spanEqualsLower(buf, fld.name, "host", 4)) ++hosts;
    if (spanEqualsLower(buf, fld.name, "content-length", 14)) sawLength = true;
    if (spanEqualsLower(buf, fld.name, "transfer-encoding", 17)) sawTe = true;
  }
  FUZZ_CHECK(hosts <= 1, "at most one Host");
  if (h.versionMinor == 1) FUZZ_CHECK(hosts == 1, "HTTP/1.1 has a Host");
  FUZZ_CHECK(!(sawLength && sawTe), "never CL and TE together");
  switch (h.bodyKind) {
    case BodyKind::None:
      FUZZ_CHECK(!sawLength && !sawTe, "no body without framing fields");
      break;
    case BodyKind::ContentLength:
      FUZZ_CHECK(sawLength && h.contentLength <= (uint64_t{1} << 53) - 1, "content length");
      break;
    case BodyKind::Chunked:
      FUZZ_CHECK(sawTe && h.versionMinor == 1, "chunked only on 1.1 with TE");
      break;
  }
  if (h.versionMinor == 0) FUZZ_CHECK(!h.expectContinue, "no 100-continue on 1.0");
}

bool sameHead(const HeadResult& a, const HeadResult& b) {
  if (a.head.headLength != b.head.headLength || a.head.fieldCount != b.head.fieldCount ||
      a.head.bodyKind != b.head.bodyKind || a.head.contentLength != b.head.contentLength ||
      a.head.keepAlive != b.head.keepAlive || a.head.upgrade != b.head.upgrade ||
      a.head.expectContinue != b.head.expectContinue ||
      a.head.versionMinor != b.head.versionMinor ||
      a.head.method.offset != b.head.method.offset || a.head.target.length != b.head.target.length) {
    return false;
  }
  for (uint32_t i = 0; i < a.head.fieldCount; ++i) {
    const Field& x = a.fields[i];
    const Field& y = b.fields[i];
    if (x.name.offset != y.name.offset || x.name.length != y.name.length ||
        x.value.offset != y.value.offset || x.value.length != y.value.length) {
      return false;
    }
  }
  return true;
}

// Returns the head length when Complete, 0 otherwise.
size_t checkHead(const char* buf, size_t len, const HeadLimits& limits, Rng& rng, bool* chunked) {
  auto full = std::make_unique<HeadResult>();
  parseInto(buf, len, limits, *full);
  switch (full->status) {
    case ParseStatus::Complete:
      checkComplete(buf, len, limits, *full);
      break;
    case ParseStatus::Error:
      FUZZ_CHECK(full->err != HttpError::None && full->err < HttpError::Count &&
                     full->err != HttpError::RequestTimeout && full->err != HttpError::PayloadTooLarge,
                 "Error has a parser error code");
      break;
    case ParseStatus::Incomplete:
      FUZZ_CHECK(full->err == HttpError::None, "Incomplete without error");
      break;
    default:
      FUZZ_CHECK(false, "status value");
  }

  // Prefixes: all of them for short inputs, a handful otherwise.
  std::vector<size_t> cuts;
  if (len <= 192) {
    for (size_t k = 0; k < len; ++k) cuts.push_back(k);
  } else {
    for (int i = 0; i < 12; ++i) cuts.push_back(rng.below(len));
    if (full->status == ParseStatus::Complete) {
      cuts.push_back(full->head.headLength - 1);
      cuts.push_back(full->head.headLength);
    }
  }
  auto part = std::make_unique<HeadResult>();
  for (size_t k : cuts) {
    Piece piece(buf, k);
    parseInto(piece.bytes.get(), k, limits, *part);
    if (part->status == ParseStatus::Incomplete) {
      FUZZ_CHECK(part->err == HttpError::None, "prefix Incomplete without error");
      FUZZ_CHECK(full->status != ParseStatus::Complete || k < full->head.headLength,
                 "prefix holding the whole head is not Incomplete");
      continue;
    }
    FUZZ_CHECK(part->status == full->status, "prefix status differs from the whole");
    if (part->status == ParseStatus::Error) {
      FUZZ_CHECK(part->err == full->err, "prefix error differs from the whole");
    } else {
      FUZZ_CHECK(sameHead(*part, *full), "prefix head differs from the whole");
    }
  }

  *chunked = full->status == ParseStatus::Complete && full->head.bodyKind == BodyKind::Chunked;
  return full->status == ParseStatus::Complete ? full->head.headLength : 0;
}

// ---------------------------------------------------------------------------------------
// Chunked decoder

struct DecodeOutcome {
  ChunkedDecoder::Status status = ChunkedDecoder::Status::NeedMore;
  HttpError err = HttpError::None;
  std::string body;
  size_t consumed = 0;
  uint64_t bodyBytes = 0;
  std::string trailerBlock;
  std::vector<std::string> trailers;  // "name\0value"

  bool operator==(const DecodeOutcome& o) const {
    return status == o.status && err == o.err && body == o.body && consumed == o.consumed &&
           bodyBytes == o.bodyBytes && trailerBlock == o.trailerBlock && trailers == o.trailers;
  }
};

DecodeOutcome decodePieces(const char* in, size_t len, const std::vector<size_t>& cuts,
                           const ChunkedDecoder::Limits& limits) {
  DecodeOutcome r;
  ChunkedDecoder dec(limits);
  size_t start = 0;
  for (size_t c = 0; c <= cuts.size(); ++c) {
    const size_t end = c < cuts.size() ? cuts[c] : len;
    Piece piece(in + start, end - start);
    const char* base = piece.bytes.get();
    size_t pos = 0;
    while (pos < piece.size) {
      size_t consumed = SIZE_MAX;
      const char* data = reinterpret_cast<const char*>(&r);
      size_t dataLength = SIZE_MAX;
      HttpError err = HttpError::Count;
      const size_t avail = piece.size - pos;
      const auto st = dec.decode(base + pos, avail, &consumed, &data, &dataLength, &err);
      FUZZ_CHECK(consumed <= avail, "consumed within the input");
      if (st == ChunkedDecoder::Status::Data) {
        FUZZ_CHECK(dataLength > 0 && dataLength <= consumed, "data length");
        FUZZ_CHECK(data == base + pos + consumed - dataLength, "data span ends at consumed");
        FUZZ_CHECK(err == HttpError::None, "no error with Data");
        r.body.append(data, dataLength);
      } else {
        FUZZ_CHECK(data == nullptr && dataLength == 0, "no data span without Data");
      }
      if (st == ChunkedDecoder::Status::NeedMore) {
        FUZZ_CHECK(consumed == avail && err == HttpError::None, "NeedMore consumes everything");
      }
      pos += consumed;
      if (st == ChunkedDecoder::Status::Done || st == ChunkedDecoder::Status::Error) {
        FUZZ_CHECK((st == ChunkedDecoder::Status::Error) == (err != HttpError::None), "err iff Error");
        if (st == ChunkedDecoder::Status::Error) {
          // 400 malformed, 413 a chunk line (extensions) over its limit, 431 trailers.
          FUZZ_CHECK(err == HttpError::BadRequest || err == HttpError::PayloadTooLarge ||
                         err == HttpError::HeaderFieldsTooLarge,
                     "chunked error code");
        }
        r.status = st;
        r.err = err;
        r.consumed = start + pos;
        r.bodyBytes = dec.bodyBytes();
        FUZZ_CHECK(r.bodyBytes == r.body.size(), "bodyBytes counts the data spans");
        if (st == ChunkedDecoder::Status::Done) {
          r.trailerBlock = dec.trailerBlock();
          FUZZ_CHECK(r.trailerBlock.size() <= limits.maxTrailerBytes, "trailer bytes limit");
          FUZZ_CHECK(dec.trailerCount() <= limits.maxTrailerCount, "trailer count limit");
          for (uint32_t i = 0; i < dec.trailerCount(); ++i) {
            const Field& f = dec.trailerFields()[i];
            FUZZ_CHECK(f.name.length > 0 && within(f.name, r.trailerBlock.size()) &&
                           within(f.value, r.trailerBlock.size()),
                       "trailer spans inside the block");
            std::string nv = r.trailerBlock.substr(f.name.offset, f.name.length);
            nv.push_back('\0');
            nv += r.trailerBlock.substr(f.value.offset, f.value.length);
            r.trailers.push_back(nv);
          }
          // A second call after Done does nothing.
          size_t again = SIZE_MAX;
          const char* d2 = nullptr;
          size_t l2 = 0;
          HttpError e2 = HttpError::None;
          FUZZ_CHECK(dec.decode(base, piece.size, &again, &d2, &l2, &e2) == ChunkedDecoder::Status::Done &&
                         again == 0,
                     "Done is sticky");
        }
        return r;
      }
    }
    start = end;
  }
  r.consumed = len;
  r.bodyBytes = dec.bodyBytes();
  FUZZ_CHECK(r.bodyBytes == r.body.size(), "bodyBytes counts the data spans (NeedMore)");
  return r;
}

void checkChunked(const char* in, size_t len, Rng& rng) {
  ChunkedDecoder::Limits limits;
  if (rng.next() & 1) {
    limits.maxChunkLine = 24;
    limits.maxTrailerBytes = 48;
    limits.maxTrailerCount = 3;
  }
  const DecodeOutcome whole = decodePieces(in, len, {}, limits);

  std::vector<size_t> bytewise;
  for (size_t k = 1; k < len; ++k) bytewise.push_back(k);
  FUZZ_CHECK(decodePieces(in, len, bytewise, limits) == whole, "byte-at-a-time == one-shot");

  const size_t cut = rng.below(len + 1);
  FUZZ_CHECK(decodePieces(in, len, {cut}, limits) == whole, "2-way split == one-shot");

  std::vector<size_t> multi;
  size_t at = 0;
  while (at < len) {
    at += 1 + rng.below(16);
    if (at < len) multi.push_back(at);
  }
  FUZZ_CHECK(decodePieces(in, len, multi, limits) == whole, "multi-way split == one-shot");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* in = reinterpret_cast<const char*>(data);
  Rng rng{hashBytes(data, size)};

  bool chunked = false;
  const size_t headLength = checkHead(in, size, HeadLimits(), rng, &chunked);

  // Small limits reach the 414/431 paths with small inputs.
  HeadLimits small;
  small.maxRequestLine = 48;
  small.maxHeaderBytes = 96;
  small.maxHeaderCount = 4;
  bool ignored = false;
  checkHead(in, size, small, rng, &ignored);

  // The body after a chunked head, otherwise the whole input as a chunked body.
  if (chunked) {
    checkChunked(in + headLength, size - headLength, rng);
  } else {
    checkChunked(in, size, rng);
  }
  return 0;
}
