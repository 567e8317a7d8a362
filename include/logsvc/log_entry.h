// LogEntry: one stored log record, as every store keeps it and every API
// response shows it. A plain value type; safe to copy between threads.
#ifndef LOGSVC_LOG_ENTRY_H_
#define LOGSVC_LOG_ENTRY_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace logsvc {

// The enumerators' values are what the stores write (one byte on disk, a bit
// of a SeveritySet), so they never change: the three of the original design
// came first, the others were added after. Their order of gravity is
// kSeveritiesByRank's, compared with SeverityRank.
enum class Severity : uint8_t {
  kInfo = 0,
  kWarning = 1,
  kError = 2,
  kTrace = 3,
  kDebug = 4,
  kFatal = 5,
};

// How many Severity values there are (0..kSeverityCount-1).
inline constexpr size_t kSeverityCount = 6;

// Every severity, least grave first.
inline constexpr std::array<Severity, kSeverityCount> kSeveritiesByRank = {
    Severity::kTrace,   Severity::kDebug, Severity::kInfo,
    Severity::kWarning, Severity::kError, Severity::kFatal};

// 0 (trace) .. 5 (fatal): a grave entry has a higher rank.
int SeverityRank(Severity s);

// "trace", "debug", "info", "warning", "error" or "fatal": the stored,
// lower-case spelling.
std::string_view SeverityName(Severity s);

// One attribute of an entry: a key and its value, both UTF-8 text.
struct Attribute {
  std::string key;    // 1..kMaxAttributeKeyBytes bytes, no control characters
  std::string value;  // 0..kMaxAttributeValueBytes bytes
  bool operator==(const Attribute&) const = default;
};

// An entry's attributes, sorted by key, each key once (core/attributes.h
// builds and checks them). Empty for most entries.
using Attributes = std::vector<Attribute>;

inline constexpr size_t kMaxAttributes = 64;
inline constexpr size_t kMaxAttributeKeyBytes = 128;
inline constexpr size_t kMaxAttributeValueBytes = 8192;
// An entry's attributes, keys and values together: with a shipped message
// (64 KiB) an entry stays well inside a DynamoDB item (400 KB).
inline constexpr size_t kMaxAttributeBytes = 64 * 1024;
// What one ingest request's entries may take once parsed (messages and
// attributes): attributes a resource (OTLP) or a stream (Loki) gives each of
// its records are copied into every one, so a small body could otherwise
// become gigabytes in memory. Past it the request is refused.
inline constexpr size_t kMaxRequestEntryBytes = 64 * 1024 * 1024;

struct LogEntry {
  std::string log_id;    // UUID v4, lower-case, 36 characters with dashes
  int64_t timestamp_ms;  // Unix time in milliseconds
  Severity severity;
  // Valid UTF-8. POST /logs: 1 code point or more, trimmed; the shippers'
  // formats may give an empty one (an OTLP record without a body). Limits below.
  std::string message;
  Attributes attributes = {};
};

// The bytes an entry's message and attributes take, roughly (kMaxRequestEntryBytes).
inline size_t EntryBytes(const LogEntry& e) {
  size_t n = 64 + e.message.size();
  for (const Attribute& a : e.attributes) n += 32 + a.key.size() + a.value.size();
  return n;
}

// The message limit of POST /logs (one entry or a batch), in Unicode code
// points (not bytes).
inline constexpr size_t kMaxMessageCodePoints = 10000;
// The message limit of the shippers' formats (OTLP, Loki push, Elasticsearch
// bulk), in bytes: their lines are often whole stack traces.
inline constexpr size_t kMaxShippedMessageBytes = 64 * 1024;

// The number of entries GET /logs returns: the original design's "last 100".
inline constexpr size_t kRecentLimit = 100;

}  // namespace logsvc

#endif  // LOGSVC_LOG_ENTRY_H_
