// Elasticsearch's bulk API and the requests shippers make before it
// (api/ingest_format.h), answered as Elasticsearch 8 answers them, every
// response with X-Elastic-Product: Elasticsearch (the official clients refuse
// a 2xx without it):
//   - POST /_bulk, /{index}/_bulk: 200 with an item per action (per-item
//     errors inside, "errors":true), once every stored entry is durable; 400
//     with an Elasticsearch error body for a request refused as a whole
//     (nothing stored); 503 with Retry-After when the store cannot take the
//     write (Filebeat, Logstash, Vector and the clients retry it).
//     Parsing: src/formats/es_bulk.h.
//   - GET (and HEAD) /, /_license, /_xpack, /_cluster/health, /_ilm/policy/*,
//     /_index_template/*, /_template/*, /_ingest/pipeline/*: small 200
//     bodies that let a shipper go on to send bulks (the root names version
//     8.19.0). Installing templates or policies (PUT) is not served: turn
//     it off in the shipper (docs/ingest.md).
#include "api/ingest_format.h"
#include "core/datetime.h"
#include "formats/es_bulk.h"

namespace logsvc::api {
namespace {

Response EsJson(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.reserve(5);
  r.headers.push_back({"Content-Type", "application/json"});
  r.headers.push_back({"X-Elastic-Product", "Elasticsearch"});
  r.body = std::move(body);
  return r;
}

Response EsError(int status, std::string_view type, std::string_view reason) {
  return EsJson(status, formats::EsErrorBody(status, type, reason));
}

constexpr std::string_view kRootBody =
    R"({"name":"logsvc","cluster_name":"logsvc","cluster_uuid":"bG9nc3ZjLWxvZ3N2Yy1sb2dz",)"
    R"("version":{"number":"8.19.0","build_flavor":"default","build_type":"tar",)"
    R"("build_hash":"0000000000000000000000000000000000000000",)"
    R"("build_date":"2025-07-01T00:00:00.000Z","build_snapshot":false,)"
    R"("lucene_version":"9.12.2","minimum_wire_compatibility_version":"7.17.0",)"
    R"("minimum_index_compatibility_version":"7.0.0"},"tagline":"You Know, for Search"})";

constexpr std::string_view kLicenseBody =
    R"({"license":{"status":"active","uid":"00000000-0000-4000-8000-000000000000",)"
    R"("type":"basic","issue_date":"2025-01-01T00:00:00.000Z","issue_date_in_millis":1735689600000,)"
    R"("max_nodes":1000,"max_resource_units":null,"issued_to":"logsvc","issuer":"elasticsearch",)"
    R"("start_date_in_millis":-1}})";

// ILM is reported unavailable, so that Logstash does not set up rollover aliases.
constexpr std::string_view kXpackBody =
    R"({"build":{"hash":"0000000000000000000000000000000000000000","date":"2025-07-01T00:00:00.000Z"},)"
    R"("license":{"uid":"00000000-0000-4000-8000-000000000000","type":"basic","mode":"basic",)"
    R"("status":"active"},"features":{"ilm":{"available":false,"enabled":false},)"
    R"("security":{"available":false,"enabled":false}},"tagline":"You know, for X"})";

constexpr std::string_view kHealthBody =
    R"({"cluster_name":"logsvc","status":"green","timed_out":false,"number_of_nodes":1,)"
    R"("number_of_data_nodes":1,"active_primary_shards":0,"active_shards":0,)"
    R"("relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,)"
    R"("delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,)"
    R"("task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0})";

// `path` is `prefix` or `prefix/...`.
bool Under(std::string_view path, std::string_view prefix) {
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

}  // namespace

ParsedIngest ParseEsBulkRequest(const Request& req, std::string_view index, std::string_view body,
                                const FormatLimits&, int64_t now_ms) {
  ParsedIngest p;
  Result<formats::EsFieldNames> fields = formats::ParseEsFieldParams(req.query());
  if (!fields.ok()) {
    p.refused = EsError(400, "illegal_argument_exception", fields.status().message());
    return p;
  }
  Result<formats::EsBulk> bulk = formats::ParseEsBulk(body, index, fields.value(), now_ms);
  if (!bulk.ok()) {
    p.refused = EsError(400, "illegal_argument_exception", bulk.status().message());
    return p;
  }
  p.entries = std::move(bulk.value().entries);
  bulk.value().entries.clear();
  // std::function is copyable: the items are shared, not copied.
  auto items = std::make_shared<const formats::EsBulk>(std::move(bulk).value());
  p.created = [items, now_ms](const std::vector<std::string>& ids) {
    const int64_t took = std::max<int64_t>(0, NowUnixMillis() - now_ms);
    return EsJson(200, formats::EsBulkReply(*items, ids, took));
  };
  p.failed = [](const Status& s) {
    if (s.code() == Status::Code::kUnavailable) {
      Response r = EsError(503, "unavailable_shards_exception",
                           "The log store cannot take requests right now; try again later.");
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    if (s.code() == Status::Code::kInvalidArgument) {
      return EsError(400, "illegal_argument_exception", s.message());
    }
    return EsError(500, "exception", "Internal error.");
  };
  return p;
}

std::optional<Response> EsProbe(std::string_view method, std::string_view path) {
  if (method != "GET" && method != "HEAD") return std::nullopt;
  if (path == "/") return EsJson(200, std::string(kRootBody));
  if (path == "/_license") return EsJson(200, std::string(kLicenseBody));
  if (path == "/_xpack") return EsJson(200, std::string(kXpackBody));
  if (Under(path, "/_cluster/health")) return EsJson(200, std::string(kHealthBody));
  // Exists (200), so that a shipper does not try to install its own.
  if (Under(path, "/_ilm/policy") || Under(path, "/_index_template") || Under(path, "/_template") ||
      Under(path, "/_ingest/pipeline")) {
    return EsJson(200, "{}");
  }
  return std::nullopt;
}

}  // namespace logsvc::api
