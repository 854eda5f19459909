// Resumable, zero-copy decoder for the chunked transfer coding (RFC 9112 §7.1),
// including chunk extensions (validated, ignored) and trailer fields (validated, kept).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "http_error.h"
#include "parser.h"

namespace syshttp::http {

class ChunkedDecoder {
 public:
  struct Limits {
    // chunk-size plus extensions, without CRLF: 16 KiB, node:http's limit on a chunk's
    // extensions (with room for the size)
    uint32_t maxChunkLine = 16 * 1024 + 32;
    uint32_t maxTrailerBytes = 32 * 1024;
    uint32_t maxTrailerCount = 100;
  };

  enum class Status : int8_t {
    Data,      // *data/*dataLength is body bytes inside the input; call again with the rest
    NeedMore,  // all input consumed, no body bytes in it; feed more
    Done,      // last chunk and trailer section consumed; *consumed ends after the final CRLF
    Error      // *err says why; the connection must be answered and closed
  };

  ChunkedDecoder() : limits_() {}
  explicit ChunkedDecoder(const Limits& limits) : limits_(limits) {}

  // Decodes from in[0, length). *consumed is always set to the bytes used. Returns at
  // most one data span per call, pointing into `in` (never copied).
  Status decode(const char* in, size_t length, size_t* consumed, const char** data,
                size_t* dataLength, HttpError* err);

  // Ready for the next message.
  void reset();

  uint64_t bodyBytes() const { return bodyBytes_; }

  // The trailer section as received (field lines with their CRLFs, without the final
  // empty line) and its fields as spans into trailerBlock(). Valid after Done.
  const std::string& trailerBlock() const { return trailers_; }
  uint32_t trailerCount() const { return static_cast<uint32_t>(trailerFields_.size()); }
  const Field* trailerFields() const { return trailerFields_.data(); }

 private:
  Limits limits_;
  uint64_t bodyBytes_ = 0;
  std::string trailers_;
  std::vector<Field> trailerFields_;

  // The decoding state machine. One state per position in the chunked grammar, so input
  // may be split at any byte.
  enum class State : uint8_t {
    SizeStart,       // first HEXDIG of chunk-size (no whitespace allowed)
    Size,            // more HEXDIG, or what follows the size
    ExtBws,          // BWS before ";" (after the size or an ext-val)
    ExtNameStart,    // BWS after ";", then ext-name
    ExtName,         // ext-name token
    ExtAfterName,    // BWS after ext-name, before "=" or ";"
    ExtValueStart,   // BWS after "=", then token or quoted-string
    ExtToken,        // ext-val token
    ExtQuoted,       // inside a quoted-string
    ExtQuotedPair,   // after "\" in a quoted-string
    ExtValueEnd,     // after the closing DQUOTE
    SizeLineLf,      // after the CR ending the size line
    Data,            // chunk-data, remaining_ bytes to go
    DataCr,          // CRLF after chunk-data
    DataLf,
    TrailerLineStart,  // a trailer field line, or the empty line ending the message
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,
    Done,
    Failed
  };

  // Feeds one framing byte; returns HttpError::None or the error it causes.
  HttpError step(unsigned char c);
  HttpError appendTrailerByte(unsigned char c);

  State state_ = State::SizeStart;
  HttpError error_ = HttpError::None;
  uint32_t lineLength_ = 0;   // bytes of the current size line so far, CR excluded
  uint64_t size_ = 0;         // chunk-size being read
  uint64_t remaining_ = 0;    // chunk-data bytes still to come
  // The trailer field line being read, as offsets into trailers_.
  uint32_t fieldNameStart_ = 0;
  uint32_t fieldNameLength_ = 0;
  uint32_t fieldValueStart_ = 0;
  uint32_t fieldValueEnd_ = 0;
  bool fieldValueStarted_ = false;
};

}  // namespace syshttp::http
