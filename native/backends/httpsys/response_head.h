// Turns the response head the JS layer sends ("HTTP/1.1 200 OK\r\nName: value\r\n…",
// latin1, one field per line, lib/exchange.ts) into an HTTP_RESPONSE_V2.
//
// HTTP.sys has one known-header slot per well-known name. A field that repeats (several
// Set-Cookie, say) keeps its first value in the known slot and sends the others as
// unknown headers with the same name, which HTTP.sys writes out as they are: ASP.NET
// Core's HTTP.sys server does the same. Field order within one name is kept.
#pragma once
#include <string>
#include <vector>

#include "backends/httpsys/win32.h"

namespace syshttp::httpsys {

class ResponseHead {
 public:
  // Parses `head` (which must outlive the response: the HTTP_RESPONSE points into it).
  // False: the head is not what lib/ sends (no status line, a line without a colon).
  bool parse(const std::string& head, USHORT status);

  // Adds a field the backend decided on (Content-Length, Transfer-Encoding). `value`
  // must outlive the response.
  void set(HTTP_HEADER_ID id, const std::string& value);

  bool has(HTTP_HEADER_ID id) const { return response_.Headers.KnownHeaders[id].pRawValue != nullptr; }

  // The response, its entity chunks set by the caller. Valid until this object changes.
  HTTP_RESPONSE_V2& response();

 private:
  HTTP_RESPONSE_V2 response_{};
  std::vector<HTTP_UNKNOWN_HEADER> unknown_;
};

}  // namespace syshttp::httpsys
