// Chunked transfer coding decoder (RFC 9112 §7.1).
//
//   chunked-body   = *chunk last-chunk trailer-section CRLF
//   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size     = 1*HEXDIG
//   last-chunk     = 1*("0") [ chunk-ext ] CRLF
//   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   chunk-ext-val  = token / quoted-string
//   trailer-section = *( field-line CRLF )
//
// Framing is a byte-at-a-time state machine, so the input may be split anywhere; chunk
// data is handed back as a span into the caller's buffer.
#include "chunked_decoder.h"

#include "char_classes.h"

#include <limits>

namespace syshttp::http {
namespace {

using chars::has;
using chars::kQdtext;
using chars::kQuotedPairChar;
using chars::kTchar;
using chars::kValue;

inline bool isWs(unsigned char c) { return c == ' ' || c == '\t'; }

inline int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr uint64_t kMaxChunkSize = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

}  // namespace

void ChunkedDecoder::reset() {
  bodyBytes_ = 0;
  trailers_.clear();
  trailerFields_.clear();
  state_ = State::SizeStart;
  error_ = HttpError::None;
  lineLength_ = 0;
  size_ = 0;
  remaining_ = 0;
  fieldNameStart_ = fieldNameLength_ = fieldValueStart_ = fieldValueEnd_ = 0;
  fieldValueStarted_ = false;
}

HttpError ChunkedDecoder::appendTrailerByte(unsigned char c) {
  if (trailers_.size() >= limits_.maxTrailerBytes) return HttpError::HeaderFieldsTooLarge;
  trailers_.push_back(static_cast<char>(c));
  return HttpError::None;
}

HttpError ChunkedDecoder::step(unsigned char c) {
  constexpr HttpError kBad = HttpError::BadRequest;

  switch (state_) {
    case State::SizeStart:
    case State::Size:
    case State::ExtBws:
    case State::ExtNameStart:
    case State::ExtName:
    case State::ExtAfterName:
    case State::ExtValueStart:
    case State::ExtToken:
    case State::ExtQuoted:
    case State::ExtQuotedPair:
    case State::ExtValueEnd:
      // Over the limit is not malformed but too much (RFC 9112 §7.1.1: "an appropriate
      // 4xx"): 413, as node:http answers extensions over its limit.
      if (c != '\r' && ++lineLength_ > limits_.maxChunkLine) return HttpError::PayloadTooLarge;
      break;
    default:
      break;
  }

  switch (state_) {
    case State::SizeStart: {
      const int d = hexValue(c);
      if (d < 0) return kBad;
      size_ = static_cast<uint64_t>(d);
      state_ = State::Size;
      return HttpError::None;
    }
    case State::Size: {
      const int d = hexValue(c);
      if (d >= 0) {
        if (size_ > (kMaxChunkSize >> 4)) return kBad;  // > 2^63-1 (or > 16 digits)
        size_ = (size_ << 4) | static_cast<uint64_t>(d);
        return HttpError::None;
      }
      if (c == ';') state_ = State::ExtNameStart;
      else if (isWs(c)) state_ = State::ExtBws;
      else if (c == '\r') state_ = State::SizeLineLf;
      else return kBad;
      return HttpError::None;
    }
    case State::ExtBws:
      if (c == ';') state_ = State::ExtNameStart;
      else if (!isWs(c)) return kBad;
      return HttpError::None;
    case State::ExtNameStart:
      if (has(c, kTchar)) state_ = State::ExtName;
      else if (!isWs(c)) return kBad;
      return HttpError::None;
    case State::ExtName:
      if (has(c, kTchar)) return HttpError::None;
      if (c == '=') state_ = State::ExtValueStart;
      else if (c == ';') state_ = State::ExtNameStart;
      else if (isWs(c)) state_ = State::ExtAfterName;
      else if (c == '\r') state_ = State::SizeLineLf;
      else return kBad;
      return HttpError::None;
    case State::ExtAfterName:
      if (c == '=') state_ = State::ExtValueStart;
      else if (c == ';') state_ = State::ExtNameStart;
      else if (!isWs(c)) return kBad;
      return HttpError::None;
    case State::ExtValueStart:
      if (c == '"') state_ = State::ExtQuoted;
      else if (has(c, kTchar)) state_ = State::ExtToken;
      else if (!isWs(c)) return kBad;
      return HttpError::None;
    case State::ExtToken:
      if (has(c, kTchar)) return HttpError::None;
      if (c == ';') state_ = State::ExtNameStart;
      else if (isWs(c)) state_ = State::ExtBws;
      else if (c == '\r') state_ = State::SizeLineLf;
      else return kBad;
      return HttpError::None;
    case State::ExtQuoted:
      if (c == '"') state_ = State::ExtValueEnd;
      else if (c == '\\') state_ = State::ExtQuotedPair;
      else if (!has(c, kQdtext)) return kBad;
      return HttpError::None;
    case State::ExtQuotedPair:
      if (!has(c, kQuotedPairChar)) return kBad;
      state_ = State::ExtQuoted;
      return HttpError::None;
    case State::ExtValueEnd:
      if (c == ';') state_ = State::ExtNameStart;
      else if (isWs(c)) state_ = State::ExtBws;
      else if (c == '\r') state_ = State::SizeLineLf;
      else return kBad;
      return HttpError::None;

    case State::SizeLineLf:
      if (c != '\n') return kBad;
      lineLength_ = 0;
      if (size_ == 0) {
        state_ = State::TrailerLineStart;
        return HttpError::None;
      }
      if (size_ > std::numeric_limits<uint64_t>::max() - bodyBytes_) return kBad;
      remaining_ = size_;
      state_ = State::Data;
      return HttpError::None;

    case State::DataCr:
      if (c != '\r') return kBad;
      state_ = State::DataLf;
      return HttpError::None;
    case State::DataLf:
      if (c != '\n') return kBad;
      size_ = 0;
      state_ = State::SizeStart;
      return HttpError::None;

    case State::TrailerLineStart: {
      if (c == '\r') {
        state_ = State::FinalLf;
        return HttpError::None;
      }
      // Bare LF, obs-fold, or anything that cannot start a field-name.
      if (!has(c, kTchar)) return kBad;
      if (trailerFields_.size() >= limits_.maxTrailerCount) return HttpError::HeaderFieldsTooLarge;
      fieldNameStart_ = static_cast<uint32_t>(trailers_.size());
      const HttpError e = appendTrailerByte(c);
      if (e != HttpError::None) return e;
      state_ = State::TrailerName;
      return HttpError::None;
    }
    case State::TrailerName: {
      if (c == ':') {
        fieldNameLength_ = static_cast<uint32_t>(trailers_.size()) - fieldNameStart_;
        fieldValueStarted_ = false;
        fieldValueStart_ = fieldValueEnd_ = static_cast<uint32_t>(trailers_.size()) + 1;
        state_ = State::TrailerValue;
      } else if (!has(c, kTchar)) {
        return kBad;  // includes whitespace before the colon
      }
      return appendTrailerByte(c);
    }
    case State::TrailerValue: {
      if (c == '\r') {
        state_ = State::TrailerLf;
        return appendTrailerByte(c);
      }
      if (!has(c, kValue)) return kBad;  // NUL, other CTL, DEL, bare LF
      const auto at = static_cast<uint32_t>(trailers_.size());
      if (!isWs(c)) {
        if (!fieldValueStarted_) {
          fieldValueStarted_ = true;
          fieldValueStart_ = at;
        }
        fieldValueEnd_ = at + 1;
      } else if (!fieldValueStarted_) {
        fieldValueStart_ = fieldValueEnd_ = at + 1;
      }
      return appendTrailerByte(c);
    }
    case State::TrailerLf: {
      if (c != '\n') return kBad;
      const HttpError e = appendTrailerByte(c);
      if (e != HttpError::None) return e;
      trailerFields_.push_back(
          Field{Span{fieldNameStart_, fieldNameLength_},
                Span{fieldValueStart_, fieldValueEnd_ - fieldValueStart_}});
      state_ = State::TrailerLineStart;
      return HttpError::None;
    }
    case State::FinalLf:
      if (c != '\n') return kBad;
      state_ = State::Done;
      return HttpError::None;

    case State::Data:
    case State::Done:
    case State::Failed:
      break;
  }
  return kBad;  // not reached: Data, Done and Failed are handled by decode()
}

ChunkedDecoder::Status ChunkedDecoder::decode(const char* in, size_t length, size_t* consumed,
                                              const char** data, size_t* dataLength,
                                              HttpError* err) {
  *consumed = 0;
  *data = nullptr;
  *dataLength = 0;
  *err = HttpError::None;
  if (state_ == State::Done) return Status::Done;
  if (state_ == State::Failed) {
    *err = error_;
    return Status::Error;
  }

  const auto* p = reinterpret_cast<const unsigned char*>(in);
  size_t i = 0;
  while (i < length) {
    if (state_ == State::Data) {
      const size_t avail = length - i;
      const size_t n = remaining_ < avail ? static_cast<size_t>(remaining_) : avail;
      *data = in + i;
      *dataLength = n;
      remaining_ -= n;
      bodyBytes_ += n;
      if (remaining_ == 0) state_ = State::DataCr;
      *consumed = i + n;
      return Status::Data;
    }
    const HttpError e = step(p[i]);
    if (e != HttpError::None) {
      state_ = State::Failed;
      error_ = e;
      *err = e;
      *consumed = i;  // the offending byte is not consumed
      return Status::Error;
    }
    ++i;
    if (state_ == State::Done) {
      *consumed = i;
      return Status::Done;
    }
  }
  *consumed = i;
  return Status::NeedMore;
}

}  // namespace syshttp::http
