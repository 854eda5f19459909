#include "backends/httpsys/request_record.h"

#include <cstring>

namespace syshttp::httpsys {
namespace {

// HTTP_VERB → method name; HttpVerbUnknown uses pUnknownVerb.
const char* verbName(HTTP_VERB verb) {
  switch (verb) {
    case HttpVerbOPTIONS: return "OPTIONS";
    case HttpVerbGET: return "GET";
    case HttpVerbHEAD: return "HEAD";
    case HttpVerbPOST: return "POST";
    case HttpVerbPUT: return "PUT";
    case HttpVerbDELETE: return "DELETE";
    case HttpVerbTRACE: return "TRACE";
    case HttpVerbCONNECT: return "CONNECT";
    case HttpVerbTRACK: return "TRACK";
    case HttpVerbMOVE: return "MOVE";
    case HttpVerbCOPY: return "COPY";
    case HttpVerbPROPFIND: return "PROPFIND";
    case HttpVerbPROPPATCH: return "PROPPATCH";
    case HttpVerbMKCOL: return "MKCOL";
    case HttpVerbLOCK: return "LOCK";
    case HttpVerbUNLOCK: return "UNLOCK";
    case HttpVerbSEARCH: return "SEARCH";
    default: return nullptr;
  }
}

// The request's known-header slots (HTTP_HEADER_ID order, 0 … HttpHeaderRequestMaximum-1).
constexpr const char* kRequestHeaderNames[HttpHeaderRequestMaximum] = {
    "Cache-Control", "Connection", "Date", "Keep-Alive", "Pragma", "Trailer", "Transfer-Encoding",
    "Upgrade", "Via", "Warning", "Allow", "Content-Length", "Content-Type", "Content-Encoding",
    "Content-Language", "Content-Location", "Content-MD5", "Content-Range", "Expires",
    "Last-Modified", "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
    "Authorization", "Cookie", "Expect", "From", "Host", "If-Match", "If-Modified-Since",
    "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards", "Proxy-Authorization",
    "Referer", "Range", "TE", "Translate", "User-Agent"};

// Case-insensitive search for an ASCII token in a header value ("close", "chunked").
bool hasToken(const char* value, size_t length, const char* token) {
  size_t n = std::strlen(token);
  for (size_t i = 0; i + n <= length; ++i) {
    size_t k = 0;
    while (k < n && (value[i + k] | 0x20) == token[k]) ++k;
    if (k == n) return true;
  }
  return false;
}

// A port as the socket address holds it (network order), read byte by byte: ntohs would
// make the addon import WS2_32.dll for one byte swap.
uint16_t networkPort(const void* field) {
  const auto* b = static_cast<const uint8_t*>(field);
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}

// The bridge's packed address form (native/backends/linux/socket_address.h): family
// (4 or 6), a zero byte, the port little-endian, 16 address bytes.
void pack(const SOCKADDR* sa, uint8_t out[20]) {
  std::memset(out, 0, 20);
  if (sa == nullptr) return;
  if (sa->sa_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(sa);
    uint16_t port = networkPort(&a->sin_port);
    out[0] = 4;
    out[2] = static_cast<uint8_t>(port & 0xff);
    out[3] = static_cast<uint8_t>(port >> 8);
    std::memcpy(out + 4, &a->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(sa);
    uint16_t port = networkPort(&a->sin6_port);
    out[0] = 6;
    out[2] = static_cast<uint8_t>(port & 0xff);
    out[3] = static_cast<uint8_t>(port >> 8);
    std::memcpy(out + 4, &a->sin6_addr, 16);
  }
}

}  // namespace

http::Span RequestRecord::add(const char* data, size_t length) {
  http::Span s{static_cast<uint32_t>(block_.size()), static_cast<uint32_t>(length)};
  block_.append(data, length);
  return s;
}

RequestSummary RequestRecord::append(bridge::Batch& batch, uint32_t connection, uint32_t seq,
                                     const HTTP_REQUEST& r) {
  RequestSummary out;
  block_.clear();
  fields_.clear();
  http::RequestHead head{};

  const char* verb = verbName(r.Verb);
  if (verb != nullptr) {
    head.method = add(verb, std::strlen(verb));
  } else {
    head.method = add(r.pUnknownVerb != nullptr ? r.pUnknownVerb : "", r.pUnknownVerb != nullptr ? r.UnknownVerbLength : 0);
  }
  out.head = r.Verb == HttpVerbHEAD;
  head.target = add(r.pRawUrl != nullptr ? r.pRawUrl : "/", r.pRawUrl != nullptr ? r.RawUrlLength : 1);
  head.versionMinor = (r.Version.MajorVersion == 1 && r.Version.MinorVersion == 0) ? 0 : 1;
  out.http10 = head.versionMinor == 0;

  bool close = false;
  bool keepAliveToken = false;
  for (int id = 0; id < HttpHeaderRequestMaximum; ++id) {
    const HTTP_KNOWN_HEADER& h = r.Headers.KnownHeaders[id];
    if (h.pRawValue == nullptr) continue;
    http::Field f{};
    f.name = add(kRequestHeaderNames[id], std::strlen(kRequestHeaderNames[id]));
    f.value = add(h.pRawValue, h.RawValueLength);
    fields_.push_back(f);
    if (id == HttpHeaderContentLength) {
      uint64_t n = 0;
      bool digits = h.RawValueLength > 0;
      for (USHORT i = 0; i < h.RawValueLength; ++i) {
        char c = h.pRawValue[i];
        if (c < '0' || c > '9') {
          digits = false;
          break;
        }
        n = n * 10 + static_cast<uint64_t>(c - '0');
      }
      if (digits) {
        out.hasContentLength = true;
        out.contentLength = n;
      }
    } else if (id == HttpHeaderTransferEncoding) {
      out.chunked = hasToken(h.pRawValue, h.RawValueLength, "chunked");
    } else if (id == HttpHeaderConnection) {
      close = hasToken(h.pRawValue, h.RawValueLength, "close");
      keepAliveToken = hasToken(h.pRawValue, h.RawValueLength, "keep-alive");
    } else if (id == HttpHeaderExpect) {
      head.expectContinue = hasToken(h.pRawValue, h.RawValueLength, "100-continue");
    }
  }
  for (USHORT i = 0; i < r.Headers.UnknownHeaderCount; ++i) {
    const HTTP_UNKNOWN_HEADER& h = r.Headers.pUnknownHeaders[i];
    http::Field f{};
    f.name = add(h.pName, h.NameLength);
    f.value = add(h.pRawValue, h.RawValueLength);
    fields_.push_back(f);
  }

  out.keepAlive = out.http10 ? keepAliveToken && !close : !close;
  head.keepAlive = out.keepAlive;
  if (out.chunked) {
    head.bodyKind = http::BodyKind::Chunked;
  } else if (out.hasContentLength) {
    head.bodyKind = http::BodyKind::ContentLength;
    head.contentLength = out.contentLength;
  }
  out.hasBody = out.chunked || out.contentLength > 0 || (r.Flags & HTTP_REQUEST_FLAG_MORE_ENTITY_BODY_EXISTS) != 0;
  head.fields = fields_.data();
  head.fieldCapacity = static_cast<uint32_t>(fields_.size());
  head.fieldCount = static_cast<uint32_t>(fields_.size());
  head.headLength = static_cast<uint32_t>(block_.size());

  uint8_t addresses[40];
  pack(r.Address.pLocalAddress, addresses);
  pack(r.Address.pRemoteAddress, addresses + 20);
  batch.request(connection, seq, head, block_.data(), addresses);
  return out;
}

}  // namespace syshttp::httpsys
