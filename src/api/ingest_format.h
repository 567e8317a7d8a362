// The ingest formats besides POST /logs: OpenTelemetry's OTLP/HTTP, Loki's
// push API and Elasticsearch's bulk API. Each turns its request into entries
// and says how to answer in its own protocol; the Api does the rest the same
// way for all (the access policy, Content-Encoding, the Idempotency-Key, the
// store), so every format is as durable and as bounded as POST /logs.
//
//   request ──> Api::Route ──> DecodeContent (gzip, zstd) ──> ParseXxx (below)
//           ──> Api::Store: LogStore::AppendOnce (with an Idempotency-Key), else
//               Append (one entry) or AppendBatch ──> ParsedIngest::created / failed
//           ──> response
//
// The parse functions are pure (no I/O; "now" is passed in) and thread-safe.
#ifndef LOGSVC_API_INGEST_FORMAT_H_
#define LOGSVC_API_INGEST_FORMAT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::api {

// What a format made of a request.
struct ParsedIngest {
  // Set when the request is refused as a whole (malformed, too large, a
  // media type the route does not take): answered as it is, nothing stored.
  std::optional<Response> refused;
  // The entries to store, in request order (log_id empty). May be empty when
  // every record was rejected one by one: then the store is not called and
  // `created` gets no ids.
  std::vector<LogEntry> entries;
  // The reply once every entry is durable; `ids` are the entries' log ids in
  // order. Called at most once, on any thread.
  std::function<Response(const std::vector<std::string>& ids)> created;
  // The reply when the store failed (nothing was acknowledged): kUnavailable
  // is the protocol's "try again later" (503 or 429 with Retry-After).
  std::function<Response(const Status& store_error)> failed;
};

// The limits a format applies besides its own: the largest body once decoded
// (for what it decompresses itself, Loki's snappy).
struct FormatLimits {
  size_t max_body_bytes;
};

// POST /v1/logs: an OTLP ExportLogsServiceRequest, application/x-protobuf or
// application/json (src/formats/otlp_logs.h).
ParsedIngest ParseOtlpRequest(const Request& req, std::string_view body, const FormatLimits& limits,
                              int64_t now_ms);

// POST /loki/api/v1/push: a Loki PushRequest, application/json or snappy
// compressed application/x-protobuf (src/formats/loki_push.h).
ParsedIngest ParseLokiRequest(const Request& req, std::string_view body, const FormatLimits& limits,
                              int64_t now_ms);

// POST /_bulk and POST /{index}/_bulk: Elasticsearch bulk NDJSON
// (src/formats/es_bulk.h). `index`: the path's index, "" for /_bulk.
ParsedIngest ParseEsBulkRequest(const Request& req, std::string_view index, std::string_view body,
                                const FormatLimits& limits, int64_t now_ms);

// GET / (and the other requests Elasticsearch shippers make before sending:
// license, templates, ILM): what an Elasticsearch 8 server answers, so that
// Filebeat, Vector, Logstash and the official clients go on to send bulks.
// nullopt for a path that is not such a probe.
std::optional<Response> EsProbe(std::string_view method, std::string_view path);

}  // namespace logsvc::api

#endif  // LOGSVC_API_INGEST_FORMAT_H_
