// JSON output. logsvc builds its few response shapes by appending to a
// std::string; the one rule that must never be written twice, how a string is
// escaped, lives here.
#ifndef LOGSVC_CORE_JSON_WRITER_H_
#define LOGSVC_CORE_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace logsvc::json {

// Appends `s` as a quoted JSON string. The output is pure ASCII, as Python's
// json.dumps writes it (the original design's encoder): '"' and '\' escaped,
// control characters as \n, \t, ... or \u00XX, every non-ASCII code point as
// \uXXXX (a surrogate pair above U+FFFF). '<', '>' and '&' are escaped as well,
// so a body can be embedded in an HTML page safely. Bytes that are not valid
// UTF-8 become U+FFFD (callers validate first; this is a last line of defence).
void AppendString(std::string* out, std::string_view s);

// Appends `s` (valid UTF-8) as a quoted JSON string as simdjson::minify
// writes one: only '"', '\' and control characters (below U+0020) escaped,
// everything else as it is. For JSON text that is stored rather than sent
// (an OTLP body or attribute that is a map or an array, kept as the JSON of
// it, reads as POST /logs' arrays do).
void AppendStringAsIs(std::string* out, std::string_view s);

// Appends a decimal integer.
void AppendInt(std::string* out, int64_t v);

}  // namespace logsvc::json

#endif  // LOGSVC_CORE_JSON_WRITER_H_
