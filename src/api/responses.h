// The JSON bodies of the API, byte for byte the same from the standalone
// server and the Lambda functions. Field order follows the original design:
// logId, timestamp, datetime, severity, message.
#ifndef LOGSVC_API_RESPONSES_H_
#define LOGSVC_API_RESPONSES_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_entry.h"

namespace logsvc::api {

// {"statusCode":201,"message":"Log entry created successfully","logId":...,"timestamp":...}
std::string CreatedBody(std::string_view log_id, int64_t timestamp_ms);

// {"statusCode":200,"count":N,"logs":[{entry},...]}: GET /logs, the five
// fields of each entry only (the original design's reply).
std::string EntryListBody(const std::vector<LogEntry>& entries);

// {"statusCode":200,"count":N,"logs":[...],"next":"<cursor>"|null}: a search;
// entries with attributes have a sixth field, "attributes":{"key":"value",...}.
std::string SearchBody(const std::vector<LogEntry>& entries, std::string_view next_cursor);

// {"statusCode":200,"total":N,"step":ms,"buckets":[{"start":ms,"count":N,
//  "severity":{"trace":N,"debug":N,"info":N,"warning":N,"error":N,"fatal":N}},
//  ...],"next":"<cursor>"|null}
// `counts` by bucket then Severity value; bucket i starts at first_start + i * step.
std::string StatsBody(const std::vector<std::array<int64_t, kSeverityCount>>& counts,
                      int64_t first_start, int64_t step_ms, std::string_view next_cursor);

// {"statusCode":201,"count":N,"logIds":[...]}: a batch stored.
std::string BatchCreatedBody(const std::vector<std::string>& ids);

// {"statusCode":200,"logId":...,...}: one entry, with "attributes" if it has any.
std::string EntryBody(const LogEntry& e);

// One Server-Sent Event of a live tail, appended: "id: <id>", then "data: "
// and the entry as in a search ({"logId":...}, one line: JSON escapes line
// breaks), then a blank line.
void AppendTailEvent(std::string* out, const LogEntry& e, std::string_view id);

// {"statusCode":<status>,"error":"<sentence>"}
std::string ErrorBody(int status, std::string_view error);

// A value a client sent, for an error sentence: in single quotes, cut to its
// first 100 bytes (then "...") so a reply stays small whatever was sent.
std::string QuotedExcerpt(std::string_view value);

}  // namespace logsvc::api

#endif  // LOGSVC_API_RESPONSES_H_
