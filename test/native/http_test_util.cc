#include "http_test_util.h"

#include <cstdio>

namespace syshttp::test {

namespace {
bool equalsLower(const std::string& s, std::string_view lowerName) {
  if (s.size() != lowerName.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lowerName[i]) return false;
  }
  return true;
}
}  // namespace

std::string ParseResult::header(std::string_view lowerName) const {
  for (const Field& f : fields) {
    if (equalsLower(str(f.name), lowerName)) return str(f.value);
  }
  return "<absent>";
}

size_t ParseResult::count(std::string_view lowerName) const {
  size_t n = 0;
  for (const Field& f : fields) {
    if (equalsLower(str(f.name), lowerName)) ++n;
  }
  return n;
}

ParseResult parse(std::string_view input, const HeadLimits& limits, uint32_t fieldCapacity) {
  ParseResult r;
  r.input = std::string(input);
  const uint32_t cap = fieldCapacity != 0 ? fieldCapacity : limits.maxHeaderCount;
  r.fields.resize(cap);
  r.head.fields = r.fields.data();
  r.head.fieldCapacity = cap;
  ExactBuffer buf(input);
  r.status = http::parseRequestHead(buf.data(), buf.size(), limits, r.head, r.err);
  r.fields.resize(r.status == ParseStatus::Complete ? r.head.fieldCount : 0);
  r.head.fields = nullptr;
  return r;
}

ParseResult checkPrefixes(Context& t, std::string_view input, const HeadLimits& limits) {
  ParseResult full = parse(input, limits);
  const std::string what = show(std::string(input));
  for (size_t k = 0; k < input.size(); ++k) {
    ParseResult part = parse(input.substr(0, k), limits);
    const std::string ctx = what + " cut at " + std::to_string(k);
    if (full.status == ParseStatus::Complete) {
      if (k < full.head.headLength) {
        CHECK_EQ_MSG(part.status, ParseStatus::Incomplete, ctx);
      } else {
        CHECK_EQ_MSG(part.status, ParseStatus::Complete, ctx);
        CHECK_EQ_MSG(part.head.headLength, full.head.headLength, ctx);
        CHECK_EQ_MSG(part.head.fieldCount, full.head.fieldCount, ctx);
      }
    } else if (full.status == ParseStatus::Error) {
      if (part.status != ParseStatus::Incomplete) {
        CHECK_EQ_MSG(part.status, ParseStatus::Error, ctx);
        CHECK_EQ_MSG(part.err, full.err, ctx);
      }
    } else {
      CHECK_EQ_MSG(part.status, ParseStatus::Incomplete, ctx);
    }
    if (part.status == ParseStatus::Incomplete) CHECK_EQ_MSG(part.err, HttpError::None, ctx);
  }
  return full;
}

void expectParseError(Context& t, std::string_view input, HttpError expected,
                      const HeadLimits& limits) {
  ParseResult r = checkPrefixes(t, input, limits);
  const std::string ctx = show(std::string(input));
  CHECK_EQ_MSG(r.status, ParseStatus::Error, ctx);
  CHECK_EQ_MSG(r.err, expected, ctx);
}

ParseResult expectComplete(Context& t, std::string_view input, const HeadLimits& limits,
                           size_t headLength) {
  ParseResult r = checkPrefixes(t, input, limits);
  const std::string ctx = show(std::string(input));
  CHECK_EQ_MSG(r.status, ParseStatus::Complete, ctx);
  CHECK_EQ_MSG(r.err, HttpError::None, ctx);
  CHECK_EQ_MSG(size_t{r.head.headLength}, headLength != 0 ? headLength : input.size(), ctx);
  return r;
}

std::string show(HttpError e) {
  switch (e) {
    case HttpError::None: return "None";
    case HttpError::BadRequest: return "BadRequest(400)";
    case HttpError::RequestTimeout: return "RequestTimeout(408)";
    case HttpError::PayloadTooLarge: return "PayloadTooLarge(413)";
    case HttpError::UriTooLong: return "UriTooLong(414)";
    case HttpError::HeaderFieldsTooLarge: return "HeaderFieldsTooLarge(431)";
    case HttpError::NotImplemented: return "NotImplemented(501)";
    case HttpError::VersionNotSupported: return "VersionNotSupported(505)";
    case HttpError::Count: break;
  }
  return "HttpError(" + std::to_string(static_cast<int>(e)) + ")";
}

std::string show(ParseStatus s) {
  switch (s) {
    case ParseStatus::Complete: return "Complete";
    case ParseStatus::Error: return "Error";
    case ParseStatus::Incomplete: return "Incomplete";
  }
  return "ParseStatus(?)";
}

std::string show(BodyKind k) {
  switch (k) {
    case BodyKind::None: return "None";
    case BodyKind::ContentLength: return "ContentLength";
    case BodyKind::Chunked: return "Chunked";
  }
  return "BodyKind(?)";
}

