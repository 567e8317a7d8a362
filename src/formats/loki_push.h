// Loki's push API (POST /loki/api/v1/push) as Grafana Loki's clients send it
// (Promtail, Grafana Alloy, Fluent Bit's loki output, winston-loki, ...): a
// PushRequest in JSON, or in protobuf (the body once its snappy block is
// undone: api/content_coding.h). Both become the same entries:
//
//   - each line of each stream is one entry; its message is the line as
//     sent (not trimmed; empty allowed), at most kMaxShippedMessageBytes
//     bytes of UTF-8;
//   - its attributes are the stream's labels plus the line's structured
//     metadata (a metadata key that is also a label wins over the label),
//     by AttributeBuilder's rules (core/attributes.h);
//   - its severity comes from the first of the keys `level`, `severity`,
//     `detected_level` found in the line's metadata, else in the stream's
//     labels, read by ParseLevelName (warn, err, critical, ...); none, or a
//     value ParseLevelName does not know: info. The key stays an attribute;
//   - its time is the line's nanosecond timestamp cut to the millisecond
//     (rounded down), from 1970 to kMaxTimestampAheadMs after now.
//
// All or nothing: at most kMaxBatchEntries lines in all, and one line that
// breaks a rule refuses the request, with one sentence naming the stream and
// line ("Stream 1 {app=\"api\"}, line 3: ..."; both count from 0).
//
// JSON (Loki's own, application/json):
//   {"streams":[{"stream":{"label":"value",...},
//                "values":[["<unix ns as a decimal string>","<line>"],
//                          ["<ns>","<line>",{"<metadata key>":"<value>",...}], ...]}]}
// Label and metadata values are strings. Other members are ignored.
//
// Protobuf (logproto.PushRequest; field numbers as Loki's push.proto):
//   PushRequest  { repeated Stream streams = 1; }
//   Stream       { string labels = 1;          // Prometheus form: {a="b", c="d"}
//                  repeated Entry entries = 2; uint64 hash = 3; }
//   Entry        { Timestamp timestamp = 1; string line = 2;
//                  repeated LabelPair structuredMetadata = 3; }
//   Timestamp    { int64 seconds = 1; int32 nanos = 2; }   // google.protobuf
//   LabelPair    { string name = 1; string value = 2; }
// Decoded by hand, bounded by the body; unknown fields are skipped, as
// protobuf readers do; a truncated or malformed message is refused.
//
// Pure functions (now is passed in), thread-safe.
#ifndef LOGSVC_FORMATS_LOKI_PUSH_H_
#define LOGSVC_FORMATS_LOKI_PUSH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::formats {

// The entries of a JSON PushRequest body, in body order, or kInvalidArgument
// with one sentence. now_ms: the server's clock.
Result<std::vector<LogEntry>> ParseLokiJson(std::string_view body, int64_t now_ms);

// The entries of a protobuf PushRequest (already uncompressed), as above.
Result<std::vector<LogEntry>> ParseLokiProtobuf(std::string_view message, int64_t now_ms);

// A Prometheus label set as Loki's protobuf carries a stream's labels:
// `{name="value", ...}` (white space allowed around the tokens, the set
// may be empty: `{}`); a name is [a-zA-Z_][a-zA-Z0-9_]* (a `.` is also taken,
// as OpenTelemetry-style names reach Loki so); a value is a double-quoted
// string where \" \\ and \n are the only escapes. The labels in order, or
// kInvalidArgument with a sentence. At most kMaxAttributes * 4 labels are
// read before the text is refused.
struct Label {
  std::string name;
  std::string value;
};
Result<std::vector<Label>> ParsePrometheusLabels(std::string_view text);

}  // namespace logsvc::formats

#endif  // LOGSVC_FORMATS_LOKI_PUSH_H_
