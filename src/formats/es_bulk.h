// Elasticsearch's bulk API (POST /_bulk, POST /{index}/_bulk) as log
// shippers send it (Filebeat, Logstash, Vector, Fluent Bit, Fluentd, the
// official clients' bulk helpers): NDJSON, an action line then, for most
// actions, a document line.
//
//   {"create":{"_index":"app-logs"}}
//   {"@timestamp":"2026-12-01T10:00:00.123Z","message":"user 42 logged
//   in","log":{"level":"warn"},"user":{"id":42}}
//
// Each `create` or `index` action with its document is one entry:
//   - message: the first present of the message fields (default `message`).
//     A string is the message as sent (not trimmed); a number or boolean its
//     JSON text; an array or object its minified JSON. A document with none
//     of them (or only an empty string or null) is still stored, as
//     VictoriaLogs stores it, its message being the whole document as minified
//     JSON, so that no shipped field is lost and its words can be searched;
//     at most kMaxShippedMessageBytes bytes either way;
//   - time: the first present of the time fields (default `@timestamp`): an
//     RFC 3339 string (core/time_bound.h's ParseRfc3339), a date
//     "YYYY-MM-DD", or Unix milliseconds as a JSON number or a string of
//     digits (Elasticsearch's default date format, strict_date_optional_time
//     || epoch_millis; a fraction of a millisecond is dropped). None, or
//     null: now. From 1970 to kMaxTimestampAheadMs after now;
//   - severity: the first present of the level fields (default `log.level`,
//     ECS), read by ParseLevelName; none, or a value it does not know: info;
//   - attributes: every other field, flattened by AttributeBuilder's rules
//     (nested objects are dotted keys; kRefuse: a key given twice, e.g.
//     `{"a.b":1,"a":{"b":2}}`, is an error). The fields that became the
//     message and the time are not repeated as attributes; the level field
//     is kept (its spelling may say more than the severity: `notice`).
// Field names are compared after flattening, so `log.level` finds both
// `{"log":{"level":"warn"}}` and `{"log.level":"warn"}`.
//
// Errors, as Elasticsearch reports them:
//   - per item (status 400; that item is not stored, the others are): a
//     `delete` or `update` action (logsvc only appends), a document that is
//     not a JSON object, a bad or future time, a message too long,
//     attributes past a limit;
//   - the whole request (kInvalidArgument: a 400, nothing stored): an empty
//     body, an action line that is not a JSON object of one action with an
//     object of metadata, an action other than create, index, delete or
//     update, no index (neither in the action nor the path), an action
//     without its document line, more than kMaxBatchEntries actions.
// Blank lines between items are skipped; lines end in LF or CRLF. A
// client's `_id` is ignored: every entry gets its log id.
//
// Pure functions (now is passed in), thread-safe.
#ifndef LOGSVC_FORMATS_ES_BULK_H_
#define LOGSVC_FORMATS_ES_BULK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::formats {

// Which document fields are the message, the time and the level: each a list
// of candidates, the first present wins.
struct EsFieldNames {
  std::vector<std::string> message = {"message"};
  std::vector<std::string> time = {"@timestamp"};
  std::vector<std::string> level = {"log.level"};
};

inline constexpr size_t kMaxEsFieldCandidates = 16;

// The field names from a bulk request's query string: `_msg_field`,
// `_time_field` and `_level_field` (as VictoriaLogs names the first two),
// each a comma-separated list of 1..kMaxEsFieldCandidates names that replaces
// the default. Every other parameter is ignored (shippers send `refresh`,
// `pipeline`, `timeout`, `filter_path`...). kInvalidArgument for a malformed
// query string, an empty list, a name longer than kMaxAttributeKeyBytes, or
// too many names.
Result<EsFieldNames> ParseEsFieldParams(std::string_view raw_query);

// One item of the reply, in request order.
struct EsBulkItem {
  std::string action;  // "create", "index", "delete" or "update"
  std::string index;   // its _index
  // The entry stored for it (an index into EsBulk::entries), or nullopt
  // when the item was refused: then status and the error's type and reason.
  std::optional<size_t> entry;
  int status = 201;
  std::string error_type;
  std::string error_reason;
};

struct EsBulk {
  std::vector<LogEntry> entries;  // log_id empty, in request order
  std::vector<EsBulkItem> items;
};

// Parses a bulk body. `path_index`: the index the path names, "" for /_bulk.
Result<EsBulk> ParseEsBulk(std::string_view body, std::string_view path_index,
                           const EsFieldNames& fields, int64_t now_ms);

// The reply body: {"took":N,"errors":bool,"items":[...]} with each item as
// Elasticsearch writes it ({"create":{"_index":...,"_id":"<log id>",
// "_version":1,"result":"created","_shards":{...},"_seq_no":i,
// "_primary_term":1,"status":201}} or {"index":{...,"status":400,
// "error":{"type":...,"reason":...}}}). `ids`: the stored entries' log ids,
// one per entry.
std::string EsBulkReply(const EsBulk& bulk, const std::vector<std::string>& ids, int64_t took_ms);

// An Elasticsearch error body: {"error":{"root_cause":[{"type":..,
// "reason":..}],"type":..,"reason":..},"status":N}.
std::string EsErrorBody(int status, std::string_view type, std::string_view reason);

}  // namespace logsvc::formats

#endif  // LOGSVC_FORMATS_ES_BULK_H_
