#include "error_responses.h"

#include <cstddef>

namespace syshttp::http {
namespace {

struct ErrorResponse {
  int status;
  std::string_view head;
  std::string_view nodeHead;
};

#define SYSHTTP_ERROR_HEAD(code, text) \
  "HTTP/1.1 " #code " " text "\r\nContent-Length: 0\r\nConnection: close\r\n", \
      "HTTP/1.1 " #code " " text "\r\nConnection: close\r\n"

// Indexed by HttpError; the static_assert below keeps the two in step.
constexpr ErrorResponse kResponses[] = {
    {0, "", ""},
    {400, SYSHTTP_ERROR_HEAD(400, "Bad Request")},
    {408, SYSHTTP_ERROR_HEAD(408, "Request Timeout")},
    {413, SYSHTTP_ERROR_HEAD(413, "Payload Too Large")},
    {414, SYSHTTP_ERROR_HEAD(414, "URI Too Long")},
    {431, SYSHTTP_ERROR_HEAD(431, "Request Header Fields Too Large")},
    {501, SYSHTTP_ERROR_HEAD(501, "Not Implemented")},
    {505, SYSHTTP_ERROR_HEAD(505, "HTTP Version Not Supported")},
};
static_assert(sizeof(kResponses) / sizeof(kResponses[0]) == static_cast<size_t>(HttpError::Count),
              "one precomputed response per HttpError");

#undef SYSHTTP_ERROR_HEAD

}  // namespace

int errorStatus(HttpError e) { return kResponses[static_cast<size_t>(e)].status; }

std::string_view errorResponseHead(HttpError e) { return kResponses[static_cast<size_t>(e)].head; }

std::string_view nodeErrorResponseHead(HttpError e) { return kResponses[static_cast<size_t>(e)].nodeHead; }

}  // namespace syshttp::http
