// POST /logs batch bodies: many entries in one request, as a JSON array or
// as NDJSON. Decides which form a body is, and parses and validates a batch
// all or nothing. Pure functions (no I/O; "now" is passed in), thread-safe.
#ifndef LOGSVC_CORE_INGEST_BATCH_H_
#define LOGSVC_CORE_INGEST_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc {

// How far ahead of the server's clock an entry's timestamp may be: clients'
// clocks drift, but an entry from the future would sort above everything
// logged until then.
inline constexpr int64_t kMaxTimestampAheadMs = 10 * 60 * 1000;

enum class BodyForm {
  kSingle,  // one JSON object: ParseIngestRequest
  kArray,   // a JSON array of entry objects
  kNdjson,  // one entry object per line
};

// Which form a POST /logs body is:
//   - kNdjson when the Content-Type's media type is application/x-ndjson or
//     application/jsonl (JSON Lines: the same format under its own name), in
//     any letter case, parameters (";charset=utf-8") and white space around
//     it ignored;
//   - else kArray when the body's first byte that is not JSON white space
//     (space, tab, CR, LF) is '[';
//   - else kSingle (also for an empty body: ParseIngestRequest names it).
// Reads at most the body's leading white space and one byte.
BodyForm BatchFormOf(std::string_view content_type, std::string_view body);

struct BatchEntry {
  Severity severity;
  std::string message;    // trimmed; 1..kMaxMessageCodePoints code points
  int64_t timestamp_ms;   // Unix ms, 0..now_ms + kMaxTimestampAheadMs
  Attributes attributes;  // sorted by key (core/attributes.h)
};

// Parses a batch body of `form` kArray or kNdjson (kSingle is kInternal: it
// is ParseIngestRequest's), all or nothing: the entries in body order, or
// kInvalidArgument with one sentence for the first thing wrong. Rules:
//   - kArray: the body is valid UTF-8 and JSON, and a JSON array;
//   - kNdjson: lines end in LF or CRLF (the last line may lack it); a line of
//     JSON white space only is skipped; every other line is one JSON value,
//     valid UTF-8;
//   - 1..kMaxBatchEntries entries (include/logsvc/log_store.h), checked before
//     any entry is;
//   - each entry is a JSON object that ParseIngestRequest would take, with the
//     same sentence when it would not, except that its severity may be any of
//     the six (trace, debug, info, warning, error, fatal), plus an optional
//     "timestamp" (given at most once): Unix milliseconds as a JSON integer (no fraction, no
//     exponent) or an RFC 3339 string as ParseTimeBound reads one
//     (core/time_bound.h; not "now" or a duration), from 1970-01-01T00:00:00Z
//     to kMaxTimestampAheadMs after now_ms inclusive. Without one the entry's
//     time is now_ms.
// An entry's error starts "Entry <i>: " (i counts entries from 0); in NDJSON
// "Line <n> (entry <i>): " (n counts lines from 1, blank ones too).
// now_ms is the server's clock, 0..kTimeMaxMs.
Result<std::vector<BatchEntry>> ParseIngestBatch(std::string_view body, BodyForm form,
                                                 int64_t now_ms);

}  // namespace logsvc

#endif  // LOGSVC_CORE_INGEST_BATCH_H_
