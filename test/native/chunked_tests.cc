// ChunkedDecoder: valid bodies, every error, limits; each message is also decoded one
// byte at a time and in every 2-way split, and the results must agree.
#include <string>

#include "http_test_util.h"

using namespace syshttp::test;
using Status = ChunkedDecoder::Status;

namespace {

template <size_t N>
std::string bin(const char (&s)[N]) {
  return std::string(s, N - 1);
}

DecodeResult expectDone(Context& t, const std::string& in, const std::string& body,
                        size_t consumed = std::string::npos,
                        const ChunkedDecoder::Limits& limits = ChunkedDecoder::Limits()) {
  DecodeResult r = decodeEverySplit(t, in, limits);
  const std::string ctx = show(in) + " -> " + r.describe();
  CHECK_EQ_MSG(r.status, Status::Done, ctx);
  CHECK_EQ_MSG(r.err, HttpError::None, ctx);
  CHECK_EQ_MSG(r.body, body, ctx);
  CHECK_EQ_MSG(r.bodyBytes, uint64_t{body.size()}, ctx);
  CHECK_EQ_MSG(r.consumed, consumed == std::string::npos ? in.size() : consumed, ctx);
  return r;
}

void expectError(Context& t, const std::string& in, HttpError err,
                 const ChunkedDecoder::Limits& limits = ChunkedDecoder::Limits(),
                 size_t at = std::string::npos) {
  DecodeResult r = decodeEverySplit(t, in, limits);
  const std::string ctx = show(in) + " -> " + r.describe();
  CHECK_EQ_MSG(r.status, Status::Error, ctx);
  CHECK_EQ_MSG(r.err, err, ctx);
  if (at != std::string::npos) CHECK_EQ_MSG(r.consumed, at, ctx);
}

ChunkedDecoder::Limits limitsWith(uint32_t line, uint32_t bytes, uint32_t count) {
  ChunkedDecoder::Limits l;
  l.maxChunkLine = line;
  l.maxTrailerBytes = bytes;
  l.maxTrailerCount = count;
  return l;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Valid

TEST_CASE("chunked: one chunk") { expectDone(t, "5\r\nhello\r\n0\r\n\r\n", "hello"); }

TEST_CASE("chunked: several chunks, hex sizes in both cases, leading zeros") {
  const std::string sixteen(16, 'x');
  const std::string big(0x1A, 'y');
  expectDone(t, "3\r\nabc\r\n10\r\n" + sixteen + "\r\n1a\r\n" + big + "\r\n1A\r\n" + big +
                    "\r\n0003\r\ndef\r\n000\r\n\r\n",
             "abc" + sixteen + big + big + "def");
}

TEST_CASE("chunked: empty body") {
  DecodeResult r = expectDone(t, "0\r\n\r\n", "");
  CHECK(r.trailers.empty());
  CHECK_EQ(r.trailerBlock, std::string());
}

TEST_CASE("chunked: binary chunk data including CR, LF and NUL") {
  expectDone(t, bin("6\r\n\r\n\0\n\r\xFF\r\n0\r\n\r\n"), bin("\r\n\0\n\r\xFF"));
}

TEST_CASE("chunked: extensions are validated and ignored") {
  expectDone(t, "5;name=value\r\nhello\r\n0\r\n\r\n", "hello");
  expectDone(t, "5;flag\r\nhello\r\n0;last\r\n\r\n", "hello");
  expectDone(t, "5 ; a = b ;\tc\t=\td ; e\r\nhello\r\n0\r\n\r\n", "hello");
  expectDone(t, "5;a=\"quoted \\\" value; with=stuff\"\r\nhello\r\n0\r\n\r\n", "hello");
  expectDone(t, "5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello");
  expectDone(t, "5;a=\"x\" ;b=y\r\nhello\r\n0\r\n\r\n", "hello");
  expectDone(t, "5;a=\"caf\xC3\xA9\t\"\r\nhello\r\n0\r\n\r\n", "hello");
  expectDone(t, "5;a;b;c=1\r\nhello\r\n0;x=\"1\"\r\n\r\n", "hello");
  expectDone(t, "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n", "hello");
}

TEST_CASE("chunked: trailers are kept") {
  DecodeResult r = expectDone(
      t, "5\r\nhello\r\n0\r\nX-Trailer: v1\r\nChecksum:  abc \t\r\nEmpty:\r\nSp:   \r\n\r\n", "hello");
  CHECK_EQ(r.trailerBlock, std::string("X-Trailer: v1\r\nChecksum:  abc \t\r\nEmpty:\r\nSp:   \r\n"));
  CHECK_EQ(r.trailers.size(), size_t{4});
  if (r.trailers.size() == 4) {
    CHECK_EQ(r.trailers[0].first, std::string("X-Trailer"));
    CHECK_EQ(r.trailers[0].second, std::string("v1"));
    CHECK_EQ(r.trailers[1].first, std::string("Checksum"));
    CHECK_EQ(r.trailers[1].second, std::string("abc"));
    CHECK_EQ(r.trailers[2].second, std::string());
    CHECK_EQ(r.trailers[3].first, std::string("Sp"));
    CHECK_EQ(r.trailers[3].second, std::string());
  }
  r = expectDone(t, "0\r\nA: x \x80 y\r\n\r\n", "");
  CHECK_EQ(r.trailers.size(), size_t{1});
  if (r.trailers.size() == 1) CHECK_EQ(r.trailers[0].second, std::string("x \x80 y"));
}

TEST_CASE("chunked: bytes after the message are not consumed") {
  const std::string msg = "3\r\nabc\r\n0\r\n\r\n";
  expectDone(t, msg + "GET / HTTP/1.1\r\n", "abc", msg.size());
  expectDone(t, "0\r\nT: v\r\n\r\n\r\n", "", 11);
}

TEST_CASE("chunked: largest chunk size is accepted, data is partial") {
  DecodeResult r = decodeEverySplit(t, "7fffffffffffffff\r\nabc");
  CHECK_EQ(r.status, Status::NeedMore);
  CHECK_EQ(r.body, std::string("abc"));
  r = decodeEverySplit(t, "00000000000000000000007FFFFFFFFFFFFFFF;x=y\r\nabcdef");
  CHECK_EQ(r.status, Status::NeedMore);
  CHECK_EQ(r.err, HttpError::None);
  CHECK_EQ(r.body, std::string("abcdef"));
}

TEST_CASE("chunked: decode returns one data span per call, pointing into the input") {
  const std::string in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  ExactBuffer buf(in);
  ChunkedDecoder dec;
  size_t consumed = 0;
  const char* data = nullptr;
  size_t len = 0;
  HttpError err = HttpError::None;
  CHECK_EQ(dec.decode(buf.data(), buf.size(), &consumed, &data, &len, &err), Status::Data);
  CHECK_EQ(consumed, size_t{6});
  CHECK(data == buf.data() + 3);
  CHECK_EQ(len, size_t{3});
  size_t pos = consumed;
  CHECK_EQ(dec.decode(buf.data() + pos, buf.size() - pos, &consumed, &data, &len, &err), Status::Data);
  CHECK_EQ(consumed, size_t{7});  // "\r\n2\r\nde"
  CHECK(data == buf.data() + 11);
  CHECK_EQ(len, size_t{2});
  pos += consumed;
  CHECK_EQ(dec.decode(buf.data() + pos, buf.size() - pos, &consumed, &data, &len, &err), Status::Done);
  CHECK_EQ(pos + consumed, in.size());
  CHECK(data == nullptr);
  CHECK_EQ(len, size_t{0});
  CHECK_EQ(dec.bodyBytes(), uint64_t{5});
}

TEST_CASE("chunked: empty input needs more") {
  ChunkedDecoder dec;
  size_t consumed = 99;
  const char* data = nullptr;
  size_t len = 0;
  HttpError err = HttpError::None;
  const char dummy = 'x';
  CHECK_EQ(dec.decode(&dummy, 0, &consumed, &data, &len, &err), Status::NeedMore);
  CHECK_EQ(consumed, size_t{0});
}

TEST_CASE("chunked: reset after Done and after Error") {
  ChunkedDecoder dec;
  size_t consumed = 0;
  const char* data = nullptr;
  size_t len = 0;
  HttpError err = HttpError::None;
  const std::string a = "0\r\nA: b\r\n\r\n";
  CHECK_EQ(dec.decode(a.data(), a.size(), &consumed, &data, &len, &err), Status::Done);
  CHECK_EQ(dec.trailerCount(), 1u);
  dec.reset();
  CHECK_EQ(dec.trailerCount(), 0u);
  CHECK_EQ(dec.trailerBlock(), std::string());
  const std::string b = "x\r\n";
  CHECK_EQ(dec.decode(b.data(), b.size(), &consumed, &data, &len, &err), Status::Error);
  CHECK_EQ(err, HttpError::BadRequest);
  // Stays failed until reset.
  CHECK_EQ(dec.decode(a.data(), a.size(), &consumed, &data, &len, &err), Status::Error);
  CHECK_EQ(err, HttpError::BadRequest);
  dec.reset();
  const std::string c = "2\r\nhi\r\n0\r\n\r\n";
  size_t pos = 0;
  std::string body;
  for (;;) {
    Status s = dec.decode(c.data() + pos, c.size() - pos, &consumed, &data, &len, &err);
    pos += consumed;
    if (s == Status::Data) body.append(data, len);
    if (s != Status::Data) {
      CHECK_EQ(s, Status::Done);
      break;
    }
  }
  CHECK_EQ(body, std::string("hi"));
  CHECK_EQ(dec.bodyBytes(), uint64_t{2});
}

TEST_CASE("chunked: limits exactly at the boundary are accepted") {
  // Size line "5;abcdefghij" is 12 bytes; trailer block "A: 1\r\nB: 2\r\n" is 12 bytes, 2 fields.
  expectDone(t, "5;abcdefghij\r\nhello\r\n0\r\nA: 1\r\nB: 2\r\n\r\n", "hello", std::string::npos,
             limitsWith(12, 12, 2));
}

// ---------------------------------------------------------------------------------------
// Invalid

TEST_CASE("chunked: non-hex or missing chunk size is 400") {
  for (const char* in : {"g\r\n", "x5\r\n", "\r\n", "-5\r\nhello\r\n", "+5\r\nhello\r\n",
                         "0x5\r\nhello\r\n", "5g\r\n", ";a\r\n", "\xFF\r\n", "5.0\r\n"}) {
    expectError(t, in, HttpError::BadRequest);
  }
}

TEST_CASE("chunked: whitespace around the size without an extension is 400") {
  expectError(t, " 5\r\nhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 0);
  expectError(t, "\t5\r\nhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 0);
  expectError(t, "5 \r\nhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 2);
  expectError(t, "5\t\r\nhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 2);
  expectError(t, "5 5\r\nhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 2);
}

TEST_CASE("chunked: size overflow is 400") {
  expectError(t, "8000000000000000\r\n", HttpError::BadRequest);
  expectError(t, "FFFFFFFFFFFFFFFF\r\n", HttpError::BadRequest);
  expectError(t, "10000000000000000\r\n", HttpError::BadRequest);
  expectError(t, "1000000000000000000000000000000\r\n", HttpError::BadRequest);
}

TEST_CASE("chunked: missing CRLF after chunk data is 400") {
  expectError(t, "5\r\nhelloX\r\n0\r\n\r\n", HttpError::BadRequest, {}, 8);
  expectError(t, "5\r\nhello\n0\r\n\r\n", HttpError::BadRequest, {}, 8);
  expectError(t, "5\r\nhello\rX0\r\n\r\n", HttpError::BadRequest, {}, 9);
  expectError(t, "5\r\nhello0\r\n\r\n", HttpError::BadRequest, {}, 8);
  expectError(t, "3\r\nhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 6);
}

TEST_CASE("chunked: bare LF and bare CR are 400") {
  expectError(t, "5\nhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 1);
  expectError(t, "5\rhello\r\n0\r\n\r\n", HttpError::BadRequest, {}, 2);
  expectError(t, "5;a=b\nhello\r\n0\r\n\r\n", HttpError::BadRequest);
  expectError(t, "0\n\r\n", HttpError::BadRequest);
  expectError(t, "0\r\n\n", HttpError::BadRequest);
  expectError(t, "0\r\n\rX", HttpError::BadRequest);
  expectError(t, "0\r\nA: b\n\r\n", HttpError::BadRequest);
  expectError(t, "0\r\nA: b\rc\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("chunked: malformed extensions are 400") {
  for (const char* in : {"5;=x\r\n", "5;\r\n", "5; \r\n", "5;a=\r\n", "5;a= \r\n",
                         "5;a=\"unterminated\r\n", "5;a b\r\n", "5;a=b c\r\n", "5;a=\"\x01\"\r\n",
                         "5;a=\"x\"y\r\n", "5;a==b\r\n", "5 ;a \r\n", "5;a=b \r\n", "5;a(b\r\n",
                         "5;a=b\"\r\n", "5;a=\"\\\x01\"\r\n", "5;a=\"x\x7F\"\r\n", "5;;a\r\n",
                         "5 \t \r\n", "5;a=\"x\" \r\n", "5,a\r\n", "5;a=b;\r\n"}) {
    expectError(t, in, HttpError::BadRequest);
  }
}

TEST_CASE("chunked: chunk line too long is 413") {
  const auto lim = limitsWith(12, 1024, 10);
  expectError(t, "5;abcdefghijk\r\nhello\r\n0\r\n\r\n", HttpError::PayloadTooLarge, lim, 12);
  expectError(t, "0000000000005\r\nhello\r\n0\r\n\r\n", HttpError::PayloadTooLarge, lim, 12);
  // Default limit: 16 KiB and 32 (node:http's 16 KiB of extensions), detected before the
  // CRLF arrives.
  const std::string longExt = "5;a=" + std::string(17000, 'b');
  DecodeResult r = decodeChunked(longExt, {});
  CHECK_EQ(r.status, Status::Error);
  CHECK_EQ(r.err, HttpError::PayloadTooLarge);
  CHECK_EQ(r.consumed, size_t{16 * 1024 + 32});
  const std::string within = "5;a=" + std::string(16000, 'b') + "\r\nhello\r\n0\r\n\r\n";
  CHECK_EQ(decodeChunked(within, {}).status, Status::Done);
}

TEST_CASE("chunked: trailers too large are 431") {
  const auto lim = limitsWith(4096, 12, 10);
  expectError(t, "0\r\nA: 1\r\nB: 23\r\n\r\n", HttpError::HeaderFieldsTooLarge, lim);
  expectError(t, "0\r\nA: " + std::string(100, 'x'), HttpError::HeaderFieldsTooLarge, lim, 15);
  const std::string huge = "0\r\nX: " + std::string(40000, 'v') + "\r\n\r\n";
  DecodeResult r = decodeChunked(huge, {});
  CHECK_EQ(r.status, Status::Error);
  CHECK_EQ(r.err, HttpError::HeaderFieldsTooLarge);
}

TEST_CASE("chunked: too many trailers are 431") {
  const auto lim = limitsWith(4096, 1024, 2);
  expectError(t, "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", HttpError::HeaderFieldsTooLarge, lim, 15);
  std::string many = "0\r\n";
  for (int i = 0; i < 101; ++i) many += "T" + std::to_string(i) + ": v\r\n";
  DecodeResult r = decodeChunked(many + "\r\n", {});
  CHECK_EQ(r.err, HttpError::HeaderFieldsTooLarge);
}

TEST_CASE("chunked: invalid trailer fields are 400") {
  for (const std::string& in :
       {std::string("0\r\nX : v\r\n\r\n"), std::string("0\r\nX\t: v\r\n\r\n"),
        std::string("0\r\n X: v\r\n\r\n"), std::string("0\r\nX: a\r\n b\r\n\r\n"),
        std::string("0\r\nX: a\r\n\tb\r\n\r\n"), bin("0\r\nX: a\0\r\n\r\n"),
        std::string("0\r\nX: a\x7F\r\n\r\n"), std::string("0\r\nX: a\x01\r\n\r\n"),
        std::string("0\r\nX\r\n\r\n"), std::string("0\r\n: v\r\n\r\n"),
        std::string("0\r\nFo(o: v\r\n\r\n"), std::string("0\r\nFo\"o: v\r\n\r\n"),
        std::string("0\r\n\x80: v\r\n\r\n"), std::string("0\r\nX: v\r\nY")}) {
    DecodeResult r = decodeEverySplit(t, in);
    // The last input is merely incomplete.
    if (in.back() == 'Y') {
      CHECK_EQ(r.status, Status::NeedMore);
      continue;
    }
    CHECK_EQ_MSG(r.status, Status::Error, show(in));
    CHECK_EQ_MSG(r.err, HttpError::BadRequest, show(in));
  }
}
