// Turns one HTTP_REQUEST (parsed by HTTP.sys) into the request record the Linux backends
// produce after parsing (bridge/batch.h): method, raw target, header fields in one byte
// block, body framing, the packed local and remote addresses. So lib/ cannot tell the
// backends apart.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "backends/httpsys/win32.h"
#include "bridge/batch.h"
#include "http/parser.h"

namespace syshttp::httpsys {

struct RequestSummary {
  bool head = false;        // HEAD: the response never has a body
  bool http10 = false;
  bool keepAlive = false;
  bool hasBody = false;     // more entity body to receive with HttpReceiveRequestEntityBody
  bool chunked = false;
  bool hasContentLength = false;
  uint64_t contentLength = 0;
};

class RequestRecord {
 public:
  // Appends the request record for `r` to `batch` and returns what the backend needs to
  // know about the request. The scratch buffers are reused from request to request.
  RequestSummary append(bridge::Batch& batch, uint32_t connection, uint32_t seq, const HTTP_REQUEST& r);

 private:
  http::Span add(const char* data, size_t length);

  std::string block_;
  std::vector<http::Field> fields_;
};

}  // namespace syshttp::httpsys
