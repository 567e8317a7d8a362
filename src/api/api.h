// Api: the log service's routes, independent of how requests arrive. The
// standalone HTTP server (src/http) and the Lambda handler both translate
// their requests into api::Request and send back the api::Response they get,
// so statuses, bodies and headers are identical everywhere.
//
//   POST    /logs          ingest one entry, or a batch 201 | 400 | 503
//   GET     /logs          the 100 most recent         200 | 503
//   GET     /logs?q=...    search (core/query.h)       200 | 400 | 503
//   GET     /logs/stats    counts by time and severity 200 | 400 | 503
//   GET     /logs/tail     live tail, Server-Sent Events 200 | 400 | 503
//   GET     /logs/{logId}  one entry                   200 | 404 | 503
//   GET     /healthz       does the store take writes  200 | 503
//   GET     /metrics       Prometheus text (metrics.h) 200
//   POST    /v1/logs       OTLP/HTTP logs               200 | 400 | 415 | 503
//   POST    /loki/api/v1/push  Loki push                204 | 400 | 415 | 503
//   POST    /_bulk, /{index}/_bulk  Elasticsearch bulk  200 | 400 | 503
//   GET     /, /_...       Elasticsearch probes        200 | 404
//   GET     / (Accept: text/html), /ui/*  the web viewer 200 | 404
//   OPTIONS any route      CORS preflight              204
// One route table (api.cc) says which method of which path runs what; both
// transports use it, each serving the groups of routes ApiOptions names. HEAD
// is answered as GET (the transport leaves the body out). Another method on a
// served path is 405 with Allow (the served methods); a path with no served
// method is 404. A 201 carries Location only where GET /logs/{logId} is served.
//
// Before routing, every request passes the AccessPolicy (access_policy.h):
// a Host the server does not answer to is 421, an Origin (or another site's
// Sec-Fetch-Site) it does not allow is 403. The policy also decides the
// Access-Control-Allow-Origin of every response (none by default). A POST
// /logs body may be sent in gzip or zstd (content_coding.h): another coding
// is 415, a body that does not decode 400, one larger than max_body_bytes
// once decoded 413.
//
// With API keys configured (ApiOptions::keys, api_keys.h), a route of the
// table that needs a scope (all but GET /healthz; OPTIONS preflights carry no
// credentials and are answered) is 401 without a valid key and 403 with a key
// that lacks its scope, after the AccessPolicy and before anything is read.
#ifndef LOGSVC_API_API_H_
#define LOGSVC_API_API_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/access_policy.h"
#include "api/api_keys.h"
#include "api/body_stream.h"
#include "api/rate_limiter.h"
#include "api/request_headers.h"
#include "core/ingest_batch.h"
#include "logsvc/log_store.h"
#include "util/metrics.h"
#include "util/mutex.h"

namespace logsvc::api {

// The views need only stay valid until Handle() returns.
struct Request {
  std::string_view method;  // "GET", "POST", ...: case-sensitive, as HTTP says
  std::string_view target;  // path, optionally followed by "?query"
  std::string body;
  RequestHeaders headers;  // every header field as received

  // The client's IP address as the transport knows it ("" if it does not):
  // the rate limits' subject when no API keys are configured.
  std::string_view client = {};

  std::string_view path() const { return target.substr(0, target.find('?')); }
  // What follows '?', still percent-encoded; "" if there is none.
  std::string_view query() const {
    const size_t q = target.find('?');
    return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  }
};

struct Header {
  std::string_view name;  // always a string literal
  std::string value;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;  // Content-Type and CORS included
  std::string body;             // empty for 204, and when shared_body is set
  // A body many responses send unchanged (GET /logs), shared instead of
  // copied into each: set instead of `body`, never modified.
  std::shared_ptr<const std::string> shared_body;
  // A body produced over time (GET /logs/tail), instead of `body`: the
  // transport sends it as it comes (body_stream.h). Only a transport that
  // serves kTailRoutes gets one.
  std::shared_ptr<BodyStream> stream;

  // The bytes to send: the shared body if there is one, else `body`.
  std::string_view Body() const { return shared_body ? *shared_body : body; }
};

// A response with an error body, for failures found before routing (a body
// over the size limit, a malformed request) so that they look like the rest.
Response ErrorResponse(int status, std::string_view error);

// 405 for `method`, naming the methods in `allow` (also sent as Allow).
Response MethodNotAllowed(std::string_view method, std::string allow);

// 204 answer to a CORS preflight of a route that takes the methods in `allow`
// (Access-Control-Allow-Origin is added as the AccessPolicy decides).
Response Preflight(std::string allow);

// The groups of routes an Api serves: `logsvc serve` serves them all; each
// Lambda function serves its own, as the original's two function URLs do.
enum RouteGroup : unsigned {
  kIngestRoutes = 1,   // POST /logs
  kReadRoutes = 2,     // GET /logs, GET /logs/{logId}
  kHealthRoutes = 4,   // GET /healthz
  kMetricsRoutes = 8,  // GET /metrics (with ApiOptions::metrics)
  kTailRoutes = 16,    // GET /logs/tail: needs a transport that streams
  kWebRoutes = 32,     // the web viewer: GET / from a browser, GET /ui/* (web_assets.h)
  kAllRoutes = 63,
};

struct ApiOptions {
  AccessPolicy access;           // default: any Host, same-origin browser requests only
  unsigned routes = kAllRoutes;  // RouteGroup bits
  // The largest POST /logs body, once its Content-Encoding is undone (the
  // transport limits the body as sent): 413 past it.
  size_t max_body_bytes = 1 << 20;
  // The API keys (api_keys.h); null or empty: every route is open, as the
  // original's. Replaced while running by Api::SetKeys.
  std::shared_ptr<const KeyRing> keys = nullptr;
  // The rate limits (rate_limiter.h) of each key without its own, or, with no
  // keys, of each client address (Request::client). 0: none.
  RateLimits rate_limits = {};
  // Where requests, ingests and searches are counted, and what GET /metrics
  // shows (util/metrics.h); null: nothing is counted and /metrics is 404.
  std::shared_ptr<metrics::Metrics> metrics = nullptr;
  // Live-tail streams open at once at most: past it, 503.
  size_t max_tail_clients = 256;
  // A comment is sent on a tail stream that sent nothing for this long.
  std::chrono::milliseconds tail_heartbeat{15000};
};

// Thread-safe: any thread may call Handle at any time.
class Api {
 public:
  using Done = std::function<void(Response)>;

