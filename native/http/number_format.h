// Integer → text for response framing (Content-Length, chunk sizes). On the hot path of
// every response, where snprintf's format parsing and locale work cost more than the rest
// of the head.
#pragma once
#include <cstddef>
#include <cstdint>

namespace syshttp::http {

// Writes `value` in decimal at `out` (room for 20 digits); returns the digit count.
inline size_t formatDecimal(uint64_t value, char* out) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

// Writes `value` in lower-case hexadecimal at `out` (room for 16 digits); returns the count.
inline size_t formatHex(uint64_t value, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char tmp[16];
  size_t n = 0;
  do {
    tmp[n++] = kDigits[value & 0xf];
    value >>= 4;
  } while (value != 0);
  for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
  return n;
}

}  // namespace syshttp::http
