#include "date_cache.h"

#include <cstdio>

namespace syshttp::http {

void DateCache::update(std::time_t now) {
  if (now == last_) return;
  last_ = now;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::snprintf(line_, sizeof(line_), "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace syshttp::http