const char* statusName(ChunkedDecoder::Status s) {
  switch (s) {
    case ChunkedDecoder::Status::Data: return "Data";
    case ChunkedDecoder::Status::NeedMore: return "NeedMore";
    case ChunkedDecoder::Status::Done: return "Done";
    case ChunkedDecoder::Status::Error: return "Error";
  }
  return "?";
}

std::string DecodeResult::describe() const {
  std::string s = std::string("{") + statusName(status) + " err=" + show(err) +
                  " body=" + show(body) + " consumed=" + std::to_string(consumed) +
                  " bodyBytes=" + std::to_string(bodyBytes) + " trailers=" + show(trailerBlock);
  if (!violation.empty()) s += " violation=" + violation;
  return s + "}";
}

DecodeResult decodeChunked(std::string_view input, const std::vector<size_t>& cuts,
                           const ChunkedDecoder::Limits& limits) {
  DecodeResult r;
  ChunkedDecoder dec(limits);
  size_t pieceStart = 0;
  for (size_t c = 0; c <= cuts.size(); ++c) {
    const size_t pieceEnd = c < cuts.size() ? cuts[c] : input.size();
    ExactBuffer piece(input.substr(pieceStart, pieceEnd - pieceStart));
    size_t pos = 0;
    while (pos < piece.size()) {
      size_t consumed = 12345;
      const char* data = reinterpret_cast<const char*>(&r);  // poison: must be reset
      size_t dataLength = 999;
      HttpError err = HttpError::Count;
      const size_t avail = piece.size() - pos;
      const auto st = dec.decode(piece.data() + pos, avail, &consumed, &data, &dataLength, &err);
      if (consumed > avail) {
        r.violation = "consumed > length";
        return r;
      }
      if (st == ChunkedDecoder::Status::Data) {
        if (dataLength == 0 || dataLength > consumed ||
            data != piece.data() + pos + consumed - dataLength || err != HttpError::None) {
          r.violation = "bad data span";
          return r;
        }
        r.body.append(data, dataLength);
      } else if (data != nullptr || dataLength != 0) {
        r.violation = "data set without Data";
        return r;
      }
      if (st == ChunkedDecoder::Status::NeedMore && consumed != avail) {
        r.violation = "NeedMore without consuming everything";
        return r;
      }
      if (st == ChunkedDecoder::Status::NeedMore || st == ChunkedDecoder::Status::Data) {
        if (err != HttpError::None) {
          r.violation = "err set without Error";
          return r;
        }
      }
      pos += consumed;
      if (st == ChunkedDecoder::Status::Done || st == ChunkedDecoder::Status::Error) {
        if ((st == ChunkedDecoder::Status::Error) != (err != HttpError::None)) {
          r.violation = "err and status disagree";
          return r;
        }
        r.status = st;
        r.err = err;
        r.consumed = pieceStart + pos;
        r.bodyBytes = dec.bodyBytes();
        if (st == ChunkedDecoder::Status::Done) {
          r.trailerBlock = dec.trailerBlock();
          for (uint32_t i = 0; i < dec.trailerCount(); ++i) {
            const Field& f = dec.trailerFields()[i];
            r.trailers.emplace_back(r.trailerBlock.substr(f.name.offset, f.name.length),
                                    r.trailerBlock.substr(f.value.offset, f.value.length));
          }
        }
        return r;
      }
    }
    pieceStart = pieceEnd;
  }
  r.status = ChunkedDecoder::Status::NeedMore;
  r.consumed = input.size();
  r.bodyBytes = dec.bodyBytes();
  return r;
}

DecodeResult decodeEverySplit(Context& t, std::string_view input,
                              const ChunkedDecoder::Limits& limits) {
  const DecodeResult whole = decodeChunked(input, {}, limits);
  const std::string what = show(std::string(input));
  CHECK_EQ_MSG(whole.violation, std::string(), what);
  std::vector<size_t> bytewise;
  for (size_t k = 1; k < input.size(); ++k) bytewise.push_back(k);
  const DecodeResult oneByOne = decodeChunked(input, bytewise, limits);
  if (!(oneByOne == whole)) {
    t.fail(__FILE__, __LINE__,
           "byte-at-a-time " + oneByOne.describe() + " != whole " + whole.describe() + " for " +
               what);
  }
  for (size_t k = 0; k <= input.size(); ++k) {
    const DecodeResult split = decodeChunked(input, {k}, limits);
    if (!(split == whole)) {
      t.fail(__FILE__, __LINE__,
             "split at " + std::to_string(k) + " " + split.describe() + " != whole " +
                 whole.describe() + " for " + what);
      break;
    }
  }
  return whole;
}

}  // namespace syshttp::test
