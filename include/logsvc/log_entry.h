// LogEntry: one stored log record, as every store keeps it and every API
// response shows it. A plain value type; safe to copy between threads.
#ifndef LOGSVC_LOG_ENTRY_H_
#define LOGSVC_LOG_ENTRY_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace logsvc {

enum class Severity : uint8_t { kInfo = 0, kWarning = 1, kError = 2 };

// "info", "warning" or "error": the stored, lower-case spelling.
std::string_view SeverityName(Severity s);

struct LogEntry {
  std::string log_id;    // UUID v4, lower-case, 36 characters with dashes
  int64_t timestamp_ms;  // Unix time in milliseconds, assigned by the server at ingest
  Severity severity;
  std::string message;  // valid UTF-8, trimmed, 1 to kMaxMessageCodePoints code points
};

// The message limit of the API, in Unicode code points (not bytes).
inline constexpr size_t kMaxMessageCodePoints = 10000;

// The number of entries GET /logs returns: the original design's "last 100".
inline constexpr size_t kRecentLimit = 100;

}  // namespace logsvc

#endif  // LOGSVC_LOG_ENTRY_H_
