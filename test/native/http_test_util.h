// Helpers shared by the parser and chunked-decoder tests.
#pragma once
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/chunked_decoder.h"
#include "http/parser.h"
#include "test.h"

namespace syshttp::test {

using http::BodyKind;
using http::ChunkedDecoder;
using http::Field;
using http::HeadLimits;
using http::HttpError;
using http::ParseStatus;
using http::RequestHead;
using http::Span;

// A copy of some bytes in a heap block of exactly that size, so that reading one byte
// past the end is an ASan error (a std::string has a NUL and often spare capacity there).
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view s) : size_(s.size()), bytes_(new char[s.size()]) {
    if (size_ != 0) std::memcpy(bytes_.get(), s.data(), size_);
  }
  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }

 private:
  size_t size_;
  std::unique_ptr<char[]> bytes_;
};

std::string show(HttpError e);
std::string show(ParseStatus s);
std::string show(BodyKind k);

struct ParseResult {
  ParseStatus status = ParseStatus::Incomplete;
  HttpError err = HttpError::None;
  RequestHead head;  // head.fields is cleared; the fields are in `fields`
  std::vector<Field> fields;
  std::string input;

  std::string str(Span s) const { return input.substr(s.offset, s.length); }
  std::string method() const { return str(head.method); }
  std::string target() const { return str(head.target); }
  // The value of the first field with that (lower-case) name, or "<absent>".
  std::string header(std::string_view lowerName) const;
  size_t count(std::string_view lowerName) const;
};

ParseResult parse(std::string_view input, const HeadLimits& limits = HeadLimits(),
                  uint32_t fieldCapacity = 0 /* 0: limits.maxHeaderCount */);

// Every proper prefix of a head that parses Complete must be Incomplete; every prefix of
// an erroneous head must be Incomplete or the same error. Returns the full parse.
ParseResult checkPrefixes(Context& t, std::string_view input,
                          const HeadLimits& limits = HeadLimits());

// Expects the complete input to be an error with `expected`, and checks its prefixes.
void expectParseError(Context& t, std::string_view input, HttpError expected,
                      const HeadLimits& limits = HeadLimits());

// Expects Complete with headLength == input.size() (or `headLength` when given).
ParseResult expectComplete(Context& t, std::string_view input,
                           const HeadLimits& limits = HeadLimits(), size_t headLength = 0);

struct DecodeResult {
  ChunkedDecoder::Status status = ChunkedDecoder::Status::NeedMore;  // final status
  HttpError err = HttpError::None;
  std::string body;
  size_t consumed = 0;  // bytes of the input used up to Done/Error (all of it otherwise)
  uint64_t bodyBytes = 0;
  std::string trailerBlock;
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string violation;  // a broken API promise (consumed too far, empty data span, ...)

  bool operator==(const DecodeResult& o) const {
    return status == o.status && err == o.err && body == o.body && consumed == o.consumed &&
           bodyBytes == o.bodyBytes && trailerBlock == o.trailerBlock && trailers == o.trailers &&
           violation == o.violation;
  }
  std::string describe() const;
};

// Feeds `input` to a fresh decoder in pieces cut at the given ascending offsets.
DecodeResult decodeChunked(std::string_view input, const std::vector<size_t>& cuts,
                           const ChunkedDecoder::Limits& limits = ChunkedDecoder::Limits());

// Decodes in one piece, one byte at a time and in every 2-way split; all must agree.
// Returns the one-piece result.
DecodeResult decodeEverySplit(Context& t, std::string_view input,
                              const ChunkedDecoder::Limits& limits = ChunkedDecoder::Limits());

const char* statusName(ChunkedDecoder::Status s);

// Readable names in failure messages.
std::string show(HttpError e);
std::string show(ParseStatus s);
std::string show(BodyKind k);
inline std::string show(ChunkedDecoder::Status s) { return statusName(s); }

}  // namespace syshttp::test
