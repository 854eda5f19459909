// Protocol errors the HTTP/1.1 layer can answer with, each mapped to one precomputed
// response (see error_responses.h). The order is the index into that table.
#pragma once
#include <cstdint>

namespace syshttp::http {

enum class HttpError : uint8_t {
  None = 0,
  BadRequest,            // 400: malformed or ambiguous framing
  RequestTimeout,        // 408: headers or body arrived too slowly
  PayloadTooLarge,       // 413: body larger than the request's limit
  UriTooLong,            // 414: request line longer than the limit
  HeaderFieldsTooLarge,  // 431: header section too large or too many fields
  NotImplemented,        // 501: a transfer coding we do not implement
  VersionNotSupported,   // 505: HTTP/x.y other than 1.0 and 1.1
  Count
};

}  // namespace syshttp::http
