// Inputs that end exactly where an inaccessible page begins: any read past the end of
// the buffer faults, with or without sanitizers (picohttpparser's guard-page test idea).
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "http_test_util.h"

using namespace syshttp::test;

namespace {

// Two pages: the first read/write, the second PROT_NONE.
class GuardedPage {
 public:
  GuardedPage() {
    pageSize_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, pageSize_ * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    base_ = static_cast<char*>(p);
    if (mprotect(base_ + pageSize_, pageSize_, PROT_NONE) != 0) {
      munmap(base_, pageSize_ * 2);
      base_ = nullptr;
    }
  }
  ~GuardedPage() {
    if (base_ != nullptr) munmap(base_, pageSize_ * 2);
  }
  GuardedPage(const GuardedPage&) = delete;
  GuardedPage& operator=(const GuardedPage&) = delete;

  bool ok() const { return base_ != nullptr; }
  size_t capacity() const { return pageSize_; }
  // Copies `s` so that its last byte is the last accessible byte.
  const char* place(std::string_view s) {
    char* at = base_ + pageSize_ - s.size();
    std::memcpy(at, s.data(), s.size());
    return at;
  }

 private:
  size_t pageSize_ = 0;
  char* base_ = nullptr;
};

const std::string kHeads[] = {
    "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    "\r\n\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5, 5\r\n"
    "Connection: keep-alive, Upgrade\r\nUpgrade: x\r\nExpect: 100-continue\r\nX:  \t v \t \r\n\r\n",
    "PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip , chunked\r\n\r\n",
    "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
    "OPTIONS * HTTP/1.0\r\n\r\n",
    "GET http://a/ HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    "GET / HTTP/2.0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nA\r\n\r\n",
};

const std::string kChunked[] = {
    "5\r\nhello\r\n0\r\n\r\n",
    "3;a=b;c=\"d\\\"e\"\r\nabc\r\n0;x\r\nT: v\r\nU:  w  \r\n\r\n",
    "7fffffffffffffff\r\nabc",
    "5;a=\"unterminated",
    "0\r\nX : v\r\n\r\n",
    "0000000000000000000000001\r\nZ\r\n0\r\n\r\n",
};

}  // namespace

TEST_CASE("guard page: complete heads ending at the boundary") {
  GuardedPage page;
  CHECK(page.ok());
  if (!page.ok()) return;
  syshttp::http::Field fields[100];
  for (const std::string& h : kHeads) {
    const ParseResult expected = parse(h);
    RequestHead head;
    head.fields = fields;
    head.fieldCapacity = 100;
    HttpError err = HttpError::None;
    const char* at = page.place(h);
    const ParseStatus st = syshttp::http::parseRequestHead(at, h.size(), HeadLimits(), head, err);
    CHECK_EQ_MSG(st, expected.status, show(h));
    CHECK_EQ_MSG(err, expected.err, show(h));
  }
}

TEST_CASE("guard page: every prefix of a head ending at the boundary") {
  GuardedPage page;
  CHECK(page.ok());
  if (!page.ok()) return;
  syshttp::http::Field fields[100];
  for (const std::string& h : kHeads) {
    for (size_t k = 0; k <= h.size(); ++k) {
      RequestHead head;
      head.fields = fields;
      head.fieldCapacity = 100;
      HttpError err = HttpError::None;
      const char* at = page.place(std::string_view(h).substr(0, k));
      const ParseStatus st = syshttp::http::parseRequestHead(at, k, HeadLimits(), head, err);
      if (k < h.size()) CHECK(st != ParseStatus::Complete || head.headLength <= k);
    }
  }
  // Limits crossed on partial input, ending at the boundary.
  HeadLimits small;
  small.maxRequestLine = 32;
  small.maxHeaderBytes = 32;
  for (const std::string& h : {"GET /" + std::string(100, 'a'),
                               "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'v')}) {
    for (size_t k = 0; k <= h.size(); ++k) {
      RequestHead head;
      head.fields = fields;
      head.fieldCapacity = 100;
      HttpError err = HttpError::None;
      const char* at = page.place(std::string_view(h).substr(0, k));
      const ParseStatus st = syshttp::http::parseRequestHead(at, k, small, head, err);
      CHECK(st != ParseStatus::Complete);
    }
  }
}

TEST_CASE("guard page: chunked input ending at the boundary, every prefix") {
  GuardedPage page;
  CHECK(page.ok());
  if (!page.ok()) return;
  for (const std::string& in : kChunked) {
    const DecodeResult expected = decodeChunked(in, {});
    for (size_t k = 0; k <= in.size(); ++k) {
      const char* at = page.place(std::string_view(in).substr(0, k));
      ChunkedDecoder dec;
      size_t pos = 0;
      std::string body;
      ChunkedDecoder::Status st = ChunkedDecoder::Status::NeedMore;
      while (pos < k) {
        size_t consumed = 0;
        const char* data = nullptr;
        size_t len = 0;
        HttpError err = HttpError::None;
        st = dec.decode(at + pos, k - pos, &consumed, &data, &len, &err);
        pos += consumed;
        if (st == ChunkedDecoder::Status::Data) {
          body.append(data, len);
          continue;
        }
        break;
      }
      if (k == in.size()) {
        CHECK_EQ_MSG(body, expected.body, show(in));
        if (st != ChunkedDecoder::Status::Data) CHECK_EQ_MSG(st, expected.status, show(in));
      }
    }
  }
}
