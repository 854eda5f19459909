// parseRequestHead: valid heads, every error with its exact HttpError, limits, prefixes.
#include <string>

#include "http_test_util.h"

using namespace syshttp::test;

namespace {

const std::string kHost = "Host: example.com\r\n";

std::string get(const std::string& fields, const std::string& version = "HTTP/1.1") {
  return "GET / " + version + "\r\n" + fields + "\r\n";
}

std::string repeat(char c, size_t n) { return std::string(n, c); }

// A string literal with embedded NULs, without its terminating NUL.
template <size_t N>
std::string bin(const char (&s)[N]) {
  return std::string(s, N - 1);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Valid heads

TEST_CASE("parser: simple GET") {
  ParseResult r = expectComplete(t, "GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
  CHECK_EQ(r.method(), std::string("GET"));
  CHECK_EQ(r.target(), std::string("/index.html?x=1"));
  CHECK_EQ(r.head.versionMinor, uint8_t{1});
  CHECK_EQ(r.head.fieldCount, 1u);
  CHECK_EQ(r.header("host"), std::string("example.com"));
  CHECK_EQ(r.head.bodyKind, BodyKind::None);
  CHECK(r.head.keepAlive);
  CHECK(!r.head.expectContinue);
  CHECK(!r.head.upgrade);
}

TEST_CASE("parser: spans point into the input, name case preserved") {
  ParseResult r = expectComplete(t, "GET / HTTP/1.1\r\nHOST: a\r\nX-Mixed-Case: v\r\n\r\n");
  CHECK_EQ(r.head.method.offset, 0u);
  CHECK_EQ(r.head.target.offset, 4u);
  CHECK_EQ(r.str(r.fields[0].name), std::string("HOST"));
  CHECK_EQ(r.str(r.fields[1].name), std::string("X-Mixed-Case"));
  CHECK_EQ(r.fields[1].value.offset, 39u);
}

TEST_CASE("parser: common and unusual methods are tokens") {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
                        "PROPFIND", "MKCOL", "X-CUSTOM", "get", "M!#$%&'*+-.^_`|~9"}) {
    ParseResult r = expectComplete(t, std::string(m) + " /p HTTP/1.1\r\n" + kHost + "\r\n");
    CHECK_EQ(r.method(), std::string(m));
  }
}

TEST_CASE("parser: absolute-form target") {
  ParseResult r = expectComplete(
      t, "GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
  CHECK_EQ(r.target(), std::string("http://example.com:8080/a/b?c=d"));
  expectComplete(t, "GET https://x/ HTTP/1.1\r\nHost: x\r\n\r\n");
  expectComplete(t, "OPTIONS coap+tcp.v-1://h HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST_CASE("parser: asterisk-form with OPTIONS") {
  ParseResult r = expectComplete(t, "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n");
  CHECK_EQ(r.target(), std::string("*"));
}

TEST_CASE("parser: authority-form with CONNECT") {
  ParseResult r = expectComplete(t, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
  CHECK_EQ(r.target(), std::string("example.com:443"));
  expectComplete(t, "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
  expectComplete(t, "CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n");
}

TEST_CASE("parser: HTTP/1.0 without keep-alive closes") {
  ParseResult r = expectComplete(t, "GET / HTTP/1.0\r\n\r\n");
  CHECK_EQ(r.head.versionMinor, uint8_t{0});
  CHECK(!r.head.keepAlive);
  CHECK_EQ(r.head.fieldCount, 0u);
}

TEST_CASE("parser: HTTP/1.0 with keep-alive") {
  ParseResult r = expectComplete(t, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  CHECK(r.head.keepAlive);
  r = expectComplete(t, "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n");
  CHECK(!r.head.keepAlive);
  r = expectComplete(t, "GET / HTTP/1.0\r\nHost: h\r\nConnection: foo,  keep-alive \r\n\r\n");
  CHECK(r.head.keepAlive);
}

TEST_CASE("parser: HTTP/1.1 Connection close and keep-alive") {
  CHECK(!expectComplete(t, get(kHost + "Connection: close\r\n")).head.keepAlive);
  CHECK(!expectComplete(t, get(kHost + "Connection: CLOSE\r\n")).head.keepAlive);
  CHECK(!expectComplete(t, get(kHost + "Connection: keep-alive\r\nConnection: close\r\n")).head.keepAlive);
  CHECK(expectComplete(t, get(kHost + "Connection: keep-alive\r\n")).head.keepAlive);
  CHECK(expectComplete(t, get(kHost + "Connection: closed\r\n")).head.keepAlive);
}

TEST_CASE("parser: Connection upgrade needs an Upgrade field") {
  ParseResult r = expectComplete(t, get(kHost + "Connection: Upgrade\r\nUpgrade: websocket\r\n"));
  CHECK(r.head.upgrade);
  CHECK(r.head.keepAlive);
  r = expectComplete(t, get(kHost + "Connection: keep-alive, Upgrade\r\nUpgrade: h2c\r\n"));
  CHECK(r.head.upgrade);
  CHECK(!expectComplete(t, get(kHost + "Connection: upgrade\r\n")).head.upgrade);
  CHECK(!expectComplete(t, get(kHost + "Upgrade: websocket\r\n")).head.upgrade);
}

TEST_CASE("parser: Expect 100-continue on 1.1 only") {
  CHECK(expectComplete(t, get(kHost + "Expect: 100-continue\r\nContent-Length: 3\r\n")).head.expectContinue);
  CHECK(expectComplete(t, get(kHost + "Expect: 100-Continue\r\n")).head.expectContinue);
  CHECK(!expectComplete(t, get(kHost + "Expect: 100-continue\r\n", "HTTP/1.0")).head.expectContinue);
  CHECK(!expectComplete(t, get(kHost + "Expect: something-else\r\n")).head.expectContinue);
}

TEST_CASE("parser: many headers") {
  std::string fields = kHost;
  for (int i = 0; i < 99; ++i) fields += "X-Header-" + std::to_string(i) + ": value " + std::to_string(i) + "\r\n";
  ParseResult r = expectComplete(t, get(fields));
  CHECK_EQ(r.head.fieldCount, 100u);
  CHECK_EQ(r.str(r.fields[99].name), std::string("X-Header-98"));
  CHECK_EQ(r.str(r.fields[99].value), std::string("value 98"));
}

TEST_CASE("parser: field value OWS is trimmed, inner whitespace kept") {
  ParseResult r = expectComplete(t, get(kHost + "A:  \t x y\t z \t \r\nB:v\r\nC:\t\tv\t\r\n"));
  CHECK_EQ(r.header("a"), std::string("x y\t z"));
  CHECK_EQ(r.header("b"), std::string("v"));
  CHECK_EQ(r.header("c"), std::string("v"));
}

TEST_CASE("parser: empty field values") {
  ParseResult r = expectComplete(t, get(kHost + "Empty:\r\nSpaces:    \r\nTabs:\t\t\r\n"));
  CHECK_EQ(r.header("empty"), std::string());
  CHECK_EQ(r.header("spaces"), std::string());
  CHECK_EQ(r.header("tabs"), std::string());
  CHECK_EQ(r.head.fieldCount, 4u);
}

TEST_CASE("parser: obs-text in a field value") {
  ParseResult r = expectComplete(t, get(kHost + "X-Name: caf\xC3\xA9 \x80\xFF\r\n"));
  CHECK_EQ(r.header("x-name"), std::string("caf\xC3\xA9 \x80\xFF"));
}

TEST_CASE("parser: Content-Length 0") {
  ParseResult r = expectComplete(t, "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  CHECK_EQ(r.head.bodyKind, BodyKind::ContentLength);
  CHECK_EQ(r.head.contentLength, uint64_t{0});
}

TEST_CASE("parser: Content-Length large, leading zeros, and at 2^53-1") {
  ParseResult r = expectComplete(t, get(kHost + "Content-Length: 30000000000\r\n"));
  CHECK_EQ(r.head.bodyKind, BodyKind::ContentLength);
  CHECK_EQ(r.head.contentLength, uint64_t{30000000000});
  CHECK_EQ(expectComplete(t, get(kHost + "Content-Length: 9007199254740991\r\n")).head.contentLength,
           uint64_t{9007199254740991});
  CHECK_EQ(expectComplete(t, get(kHost + "Content-Length: 0000000000000000000000042\r\n")).head.contentLength,
           uint64_t{42});
}

TEST_CASE("parser: identical Content-Length values are accepted") {
  CHECK_EQ(expectComplete(t, get(kHost + "Content-Length: 5, 5\r\n")).head.contentLength, uint64_t{5});
  CHECK_EQ(expectComplete(t, get(kHost + "Content-Length: 5\r\ncontent-length: 5\r\n")).head.contentLength,
           uint64_t{5});
  CHECK_EQ(expectComplete(t, get(kHost + "Content-Length: 7 ,7,\t7\r\n")).head.contentLength, uint64_t{7});
}

TEST_CASE("parser: Transfer-Encoding chunked") {
  ParseResult r = expectComplete(t, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK_EQ(r.head.bodyKind, BodyKind::Chunked);
  CHECK_EQ(expectComplete(t, get(kHost + "Transfer-Encoding: CHUNKED\r\n")).head.bodyKind, BodyKind::Chunked);
}

TEST_CASE("parser: leading empty lines are skipped and counted") {
  ParseResult r = expectComplete(t, "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK_EQ(r.method(), std::string("GET"));
  CHECK_EQ(r.head.method.offset, 4u);
  CHECK_EQ(r.head.headLength, 31u);
}

TEST_CASE("parser: pipelined heads, headLength stops at the first") {
  const std::string first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  ParseResult r = parse(first + second);
  CHECK_EQ(r.status, ParseStatus::Complete);
  CHECK_EQ(size_t{r.head.headLength}, first.size());
  CHECK_EQ(r.target(), std::string("/1"));
  ParseResult r2 = parse(second);
  CHECK_EQ(r2.status, ParseStatus::Complete);
  CHECK_EQ(r2.target(), std::string("/2"));
  // A body follows a head: parsing stops at the empty line, whatever comes next.
  ParseResult r3 = parse(bin("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n\x00\x01\n\r"));
  CHECK_EQ(r3.status, ParseStatus::Complete);
}

TEST_CASE("parser: every split point of a valid head is Incomplete until complete") {
  const std::string heads[] = {
      "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
      "\r\nPOST /upload HTTP/1.1\r\nHost: example.com\r\nContent-Length: 10\r\nX:  y  \r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
      "PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
  };
  for (const std::string& h : heads) {
    ParseResult full = expectComplete(t, h);
    for (size_t k = 0; k < h.size(); ++k) {
      CHECK_EQ_MSG(parse(h.substr(0, k)).status, ParseStatus::Incomplete, show(h.substr(0, k)));
    }
    CHECK_EQ(full.status, ParseStatus::Complete);
  }
}

TEST_CASE("parser: empty input and partial CR are Incomplete") {
  CHECK_EQ(parse("").status, ParseStatus::Incomplete);
  CHECK_EQ(parse("\r").status, ParseStatus::Incomplete);
  CHECK_EQ(parse("\r\n").status, ParseStatus::Incomplete);
  CHECK_EQ(parse("GET / HTTP/1.1\r").status, ParseStatus::Incomplete);
  CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n\r").status, ParseStatus::Incomplete);
}

TEST_CASE("parser: Host on HTTP/1.0 is optional but validated") {
  expectComplete(t, "GET / HTTP/1.0\r\nHost: example.com\r\n\r\n");
  expectParseError(t, "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: Host values with allowed characters, empty Host") {
  ParseResult r = expectComplete(t, get("Host: [::1]:8080\r\n"));
  CHECK_EQ(r.header("host"), std::string("[::1]:8080"));
  expectComplete(t, get("Host: a-b.c_d~e!$&'()*+,;=%20:1\r\n"));
  expectComplete(t, get("Host:\r\n"));
  expectComplete(t, get("Host:   \r\n"));
}

TEST_CASE("parser: spanEqualsLower") {
  const char buf[] = "Content-LENGTH";
  CHECK(syshttp::http::spanEqualsLower(buf, Span{0, 14}, "content-length", 14));
  CHECK(!syshttp::http::spanEqualsLower(buf, Span{0, 14}, "content-lengti", 14));
  CHECK(!syshttp::http::spanEqualsLower(buf, Span{0, 7}, "content-length", 14));
  CHECK(syshttp::http::spanEqualsLower(buf, Span{8, 6}, "length", 6));
  CHECK(syshttp::http::spanEqualsLower(buf, Span{3, 0}, "", 0));
}

TEST_CASE("parser: limits exactly at the boundary are accepted") {
  // Request line 25 bytes; field section "Host: h\r\n" + "\r\n" is 11 bytes; one field.
  expectComplete(t, "GET /123456789ab HTTP/1.1\r\nHost: h\r\n\r\n", HeadLimits{25, 11, 1});
  expectParseError(t, "GET /123456789ab HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::UriTooLong,
                   HeadLimits{24, 11, 1});
  expectParseError(t, "GET /123456789ab HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::HeaderFieldsTooLarge,
                   HeadLimits{25, 10, 1});
  expectParseError(t, "GET /123456789ab HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::HeaderFieldsTooLarge,
                   HeadLimits{25, 11, 0});
}

// ---------------------------------------------------------------------------------------
// Invalid: framing and smuggling

TEST_CASE("parser: Content-Length with Transfer-Encoding is 400") {
  expectParseError(t, get(kHost + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: differing duplicate Content-Length is 400") {
  expectParseError(t, get(kHost + "Content-Length: 5\r\nContent-Length: 6\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Content-Length: 5, 6\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Content-Length: 5,\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Content-Length: 5,,5\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: malformed Content-Length is 400") {
  for (const char* v : {"+5", "-5", "5 5", "5a", "0x5", "", " ", "5.0", "\"5\"", "5;", "1e3"}) {
    expectParseError(t, get(kHost + "Content-Length: " + v + "\r\n"), HttpError::BadRequest);
  }
}

TEST_CASE("parser: Content-Length overflow is 400") {
  expectParseError(t, get(kHost + "Content-Length: 9007199254740992\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Content-Length: 18446744073709551616\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Content-Length: 99999999999999999999999999999999\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: Transfer-Encoding gzip, chunked is 501") {
  expectParseError(t, get(kHost + "Transfer-Encoding: gzip, chunked\r\n"), HttpError::NotImplemented);
  expectParseError(t, get(kHost + "Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n"),
                   HttpError::NotImplemented);
  expectParseError(t, get(kHost + "Transfer-Encoding: x-unknown ,chunked\r\n"), HttpError::NotImplemented);
}

TEST_CASE("parser: Transfer-Encoding whose final coding is not chunked is 400") {
  expectParseError(t, get(kHost + "Transfer-Encoding: chunked, gzip\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Transfer-Encoding: gzip\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Transfer-Encoding: chunkedx\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: chunked twice is 400") {
  expectParseError(t, get(kHost + "Transfer-Encoding: chunked, chunked\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
                   HttpError::BadRequest);
}

TEST_CASE("parser: Transfer-Encoding on HTTP/1.0 is 400") {
  expectParseError(t, get("Transfer-Encoding: chunked\r\n", "HTTP/1.0"), HttpError::BadRequest);
}

TEST_CASE("parser: transfer-coding parameters and bad lists are 400") {
  for (const char* v : {"chunked;q=1", "chunked ; q=1", "gzip;q=1, chunked", "", ",chunked",
                        "chunked,", "gzip,,chunked", "\"chunked\"", "chun ked"}) {
    expectParseError(t, get(kHost + "Transfer-Encoding: " + v + "\r\n"), HttpError::BadRequest);
  }
}

TEST_CASE("parser: obs-fold is 400") {
  expectParseError(t, get(kHost + "X: a\r\n b\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "X: a\r\n\tb\r\n"), HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1\r\n Host: h\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: bare CR is 400") {
  expectParseError(t, "GET / HTTP/1.1\rHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, get(kHost + "X: a\rb\r\n"), HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", HttpError::BadRequest);
  expectParseError(t, "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: bare LF is 400") {
  expectParseError(t, "GET / HTTP/1.1\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1\r\nHost: h\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1\r\nHost: h\r\n\n", HttpError::BadRequest);
  expectParseError(t, "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, get(kHost + "X: a\nb\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: whitespace before the colon is 400") {
  expectParseError(t, get(kHost + "Foo : bar\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "Foo\t: bar\r\n"), HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1\r\nHost : h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, get(kHost + "Content-Length : 5\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: invalid token characters in a field name are 400") {
  for (const char* name : {"Fo\"o", "Fo(o", "Fo)o", "Fo,o", "Fo/o", "Fo[o", "Fo{o", "Fo@o",
                           "Fo=o", "Fo?o", "Fo\\o", "Fo\x7Fo", "Fo\x80o", "Fo\x01o"}) {
    expectParseError(t, get(kHost + name + ": x\r\n"), HttpError::BadRequest);
  }
}

TEST_CASE("parser: empty field name or missing colon is 400") {
  expectParseError(t, get(kHost + ": x\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "NoColon\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: NUL, DEL and other CTLs in a value are 400") {
  expectParseError(t, get(kHost + bin("X: a\0b\r\n")), HttpError::BadRequest);
  expectParseError(t, get(kHost + "X: a\x7F" "b\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "X: a\x01\r\n"), HttpError::BadRequest);
  expectParseError(t, get(kHost + "X: \x1B[0m\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: missing Host on HTTP/1.1 is 400") {
  expectParseError(t, "GET / HTTP/1.1\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1\r\nX-Host: h\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: two Host fields are 400") {
  expectParseError(t, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: invalid Host characters are 400") {
  for (const char* h : {"a b", "a/b", "a@b", "a\"b", "a<b", "a\\b", "a?b", "a#b", "a\x80"}) {
    expectParseError(t, get(std::string("Host: ") + h + "\r\n"), HttpError::BadRequest);
  }
}

// ---------------------------------------------------------------------------------------
// Invalid: request line

TEST_CASE("parser: a higher HTTP/1 minor version is handled as HTTP/1.1") {
  ParseResult r = expectComplete(t, get(kHost, "HTTP/1.2"));
  CHECK_EQ(static_cast<int>(r.head.versionMinor), 1);
  CHECK(r.head.keepAlive);
  r = expectComplete(t, get(kHost, "HTTP/1.9"));
  CHECK_EQ(static_cast<int>(r.head.versionMinor), 1);
}

TEST_CASE("parser: other HTTP major versions are 505") {
  expectParseError(t, get(kHost, "HTTP/2.0"), HttpError::VersionNotSupported);
  expectParseError(t, get(kHost, "HTTP/0.9"), HttpError::VersionNotSupported);
  expectParseError(t, get(kHost, "HTTP/3.1"), HttpError::VersionNotSupported);
  expectParseError(t, get(kHost, "HTTP/9.9"), HttpError::VersionNotSupported);
}

TEST_CASE("parser: malformed versions are 400") {
  for (const char* v : {"http/1.1", "HTTP/1.1 ", "HTTP/1", "HTTP/1.", "HTTP/11", "HTTP/1.10",
                        "HTTP/10.1", "HTTP 1.1", "HTTP/1,1", "HTTPS/1.1", "HTTP/a.b", "HTTP/1.1\t",
                        "Http/1.1", " HTTP/1.1"}) {
    expectParseError(t, get(kHost, v), HttpError::BadRequest);
  }
}

TEST_CASE("parser: missing version (HTTP/0.9 style) is 400") {
  expectParseError(t, "GET /\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET / \r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: extra or missing spaces in the request line are 400") {
  expectParseError(t, "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, " GET / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET /\tHTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET/ HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: invalid method characters are 400") {
  expectParseError(t, "G(T / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "G\x80T / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, bin("G\0T / HTTP/1.1\r\nHost: h\r\n\r\n"), HttpError::BadRequest);
}

TEST_CASE("parser: non-ASCII in the target is 400") {
  expectParseError(t, "GET /caf\xC3\xA9 HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET /\xFF HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: control characters in the target are 400") {
  expectParseError(t, bin("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"), HttpError::BadRequest);
  expectParseError(t, "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET /a\x7F HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET /a\x1B HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: target forms in the wrong place are 400") {
  expectParseError(t, "GET * HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "options * HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "CONNECT http://h:80/ HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "CONNECT example.com: HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "CONNECT a@b:443 HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "CONNECT [::1:443 HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET http:/x HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET 1http://x HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET ://x HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: whitespace line before the first field is 400") {
  expectParseError(t, "GET / HTTP/1.1\r\n \r\nHost: h\r\n\r\n", HttpError::BadRequest);
}

// ---------------------------------------------------------------------------------------
// Limits

TEST_CASE("parser: request line too long is 414 (complete)") {
  HeadLimits lim;
  lim.maxRequestLine = 64;
  const std::string exact = "GET /" + repeat('a', 64 - 14) + " HTTP/1.1";  // 64 bytes
  CHECK_EQ(exact.size(), size_t{64});
  expectComplete(t, exact + "\r\nHost: h\r\n\r\n", lim);
  const std::string over = "GET /" + repeat('a', 65 - 14) + " HTTP/1.1";
  expectParseError(t, over + "\r\nHost: h\r\n\r\n", HttpError::UriTooLong, lim);
  // Default limit: 8 KiB.
  expectParseError(t, "GET /" + repeat('a', 9000) + " HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::UriTooLong);
}

TEST_CASE("parser: request line too long is 414 before its CRLF arrives") {
  HeadLimits lim;
  lim.maxRequestLine = 64;
  const std::string line = "GET /" + repeat('a', 200);
  CHECK_EQ(parse(line.substr(0, 64), lim).status, ParseStatus::Incomplete);
  ParseResult r = parse(line.substr(0, 65), lim);
  CHECK_EQ(r.status, ParseStatus::Error);
  CHECK_EQ(r.err, HttpError::UriTooLong);
  // Exactly at the limit and waiting for CR: still Incomplete.
  const std::string exact = "GET /" + repeat('a', 64 - 14) + " HTTP/1.1";
  CHECK_EQ(parse(exact, lim).status, ParseStatus::Incomplete);
  CHECK_EQ(parse(exact + "\r", lim).status, ParseStatus::Incomplete);
  r = parse(exact + "x", lim);
  CHECK_EQ(r.err, HttpError::UriTooLong);
  // Default limit, partial.
  r = parse("GET /" + repeat('a', 8200));
  CHECK_EQ(r.status, ParseStatus::Error);
  CHECK_EQ(r.err, HttpError::UriTooLong);
}

TEST_CASE("parser: too many leading empty lines is 400") {
  HeadLimits lim;
  lim.maxRequestLine = 64;
  std::string crlfs;
  for (int i = 0; i < 32; ++i) crlfs += "\r\n";
  expectComplete(t, crlfs + "GET / HTTP/1.1\r\nHost: h\r\n\r\n", lim);
  expectParseError(t, crlfs + "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", HttpError::BadRequest, lim);
  ParseResult r = parse(crlfs + "\r\n\r\n", lim);
  CHECK_EQ(r.err, HttpError::BadRequest);
}

TEST_CASE("parser: headers too large is 431 (complete)") {
  HeadLimits lim;
  lim.maxHeaderBytes = 64;
  const std::string fields = kHost + "X: " + repeat('v', 64 - 19 - 5 - 2) + "\r\n";  // 62 + CRLF
  CHECK_EQ(fields.size() + 2, size_t{64});
  expectComplete(t, get(fields), lim);
  expectParseError(t, get(fields + "Y:\r\n"), HttpError::HeaderFieldsTooLarge, lim);
  expectParseError(t, get(kHost + "X: " + repeat('v', 40000) + "\r\n"), HttpError::HeaderFieldsTooLarge);
}

TEST_CASE("parser: headers too large is 431 on partial input") {
  HeadLimits lim;
  lim.maxHeaderBytes = 64;
  const std::string start = "GET / HTTP/1.1\r\n";
  const std::string section = kHost + "X: " + repeat('v', 200);
  CHECK_EQ(parse(start + section.substr(0, 63), lim).status, ParseStatus::Incomplete);
  ParseResult r = parse(start + section.substr(0, 64), lim);
  CHECK_EQ(r.status, ParseStatus::Error);
  CHECK_EQ(r.err, HttpError::HeaderFieldsTooLarge);
  r = parse(start + "Host: h\r\nX: " + repeat('v', 33000));
  CHECK_EQ(r.err, HttpError::HeaderFieldsTooLarge);
}

TEST_CASE("parser: too many header fields is 431") {
  std::string fields = kHost;
  for (int i = 0; i < 100; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  expectParseError(t, get(fields), HttpError::HeaderFieldsTooLarge);
  HeadLimits lim;
  lim.maxHeaderCount = 3;
  expectComplete(t, get(kHost + "A: 1\r\nB: 2\r\n"), lim);
  expectParseError(t, get(kHost + "A: 1\r\nB: 2\r\nC: 3\r\n"), HttpError::HeaderFieldsTooLarge, lim);
  // Detected as soon as the extra field line starts.
  ParseResult r = parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC", lim);
  CHECK_EQ(r.err, HttpError::HeaderFieldsTooLarge);
}

TEST_CASE("parser: field capacity smaller than needed is 431") {
  HeadLimits lim;
  ParseResult r = parse(get(kHost + "A: 1\r\n"), lim, 1);
  CHECK_EQ(r.status, ParseStatus::Error);
  CHECK_EQ(r.err, HttpError::HeaderFieldsTooLarge);
  r = parse(get(kHost + "A: 1\r\n"), lim, 2);
  CHECK_EQ(r.status, ParseStatus::Complete);
}

TEST_CASE("parser: out is reset when reused") {
  syshttp::http::Field fields[4];
  RequestHead head;
  head.fields = fields;
  head.fieldCapacity = 4;
  HeadLimits lim;
  lim.maxHeaderCount = 4;
  HttpError err = HttpError::BadRequest;
  const std::string a = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n";
  CHECK_EQ(syshttp::http::parseRequestHead(a.data(), a.size(), lim, head, err), ParseStatus::Complete);
  CHECK_EQ(err, HttpError::None);
  CHECK(head.expectContinue);
  const std::string b = "GET / HTTP/1.0\r\n\r\n";
  CHECK_EQ(syshttp::http::parseRequestHead(b.data(), b.size(), lim, head, err), ParseStatus::Complete);
  CHECK_EQ(head.bodyKind, BodyKind::None);
  CHECK_EQ(head.fieldCount, 0u);
  CHECK(!head.expectContinue);
  CHECK(!head.keepAlive);
  CHECK_EQ(head.versionMinor, uint8_t{0});
}

// ---------------------------------------------------------------------------------------
// Host and absolute-form authority grammar (RFC 3986 §3.2, RFC 9112 §3.2)

TEST_CASE("parser: Host must be uri-host [: port]") {
  for (const char* h : {"a:8x", "[::1", "a:80:90", "a]", "[::1]x", "a%zz", "[]", "a:123456"}) {
    expectParseError(t, get(std::string("Host: ") + h + "\r\n"), HttpError::BadRequest);
  }
  for (const char* h : {"a", "a:80", "[::1]", "[::1]:8080", "a%41b", "x.example.com:", "127.0.0.1:1"}) {
    expectComplete(t, get(std::string("Host: ") + h + "\r\n"));
  }
}

TEST_CASE("parser: absolute-form authority is validated and must match Host") {
  expectComplete(t, "GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n");
  expectComplete(t, "GET http://A:80/x HTTP/1.1\r\nHost: a\r\n\r\n");
  expectComplete(t, "GET https://a/x HTTP/1.1\r\nHost: a:443\r\n\r\n");
  expectComplete(t, "GET http://a HTTP/1.1\r\nHost: a\r\n\r\n");
  expectParseError(t, "GET http://b/x HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET http://u:p@a/x HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET http://a:8x/x HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET http://[::1/x HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest);
  expectParseError(t, "GET http://a/x#f HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest);
}

TEST_CASE("parser: with hostMustMatchTarget off, an absolute-form target may name another authority than Host") {
  HeadLimits limits;
  limits.hostMustMatchTarget = false;
  ParseResult r = checkPrefixes(t, "GET http://example.com/foo HTTP/1.1\r\nHost: localhost:1234\r\n\r\n", limits);
  CHECK_EQ(show(r.status), show(ParseStatus::Complete));
  CHECK_EQ(r.target(), std::string("http://example.com/foo"));
  CHECK_EQ(r.header("host"), std::string("localhost:1234"));
  // Both are still held to their grammar, and Host to once.
  r = parse("GET http://b/x HTTP/1.1\r\nHost: a b\r\n\r\n", limits);
  CHECK_EQ(show(r.err), show(HttpError::BadRequest));
  r = parse("GET http://u:p@b/x HTTP/1.1\r\nHost: a\r\n\r\n", limits);
  CHECK_EQ(show(r.err), show(HttpError::BadRequest));
  r = parse("GET http://b/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", limits);
  CHECK_EQ(show(r.err), show(HttpError::BadRequest));
}

TEST_CASE("parser: fragments and always-encoded bytes are refused in the target") {
  for (const char* target : {"/a#frag", "/a\"b", "/a<b", "/a>b", "/a`b", "/a{b", "/a}b", "/?q#f"}) {
    expectParseError(t, std::string("GET ") + target + " HTTP/1.1\r\nHost: a\r\n\r\n", HttpError::BadRequest);
  }
  for (const char* target : {"/a|b", "/a^b", "/?q={\"a\"}", "/?a<b>`"}) {
    expectComplete(t, std::string("GET ") + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
  }
}

TEST_CASE("parser: with llhttpMethods, a head still arriving behind a method llhttp does not know is refused") {
  HeadLimits limits;
  limits.llhttpMethods = true;
  // Incomplete: refused now, at the first byte no llhttp method has (node's bytesParsed).
  ParseResult r = parse("hello world", limits);
  CHECK_EQ(show(r.status), show(ParseStatus::Error));
  CHECK_EQ(r.head.faultOffset, 0u);
  r = parse("GE / HTTP/1.1\r\nHost: a", limits);
  CHECK_EQ(show(r.status), show(ParseStatus::Error));
  CHECK_EQ(r.head.faultOffset, 2u);
  r = parse("\r\nPOSTX / HTTP/1.1\r\n", limits);
  CHECK_EQ(show(r.status), show(ParseStatus::Error));
  CHECK_EQ(r.head.faultOffset, 6u);
  // Known methods wait for the rest; a whole head is the caller's to refuse.
  CHECK_EQ(show(parse("GET / HTTP/1.1\r\nHost: a", limits).status), show(ParseStatus::Incomplete));
  CHECK_EQ(show(parse("M-SEARCH /x HTTP/1.1\r\n", limits).status), show(ParseStatus::Incomplete));
  CHECK_EQ(show(parse("hello / HTTP/1.1\r\nHost: a\r\n\r\n", limits).status), show(ParseStatus::Complete));
  // Without the option nothing changes.
  CHECK_EQ(show(parse("hello world").status), show(ParseStatus::Incomplete));
}
