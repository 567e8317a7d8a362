// UTF-8 helpers for text that is already known to be valid UTF-8 (simdjson
// validates every body before we look at it). Pure functions, thread-safe.
#ifndef LOGSVC_CORE_UTF8_H_
#define LOGSVC_CORE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace logsvc::utf8 {

// Number of Unicode code points in valid UTF-8 `s`.
size_t CountCodePoints(std::string_view s);

// `s` without leading and trailing white space. White space is what Python's
// str.strip() removes (the original design is Python): Unicode White_Space plus
// U+001C..U+001F. `s` must be valid UTF-8.
std::string_view TrimWhitespace(std::string_view s);

}  // namespace logsvc::utf8

#endif  // LOGSVC_CORE_UTF8_H_
