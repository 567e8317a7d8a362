// Timestamps as the API shows them.
#ifndef LOGSVC_CORE_DATETIME_H_
#define LOGSVC_CORE_DATETIME_H_

#include <cstdint>
#include <string>

namespace logsvc {

// Milliseconds since the Unix epoch, from the system clock.
int64_t NowUnixMillis();

// ISO 8601 in UTC with milliseconds and 'Z', e.g. "2026-01-27T12:15:00.000Z",
// the same instant as `unix_ms` (proleptic Gregorian; years 0000..9999).
std::string FormatIso8601Millis(int64_t unix_ms);

// a / b rounded towards minus infinity (b != 0): bucket and day arithmetic
// that stays right for instants before 1970.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace logsvc

#endif  // LOGSVC_CORE_DATETIME_H_
