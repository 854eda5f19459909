// The "Date: …\r\n" line, formatted once per second by the server's timer instead of
// once per response (RFC 9110 §6.6.1 allows the clock's one-second granularity).
#pragma once
#include <ctime>

namespace syshttp::http {

class DateCache {
 public:
  DateCache() { update(std::time(nullptr)); }
  void update(std::time_t now);
  const char* line() const { return line_; }  // "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
  static constexpr size_t kLineLength = 37;

 private:
  std::time_t last_ = -1;
  char line_[64] = {};  // room beyond kLineLength keeps snprintf provably in bounds
};

}  // namespace syshttp::http
