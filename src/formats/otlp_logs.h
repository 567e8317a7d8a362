// OTLP logs: an OpenTelemetry ExportLogsServiceRequest (the body of POST
// /v1/logs, OTLP/HTTP) turned into log entries, and the bodies of the
// protocol's replies. Both encodings OTLP/HTTP defines are read:
//   - binary protobuf (application/x-protobuf), with the classes protoc
//     generates from the vendored .proto files (src/formats/proto);
//   - OTLP/JSON (application/json): protobuf's JSON mapping with OTLP's
//     exceptions. traceId and spanId are hex (not base64); 64-bit integers
//     may be JSON strings or numbers; enums are numbers (names are taken
//     too); field names are lowerCamelCase, or the .proto's snake_case;
//     unknown fields are ignored and null is the field's default.
// Pure functions (no I/O; "now" is passed in), thread-safe. The first call
// to ParseExportLogsRequest silences libprotobuf's own log lines for the whole
// process (google::protobuf::SetLogHandler(nullptr)): a string that is not
// UTF-8 would otherwise print one to stderr, the service log, per request.
//
// What a LogRecord becomes (docs/ingest.md, "OpenTelemetry (OTLP/HTTP)", is
// the user's version of this):
//   - message: the body. A string body as sent, less its trailing CR and LF
//     characters; no body, an empty message; an int, double, bool, array or
//     kvlist body its JSON text ({"k":"v"}, [1,"a"], 2.5, true); a bytes
//     body its base64. At most kMaxShippedMessageBytes bytes.
//   - timestamp: timeUnixNano, else (0) observedTimeUnixNano, else (also 0)
//     now, in Unix milliseconds rounded down.
//   - severity, from severityNumber (OTLP's SeverityNumber):
//         1-4 trace, 5-8 debug, 9-12 info, 13-16 warning, 17-20 error,
//         21-24 fatal;
//     0 (unspecified) or any other number: from severityText read as a level
//     name (ParseLevelName: "WARN", "Error", "INFO2", ...), else info.
//   - attributes (core/attributes.h), later ones replacing earlier ones of
//     the same key: the resource's, then the scope's, then otel.scope.name
//     and otel.scope.version (when not empty), then the record's, then
//     event.name (eventName, when not empty), trace_id and span_id (lower-case
//     hex, when given and not all zero), and severity_text (severityText, when
//     not empty and not a name of the severity the entry got). Values: a
//     string as it is; an int, double or bool its JSON text; an array its
//     JSON text; bytes their base64; a kvlist flattened to dotted keys
//     (k.sub=...); an empty value is left out.
// A record is rejected on its own (the others are stored; the reply's
// partialSuccess counts it and gives the first reason) when its time is more
// than kMaxTimestampAheadMs ahead of now, its message is too long, its
// attributes break core/attributes.h's rules, or its traceId/spanId is not
// 16/8 bytes. The request as a whole is refused (nothing stored) when it does
// not parse, has a JSON value of the wrong type, or has more than
// kMaxBatchEntries records.
#ifndef LOGSVC_FORMATS_OTLP_LOGS_H_
#define LOGSVC_FORMATS_OTLP_LOGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::otlp {

enum class Encoding { kProtobuf, kJson };

// The encoding a Content-Type names: application/x-protobuf or
// application/json, in any letter case, parameters (";charset=utf-8") and
// surrounding white space ignored. nullopt for anything else (a 415).
std::optional<Encoding> EncodingOf(std::string_view content_type);

// The Content-Type of the replies in `encoding`.
std::string_view ContentTypeOf(Encoding encoding);

// The severity of a SeverityNumber (the mapping above); nullopt for 0 and for
// a number outside 1..24 (the caller then reads severityText).
std::optional<Severity> SeverityOfNumber(int64_t severity_number);

struct ExportedLogs {
  std::vector<LogEntry> entries;  // the accepted records, in request order (log_id empty)
  int64_t rejected = 0;           // records rejected one by one
  std::string first_rejection;    // the first one's reason ("" if none)
};

// Parses an ExportLogsServiceRequest body. kInvalidArgument, with a sentence
// for the client, when the request is refused as a whole (see above).
// now_ms: the server's clock, Unix milliseconds.
Result<ExportedLogs> ParseExportLogsRequest(std::string_view body, Encoding encoding,
                                            int64_t now_ms);

// An ExportLogsServiceResponse: empty when rejected is 0 (protobuf: no bytes;
// JSON: {}), else with partialSuccess {rejectedLogRecords, errorMessage}.
std::string ExportResponseBody(Encoding encoding, int64_t rejected, std::string_view error_message);

// gRPC status codes the replies use (google.rpc.Code).
inline constexpr int kGrpcInvalidArgument = 3;
inline constexpr int kGrpcInternal = 13;
inline constexpr int kGrpcUnavailable = 14;

// A google.rpc.Status {code, message}, the body of OTLP's 4xx and 5xx replies.
std::string StatusBody(Encoding encoding, int code, std::string_view message);

}  // namespace logsvc::otlp

#endif  // LOGSVC_FORMATS_OTLP_LOGS_H_
