// parseRequestHead must not allocate: the global allocation functions are replaced here
// (for this test binary only) with ones that count calls.
#include <cstdlib>
#include <new>
#include <string>

#include "http_test_util.h"

namespace {
// Test-only instrumentation; the test binary is single-threaded.
size_t allocationCount = 0;

void* countedAlloc(std::size_t n) {
  ++allocationCount;
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) std::abort();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return countedAlloc(n); }
void* operator new[](std::size_t n) { return countedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace syshttp::test;

TEST_CASE("parser: parseRequestHead does not allocate") {
  const std::string inputs[] = {
      "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "\r\nPOST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\nConnection: close, upgrade\r\n"
      "Upgrade: ws\r\nExpect: 100-continue\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: abc",
      "GET /" + std::string(9000, 'a'),
  };
  syshttp::http::Field fields[100];
  RequestHead head;
  head.fields = fields;
  head.fieldCapacity = 100;
  HeadLimits limits;
  HttpError err = HttpError::None;
  const size_t before = allocationCount;
  for (const std::string& in : inputs) {
    for (size_t k = 0; k <= in.size(); k += 7) {
      syshttp::http::parseRequestHead(in.data(), k, limits, head, err);
    }
    syshttp::http::parseRequestHead(in.data(), in.size(), limits, head, err);
    syshttp::http::spanEqualsLower(in.data(), Span{0, 3}, "get", 3);
  }
  CHECK_EQ(allocationCount - before, size_t{0});
  // The counter itself works.
  void* probe = ::operator new(16);  // a call, not a new-expression: cannot be elided
  CHECK(allocationCount - before >= 1);
  ::operator delete(probe);
}
