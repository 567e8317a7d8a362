#include "core/datetime.h"

#include <chrono>

namespace logsvc {
namespace {

void Put(char* p, int64_t v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
}

}  // namespace

int64_t NowUnixMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatIso8601Millis(int64_t unix_ms) {
  int64_t days = FloorDiv(unix_ms, 86'400'000);
  int64_t ms_of_day = unix_ms - days * 86'400'000;
  // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
  int64_t z = days + 719468;
  int64_t era = FloorDiv(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2);

  std::string s = "0000-00-00T00:00:00.000Z";
  Put(&s[0], year, 4);
  Put(&s[5], month, 2);
  Put(&s[8], day, 2);
  Put(&s[11], ms_of_day / 3'600'000, 2);
  Put(&s[14], ms_of_day / 60'000 % 60, 2);
  Put(&s[17], ms_of_day / 1000 % 60, 2);
  Put(&s[20], ms_of_day % 1000, 3);
  return s;
}

}  // namespace logsvc
