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
    uint32_t maxChunkLine = 4096;      // chunk-size plus extensions, without CRLF
    uint32_t maxTrailerBytes = 32 * 1024;
    uint32_t maxTrailerCount = 100;
  };

  enum class Status : int8_t {
    Data,      // *data/*dataLength is body bytes inside the input; call again with the rest
    NeedMore,  // all input consumed, no body bytes in it; feed more
    Done,      // last chunk and trailer section consumed; *consumed ends after the final CRLF
    Error      // *err says why; the connection must be answered and closed
  };

  explicit ChunkedDecoder(const Limits& limits = Limits()) : limits_(limits) {}

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
  // (the decoding state machine's fields go here)
};

}  // namespace syshttp::http
