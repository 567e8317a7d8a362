#include "core/time_bound.h"

#include <string>

#include "core/quoted.h"

namespace logsvc {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

// At most this many digits before a duration's unit, so that days in
// milliseconds cannot overflow (999999999 d is about 8.6e16 ms).
constexpr size_t kMaxDurationDigits = 9;

const char kAccepted[] =
    "Unix milliseconds (1796083200000), an RFC 3339 time (2026-12-01T00:00:00Z, "
    "2026-12-01T01:00:00.5+01:00), a duration before now (90s, 15m, 2h, 7d) or now";

// `subject` ("Parameter 'from'", "Field 'timestamp'") followed by what is
// wrong with it.
Status Invalid(std::string_view subject, std::string_view rest) {
  std::string sentence(subject);
  sentence += ' ';
  sentence += rest;
  return Status::InvalidArgument(std::move(sentence));
}

// How ParseTimeBound's errors name the parameter: built only on an error.
std::string ParamSubject(std::string_view param) {
  return "Parameter '" + std::string(param) + "'";
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return !s.empty();
}

// The value of s[pos..pos+width), which the caller checked are digits.
int Digits(std::string_view s, size_t pos, size_t width) {
  int v = 0;
  for (size_t i = pos; i < pos + width; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil; FormatIso8601Millis has its inverse). Years 0..9999.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Status OutOfRange(std::string_view subject) {
  return Invalid(subject,
                 "is out of range: times go from 0000-01-01T00:00:00Z to "
                 "9999-12-31T23:59:59.999Z.");
}

// A positive whole number of s, m, h or d, in milliseconds; false if `text`
// is not one.
bool ParseDuration(std::string_view text, int64_t* ms) {
  if (text.size() < 2 || text.size() > kMaxDurationDigits + 1) return false;
  std::string_view digits = text.substr(0, text.size() - 1);
  if (!AllDigits(digits)) return false;
  int64_t unit;
  switch (text.back()) {
    case 's':
      unit = kSecondMs;
      break;
    case 'm':
      unit = kMinuteMs;
      break;
    case 'h':
      unit = kHourMs;
      break;
    case 'd':
      unit = kDayMs;
      break;
    default:
      return false;
  }
  *ms = Digits(digits, 0, digits.size()) * unit;
  return true;
}

// Whether `text` has the shape of an RFC 3339 time in its first characters
// ("dddd-dd-ddTdd:dd:dd"), so that its errors can be specific.
bool LooksLikeRfc3339(std::string_view t) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (t.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    char want = kShape[i];
    bool ok = want == 'd'   ? IsDigit(t[i])
              : want == 'T' ? (t[i] == 'T' || t[i] == 't')
                            : t[i] == want;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view subject, std::string_view t, bool in_url) {
  if (!LooksLikeRfc3339(t)) {
    return Invalid(subject, "is not an RFC 3339 time: " + Quoted(t) +
                                ". Give one such as 2026-12-01T00:00:00Z or "
                                "2026-12-01T01:00:00.5+01:00.");
  }
  const int64_t year = Digits(t, 0, 4);
  const int month = Digits(t, 5, 2), day = Digits(t, 8, 2);
  const int hour = Digits(t, 11, 2), minute = Digits(t, 14, 2), second = Digits(t, 17, 2);
  size_t i = 19;
  int64_t millis = 0;
  if (i < t.size() && t[i] == '.') {
    size_t begin = ++i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    size_t n = i - begin;
    if (n == 0 || n > 9) {
      return Invalid(subject, "has a fraction of a second of " + std::to_string(n) +
                                  " digits: give 1 to 9 digits after the '.'.");
    }
    // Milliseconds: the first three digits; later ones are dropped.
    for (size_t k = 0; k < 3; ++k) millis = millis * 10 + (k < n ? t[begin + k] - '0' : 0);
  }
  int64_t offset_ms = 0;
  std::string_view zone = t.substr(i);
  if (zone == "Z" || zone == "z") {
    // UTC
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-' || (in_url && zone[0] == ' ')) &&
             IsDigit(zone[1]) && IsDigit(zone[2]) && zone[3] == ':' && IsDigit(zone[4]) &&
             IsDigit(zone[5])) {
    if (zone[0] == ' ') {
      return Invalid(subject,
                     "has a space where the sign of its offset should be: in a URL a '+' "
                     "means a space, write it as %2B.");
    }
    int oh = Digits(zone, 1, 2), om = Digits(zone, 4, 2);
    if (oh > 23 || om > 59) {
      return Invalid(subject, "has the offset " + std::string(zone) +
                                  ", which does not exist: hours go from 00 to 23, minutes "
                                  "from 00 to 59.");
    }
    offset_ms = (zone[0] == '-' ? -1 : 1) * (oh * kHourMs + om * kMinuteMs);
  } else {
    return Invalid(subject,
                   "is not a time: an RFC 3339 time ends in Z or an offset such as "
                   "+01:00 or -05:00, as in 2026-12-01T00:00:00Z.");
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return Invalid(subject,
                   "has the date " + std::string(t.substr(0, 10)) + ", which does not exist.");
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return Invalid(subject, "has the time of day " + std::string(t.substr(11, 8)) +
                                ", which does not exist: hours go from 00 to 23, minutes and "
                                "seconds from 00 to 59.");
  }
  // The local time minus its offset is UTC.
  int64_t ms = DaysFromCivil(year, month, day) * kDayMs + hour * kHourMs + minute * kMinuteMs +
               second * kSecondMs + millis - offset_ms;
  if (ms < kTimeMinMs || ms >= kTimeMaxMs) return OutOfRange(subject);
  return ms;
}

Result<int64_t> ParseTimeBound(std::string_view param, std::string_view text, int64_t now_ms) {
  if (text.empty()) {
    return Invalid(ParamSubject(param), std::string("is empty: give ") + kAccepted + ".");
  }
  if (text == "now") return now_ms;
  int64_t duration = 0;
  if (ParseDuration(text, &duration)) {
    if (now_ms - duration < kTimeMinMs) return OutOfRange(ParamSubject(param));
    return now_ms - duration;
  }
  std::string_view digits = text.front() == '-' ? text.substr(1) : text;
  if (AllDigits(digits)) {
    // kTimeMaxMs has 15 digits; more would overflow before the range check.
    if (digits.size() > 15) return OutOfRange(ParamSubject(param));
    int64_t v = 0;
    for (char c : digits) v = v * 10 + (c - '0');
    if (text.front() == '-') v = -v;
    if (v < kTimeMinMs || v > kTimeMaxMs) return OutOfRange(ParamSubject(param));
    return v;
  }
  if (LooksLikeRfc3339(text)) return ParseRfc3339(ParamSubject(param), text, /*in_url=*/true);
  return Invalid(ParamSubject(param),
                 "is not a time: " + Quoted(text) + ". Give " + kAccepted + ".");
}

Result<int64_t> ParseStep(std::string_view text) {
  int64_t ms = 0;
  if (!ParseDuration(text, &ms)) {
    return Status::InvalidArgument(
        "Parameter 'step' is not a duration: " + Quoted(text) +
        ". Give a whole number of seconds, minutes, hours or days, such as 30s, 1m, 1h or 1d.");
  }
  if (ms < kSecondMs) {
    return Status::InvalidArgument("Parameter 'step' is " + Quoted(text) +
                                   ": a step is at least one second (1s).");
  }
  return ms;
}

}  // namespace logsvc
