#include "backends/httpsys/response_head.h"

#include <cstring>

namespace syshttp::httpsys {
namespace {

// The response's known-header slots (HTTP_HEADER_ID order, 0 … HttpHeaderResponseMaximum-1).
constexpr const char* kResponseHeaderNames[HttpHeaderResponseMaximum] = {
    "cache-control", "connection", "date", "keep-alive", "pragma", "trailer", "transfer-encoding",
    "upgrade", "via", "warning", "allow", "content-length", "content-type", "content-encoding",
    "content-language", "content-location", "content-md5", "content-range", "expires",
    "last-modified", "accept-ranges", "age", "etag", "location", "proxy-authenticate",
    "retry-after", "server", "set-cookie", "vary", "www-authenticate"};

int knownId(const char* name, size_t length) {
  for (int id = 0; id < HttpHeaderResponseMaximum; ++id) {
    const char* known = kResponseHeaderNames[id];
    if (std::strlen(known) != length) continue;
    size_t i = 0;
    while (i < length && static_cast<char>(name[i] | 0x20) == known[i]) ++i;
    if (i == length) return id;
  }
  return -1;
}

}  // namespace

bool ResponseHead::parse(const std::string& head, USHORT status) {
  response_ = HTTP_RESPONSE_V2{};
  unknown_.clear();
  response_.Version.MajorVersion = 1;
  response_.Version.MinorVersion = 1;
  response_.StatusCode = status;

  const char* p = head.data();
  const char* end = p + head.size();
  // Status line: "HTTP/1.1 200 Reason\r\n".
  const char* eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
  if (eol == nullptr) return false;
  const char* sp = static_cast<const char*>(std::memchr(p, ' ', static_cast<size_t>(eol - p)));
  if (sp == nullptr) return false;
  const char* reason = static_cast<const char*>(std::memchr(sp + 1, ' ', static_cast<size_t>(eol - sp - 1)));
  const char* reasonEnd = (eol > p && eol[-1] == '\r') ? eol - 1 : eol;
  if (reason != nullptr && reason + 1 < reasonEnd) {
    response_.pReason = reason + 1;
    response_.ReasonLength = static_cast<USHORT>(reasonEnd - reason - 1);
  }
  p = eol + 1;
  while (p < end) {
    eol = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (eol == nullptr) eol = end;
    const char* lineEnd = (eol > p && eol[-1] == '\r') ? eol - 1 : eol;
    if (lineEnd == p) break;  // the empty line, should one be there
    const char* colon = static_cast<const char*>(std::memchr(p, ':', static_cast<size_t>(lineEnd - p)));
    if (colon == nullptr || colon == p) return false;
    const char* value = colon + 1;
    while (value < lineEnd && (*value == ' ' || *value == '\t')) ++value;
    size_t nameLength = static_cast<size_t>(colon - p);
    size_t valueLength = static_cast<size_t>(lineEnd - value);
    if (nameLength > 0xffff || valueLength > 0xffff) return false;
    int id = knownId(p, nameLength);
    if (id >= 0 && response_.Headers.KnownHeaders[id].pRawValue == nullptr) {
      response_.Headers.KnownHeaders[id].pRawValue = value;
      response_.Headers.KnownHeaders[id].RawValueLength = static_cast<USHORT>(valueLength);
    } else {
      HTTP_UNKNOWN_HEADER u{};
      u.pName = p;
      u.NameLength = static_cast<USHORT>(nameLength);
      u.pRawValue = value;
      u.RawValueLength = static_cast<USHORT>(valueLength);
      unknown_.push_back(u);
    }
    p = eol + 1;
  }
  return true;
}

void ResponseHead::set(HTTP_HEADER_ID id, const std::string& value) {
  response_.Headers.KnownHeaders[id].pRawValue = value.c_str();
  response_.Headers.KnownHeaders[id].RawValueLength = static_cast<USHORT>(value.size());
}

HTTP_RESPONSE_V2& ResponseHead::response() {
  response_.Headers.UnknownHeaderCount = static_cast<USHORT>(unknown_.size());
  response_.Headers.pUnknownHeaders = unknown_.empty() ? nullptr : unknown_.data();
  return response_;
}

}  // namespace syshttp::httpsys