  // `store` must outlive the Api and every request still in progress.
  explicit Api(LogStore& store, ApiOptions options = {})
      : store_(store), options_(std::move(options)), keys_(options_.keys) {}

  // Handles one request. `done` is called exactly once, on any thread
  // (possibly before Handle returns); see LogStore for the callback contract.
  void Handle(const Request& req, Done done);

  // Replaces the keys (null or empty: none) for the requests that begin
  // after it returns; those in progress keep the keys they were let in by.
  void SetKeys(std::shared_ptr<const KeyRing> keys);

 private:
  // Who makes a request, for its rate limits: an API key, or an address.
  struct Caller {
    std::string subject;  // "" when nothing limits the request
    RateLimits limits;
    std::string_view format;  // an ingest route's, for the metrics
    size_t body_bytes = 0;    // an ingest's body, decoded, for the metrics
  };
  // nullopt if the request may use a route that needs `scope` (`route`
  // names it), with *caller set; else the 401 (no valid key, with
  // WWW-Authenticate), 403 (a key without the scope) or 429 (over its
  // requests a second, with Retry-After).
  std::optional<Response> Admit(const Request& req, Scope scope, std::string_view route,
                                Caller* caller);
  // `cors`: the Access-Control-Allow-Origin of the response (Access's
  // allow_origin), a view that outlives the request.
  void Route(const Request& req, std::string_view cors, Done done);
  // The 404 sentence: the routes served, e.g. "The API is POST /logs and GET /healthz."
  std::string NoSuchRoute() const;
  void Ingest(const Request& req, Caller caller, std::string_view cors, Done done);
  // A JSON array or NDJSON body (core/ingest_batch.h): all entries or none.
  // `body`: the request's, its Content-Encoding undone.
  void IngestBatch(const Request& req, Caller caller, std::string_view body, BodyForm form,
                   std::string_view cors, Done done);
  // Stores what an ingest route parsed: with AppendOnce when `once` (the
  // request's Idempotency-Key), else Append (one entry) or AppendBatch; then
  // answers with `created` (kStored, and kReplayed with Idempotent-Replayed:
  // true), `failed` (a store error), 422 (the key was used for another
  // request) or 409 with Retry-After (the key's first request is in progress).
  using Created = std::function<Response(const OnceResult&)>;
  using Failed = std::function<Response(const Status&)>;
  // First, the caller's entries a second: over it, 429 with Retry-After and
  // nothing stored.
  void Store(const Caller& caller, std::optional<IdempotentWrite> once,
             std::vector<LogEntry> entries, std::string_view cors, Done done, Created created,
             Failed failed);
  // The shippers' formats (api/ingest_format.h): OTLP, Loki push, Elasticsearch bulk.
  enum class IngestFormatKind { kOtlp, kLoki, kEsBulk };
  void IngestFormat(const Request& req, IngestFormatKind kind, Caller caller, std::string_view cors,
                    Done done);
  // `done`, which also counts the response under `route` when there are metrics.
  Done Measured(std::string_view route, Done done) const;
  // Whether this Api serves a group: as options_.routes says, /metrics only
  // with metrics.
  bool Serves(unsigned group) const {
    return (options_.routes & group) && (group != kMetricsRoutes || options_.metrics);
  }
  void Search(const Request& req, std::string_view cors, Done done);
  void Stats(const Request& req, std::string_view cors, Done done);
  void Recent(std::string_view cors, Done done);
  void Tail(const Request& req, std::string_view cors, Done done);
  void GetOne(std::string_view log_id, std::string_view cors, Done done);
  void Health(std::string_view cors, Done done);

  LogStore& store_;
  const ApiOptions options_;
  mutable util::Mutex keys_mu_;
  std::shared_ptr<const KeyRing> keys_ GUARDED_BY(keys_mu_);
  RateLimiter limiter_;
  // Tail streams open (ApiOptions::max_tail_clients); shared with the
  // streams, which may outlive the Api's requests.
  std::shared_ptr<std::atomic<size_t>> tail_streams_ = std::make_shared<std::atomic<size_t>>(0);

  // The last GET /logs body and the list it was made from: while the store
  // hands out the same list, the body is reused instead of re-encoded.
  util::Mutex recent_mu_;
  EntryList recent_list_ GUARDED_BY(recent_mu_);
  std::shared_ptr<const std::string> recent_body_ GUARDED_BY(recent_mu_);
};

}  // namespace logsvc::api

#endif  // LOGSVC_API_API_H_
