// Byte classes of the HTTP grammar (RFC 9110 §5.6, RFC 3986), one bit each, in one
// table built at compile time. The parser and the chunked decoder both read it.
#pragma once
#include <cstdint>

namespace syshttp::http::chars {

constexpr uint16_t kTchar = 1u << 0;           // token character (RFC 9110 §5.6.2)
constexpr uint16_t kValue = 1u << 1;           // field-value byte: VCHAR / SP / HTAB / obs-text
constexpr uint16_t kTarget = 1u << 2;          // request-target byte: visible ASCII 0x21–0x7E
constexpr uint16_t kHost = 1u << 3;            // Host byte (reg-name, IP-literal, port)
constexpr uint16_t kDigit = 1u << 4;
constexpr uint16_t kSchemeTail = 1u << 5;      // ALPHA / DIGIT / "+" / "-" / "."
constexpr uint16_t kAlpha = 1u << 6;
constexpr uint16_t kHex = 1u << 7;
constexpr uint16_t kQdtext = 1u << 8;          // HTAB / SP / 0x21 / 0x23–0x5B / 0x5D–0x7E / obs-text
constexpr uint16_t kQuotedPairChar = 1u << 9;  // HTAB / SP / VCHAR / obs-text

constexpr bool isAlphaAscii(unsigned c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool isDigitAscii(unsigned c) { return c >= '0' && c <= '9'; }

constexpr bool inSet(unsigned c, const char* set) {
  for (; *set != '\0'; ++set) {
    if (static_cast<unsigned char>(*set) == c) return true;
  }
  return false;
}

struct Table {
  uint16_t bits[256];
};

constexpr Table makeTable() {
  Table t{};
  for (unsigned c = 0; c < 256; ++c) {
    uint16_t b = 0;
    const bool alnum = isAlphaAscii(c) || isDigitAscii(c);
    const bool visibleOrWs = c == '\t' || (c >= 0x20 && c != 0x7F);
    if (alnum || inSet(c, "!#$%&'*+-.^_`|~")) b |= kTchar;
    if (visibleOrWs) b |= kValue | kQuotedPairChar;
    if (visibleOrWs && c != '"' && c != '\\') b |= kQdtext;
    if (c >= 0x21 && c <= 0x7E) b |= kTarget;
    if (alnum || inSet(c, "-._~!$&'()*+,;=:[]%")) b |= kHost;
    if (isDigitAscii(c)) b |= kDigit;
    if (alnum || inSet(c, "+-.")) b |= kSchemeTail;
    if (isAlphaAscii(c)) b |= kAlpha;
    if (isDigitAscii(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) b |= kHex;
    t.bits[c] = static_cast<uint16_t>(b);
  }
  return t;
}

inline constexpr Table kTable = makeTable();

inline bool has(unsigned char c, uint16_t cls) { return (kTable.bits[c] & cls) != 0; }

}  // namespace syshttp::http::chars
