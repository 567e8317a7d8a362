// Times and durations as search parameters give them (`from`, `to`, `step`).
// Pure functions, thread-safe; "now" is passed in, never read here.
#ifndef LOGSVC_CORE_TIME_BOUND_H_
#define LOGSVC_CORE_TIME_BOUND_H_

#include <cstdint>
#include <string_view>

#include "logsvc/status.h"

namespace logsvc {

// The instants search can name: 0000-01-01T00:00:00Z (inclusive) to
// 10000-01-01T00:00:00Z, in Unix milliseconds: the years FormatIso8601Millis
// can show.
inline constexpr int64_t kTimeMinMs = -62'167'219'200'000;
inline constexpr int64_t kTimeMaxMs = 253'402'300'800'000;

// The instant `text` names, in Unix milliseconds, within [kTimeMinMs,
// kTimeMaxMs]:
//   1796083200000                 Unix milliseconds (digits, optional '-')
//   2026-12-01T00:00:00Z          RFC 3339: 'T' or 't', 'Z' or 'z' or an offset
//   2026-12-01T01:00:00.5+01:00   ±hh:mm; a fraction of 1 to 9 digits (digits
//                                 past the millisecond are dropped)
//   90s 15m 2h 7d                 that long before now_ms
//   now                           now_ms
// Dates must exist (no Feb 30; Feb 29 in leap years only), hours 00..23,
// minutes and seconds 00..59 (no leap second). Errors are kInvalidArgument,
// one sentence that names `param` and lists what is accepted.
Result<int64_t> ParseTimeBound(std::string_view param, std::string_view text, int64_t now_ms);

// The instant an RFC 3339 time names, as ParseTimeBound reads one (the same
// forms and rules), within [kTimeMinMs, kTimeMaxMs); no other form is taken.
// Errors are kInvalidArgument, one sentence that starts with `subject`
// ("Parameter 'from'", "Field 'timestamp'"). `in_url`: the text came from a
// URL, where a '+' decodes to a space, so an offset whose sign is a space
// gets a sentence saying so (elsewhere it is just not an offset).
Result<int64_t> ParseRfc3339(std::string_view subject, std::string_view text, bool in_url);

// A bucket width for GET /logs/stats, in milliseconds: a whole number of
// seconds, minutes, hours or days (30s, 1m, 5m, 1h, 1d; up to 9 digits), at
// least one second. Errors name 'step'.
Result<int64_t> ParseStep(std::string_view text);

}  // namespace logsvc

#endif  // LOGSVC_CORE_TIME_BOUND_H_
