#include "rsf/common/clock.h"

#include <ctime>
#include <thread>

#include <fmt/format.h>

namespace rsf {

void SystemClock::SleepFor(std::chrono::nanoseconds duration) const {
  std::this_thread::sleep_for(duration);
}

SystemClock& SystemClock::Default() {
  static SystemClock clock;
  return clock;
}

std::string FormatRfc3339(TimePoint t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int millis = static_cast<int>(ms - secs * 1000);
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

Result<TimePoint> ParseRfc3339(std::string_view s) {
  auto fail = [&](std::string_view why) {
    return InvalidArgumentError("'" + std::string(s) +
                                "' is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fff]Z): " +
                                std::string(why));
  };
  if (s.size() < 20) return fail("too short");
  auto digits = [&](size_t pos, size_t n, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int year, mon, day, hour, min, sec;
  if (!digits(0, 4, year) || s[4] != '-' || !digits(5, 2, mon) || s[7] != '-' ||
      !digits(8, 2, day) || s[10] != 'T' || !digits(11, 2, hour) || s[13] != ':' ||
      !digits(14, 2, min) || s[16] != ':' || !digits(17, 2, sec)) {
    return fail("bad date or time fields");
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    size_t n = pos - start;
    if (n == 0 || n > 9) return fail("fraction must have 1 to 9 digits");
    int64_t frac = 0;
    for (size_t i = start; i < pos; ++i) frac = frac * 10 + (s[i] - '0');
    for (size_t i = n; i < 9; ++i) frac *= 10;
    nanos = frac;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return fail("must end in 'Z' (UTC)");
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mon < 1 || mon > 12 || day < 1 || day > kDays[mon - 1] || hour > 23 || min > 59 ||
      sec > 60) {
    return fail("field out of range");
  }
  if (year < 1900 || year > 2200) return fail("year must be between 1900 and 2200");
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (mon == 2 && day == 29 && !leap) return fail("February 29 in a non-leap year");
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::time_t secs = timegm(&tm);
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(secs) + std::chrono::nanoseconds(nanos)));
}

}  // namespace rsf
