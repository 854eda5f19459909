// One precomputed response per protocol error (DESIGN.md §2.5). Each ends its header
// section without the final CRLF so that the cached Date line can follow it.
#pragma once
#include <string_view>

#include "http_error.h"

namespace syshttp::http {

// The status code sent for an error (400, 408, …), or 0 for HttpError::None.
int errorStatus(HttpError e);

// "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n"
std::string_view errorResponseHead(HttpError e);
// node:http's: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n" (the close ends the
// empty body).
std::string_view nodeErrorResponseHead(HttpError e);

}  // namespace syshttp::http
