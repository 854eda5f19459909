// Server-wide limits and timeouts (DESIGN.md §2.6, Kestrel's defaults). Every one is
// configurable from JS; 0 means "off" where noted.
#pragma once
#include <cstdint>
#include <string>

#include "parser.h"

namespace syshttp::http {

struct ServerLimits {
  HeadLimits head;                                // 8 KiB line, 32 KiB headers, 100 fields
  uint64_t maxRequestBodySize = 30000000;         // UINT64_MAX = unlimited
  uint32_t keepAliveTimeoutMs = 130000;           // idle between requests, then close
  uint32_t requestHeadersTimeoutMs = 30000;       // to receive a whole head, then 408
  uint32_t minBodyBytesPerSecond = 240;           // 0 = no minimum rate
  uint32_t minBodyRateGraceMs = 5000;
  uint32_t maxConnections = 0;                    // 0 = unlimited
  // A client that takes none of its queued response bytes for this long is
  // disconnected, so a stalled reader cannot pin a connection and its output forever.
  uint32_t sendStallTimeoutMs = 30000;
  uint32_t maxPipelinedRequests = 32;             // parsed ahead of their responses
  uint32_t responseHighWaterMark = 64 * 1024;     // send() reports backpressure above this
  uint32_t inputBufferSize = 64 * 1024;           // per connection; must exceed head limits
  // Field lines sent on every kept-alive response without an app Connection field, in
  // place of the HTTP/1.0-only "Connection: keep-alive" (the node:http layer announces
  // keep-alive as node:http does: "Connection: keep-alive" and "Keep-Alive: timeout=N").
  // Empty: the core API's default. Linux backends only.
  std::string keepAliveFields;
  // A connection that sends nothing within requestHeadersTimeout is answered 408 before
  // the close, as node:http answers it (the node:http layer); by default it is closed
  // silently, as Kestrel and HTTP.sys close connections never used (preconnects).
  bool answerUnusedConnectionTimeout = false;
  // Protocol errors are answered with node:http's own bytes: the status line and
  // "Connection: close", without Content-Length or Date (the node:http layer). By default
  // a Date goes with them, as RFC 9110 §6.6.1 asks of 4xx responses.
  bool nodeErrorResponses = false;
  // A refused request head (400, 408, 414, 431, 501, 505) on a connection with no
  // response pending is not answered: the connection becomes a raw stream the app writes
  // its own answer to (node:http's 'clientError' listener, given a live socket). Set by
  // the node:http layer while it has such a listener.
  bool deferClientErrors = false;
  // node's server.httpAllowHalfOpen: the client's end between requests does not abort the
  // requests it sent before it: they are answered, and the connection closes after the
  // last (as node's, its head says nothing of it). Set by the node:http layer.
  bool allowHalfOpen = false;
};

}  // namespace syshttp::http
