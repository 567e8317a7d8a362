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

// {"statusCode":200,"count":N,"logs":[{entry},...]}
std::string EntryListBody(const std::vector<LogEntry>& entries);

// {"statusCode":200,"count":N,"logs":[...],"next":"<cursor>"|null}: a search.
std::string SearchBody(const std::vector<LogEntry>& entries, std::string_view next_cursor);

// {"statusCode":200,"total":N,"step":ms,"buckets":[{"start":ms,"count":N,
//  "severity":{"info":N,"warning":N,"error":N}},...],"next":"<cursor>"|null}
// `counts` by bucket then Severity; bucket i starts at first_start + i * step.
std::string StatsBody(const std::vector<std::array<int64_t, 3>>& counts, int64_t first_start,
                      int64_t step_ms, std::string_view next_cursor);

// {"statusCode":201,"count":N,"logIds":[...]}: a batch stored.
std::string BatchCreatedBody(const std::vector<std::string>& ids);

// {"statusCode":200,"logId":...,...}: one entry.
std::string EntryBody(const LogEntry& e);

// {"statusCode":<status>,"error":"<sentence>"}
std::string ErrorBody(int status, std::string_view error);

// A value a client sent, for an error sentence: in single quotes, cut to its
// first 100 bytes (then "...") so a reply stays small whatever was sent.
std::string QuotedExcerpt(std::string_view value);

}  // namespace logsvc::api

#endif  // LOGSVC_API_RESPONSES_H_
