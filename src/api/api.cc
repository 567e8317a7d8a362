#include "api/api.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "api/content_coding.h"
#include "api/cursor.h"
#include "api/ingest_format.h"
#include "api/responses.h"
#include "api/tail_stream.h"
#include "api/web_assets.h"
#include "core/datetime.h"
#include "core/ingest_batch.h"
#include "core/ingest_request.h"
#include "core/query.h"
#include "core/uuid.h"
#include "crypto/sha256.h"

namespace logsvc::api {
namespace {

constexpr std::string_view kLogsPrefix = "/logs/";
constexpr std::string_view kStoreUnavailable =
    "The log store cannot take requests right now; try again later.";

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  // Content-Type, the CORS headers, and Location or Allow: one allocation.
  r.headers.reserve(4);
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = std::move(body);
  return r;
}

// `r` with the CORS headers the AccessPolicy decided on (see Access): none,
// "*", or the request's origin, which makes the response vary with Origin.
Response WithCors(Response r, std::string_view allow_origin) {
  if (allow_origin.empty()) return r;
  // A page reads only the CORS-safelisted headers unless told: the ones a
  // client acts on (retry when, a replay, the new entry, the key to send).
  std::string expose;
  for (const Header& h : r.headers) {
    for (std::string_view name :
         {"Retry-After", "Idempotent-Replayed", "Location", "WWW-Authenticate"}) {
      if (h.name == name && expose.find(name) == std::string::npos) {
        expose += (expose.empty() ? "" : ", ") + std::string(name);
      }
    }
  }
  r.headers.push_back({"Access-Control-Allow-Origin", std::string(allow_origin)});
  if (!expose.empty()) r.headers.push_back({"Access-Control-Expose-Headers", std::move(expose)});
  if (allow_origin != "*") r.headers.push_back({"Vary", "Origin"});
  return r;
}

// The status a store failure maps to.
Response StoreError(const Status& s) {
  if (s.code() == Status::Code::kNotFound) return ErrorResponse(404, s.message());
  if (s.code() == Status::Code::kInvalidArgument) return ErrorResponse(400, s.message());
  if (s.code() == Status::Code::kUnavailable) return ErrorResponse(503, kStoreUnavailable);
  return ErrorResponse(500, "Internal error.");
}

}  // namespace

Response ErrorResponse(int status, std::string_view error) {
  return Json(status, ErrorBody(status, error));
}

Response MethodNotAllowed(std::string_view method, std::string allow) {
  Response r = ErrorResponse(
      405, "Method " + std::string(method) + " is not allowed here; use " + allow + ".");
  r.headers.push_back({"Allow", std::move(allow)});
  return r;
}

Response Preflight(std::string allow) {
  Response r;
  r.status = 204;
  r.headers.push_back({"Access-Control-Allow-Methods", allow});
  r.headers.push_back(
      {"Access-Control-Allow-Headers",
       "Content-Type, Authorization, X-API-Key, Content-Encoding, Idempotency-Key"});
  r.headers.push_back({"Access-Control-Max-Age", "86400"});
  r.headers.push_back({"Allow", std::move(allow)});
  return r;
}

void Api::Handle(const Request& req, Done done) {
  Access access = options_.access.Check(req.method, req.headers);
  if (access.status != 0) {
    return Measured("other", std::move(done))(ErrorResponse(access.status, access.error));
  }
  Route(req, access.allow_origin, std::move(done));
}

Api::Done Api::Measured(std::string_view route, Done done) const {
  if (!options_.metrics) return done;
  return [metrics = options_.metrics, route, start = std::chrono::steady_clock::now(),
          done = std::move(done)](Response r) mutable {
    metrics->Request(
        route, r.status,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    done(std::move(r));
  };
}

namespace {

// The paths of the API.
enum class PathKind {
  kNone,
  kLogs,
  kStats,
  kTail,  // /logs/tail
  kLogEntry,
  kHealth,
  kOtlpLogs,  // /v1/logs
  kLokiPush,  // /loki/api/v1/push
  kEsBulk,    // /_bulk and /{index}/_bulk
  kEsProbe,   // / and /_*: what Elasticsearch shippers ask before sending
  kMetrics,   // /metrics
  kWeb,       // the viewer: / from a browser, /ui/*
};

constexpr std::string_view kBulkSuffix = "/_bulk";

PathKind PathKindOf(std::string_view path) {
  if (path == "/logs") return PathKind::kLogs;
  if (path == "/logs/stats") return PathKind::kStats;  // not an id: ids are UUIDs
  if (path == "/logs/tail") return PathKind::kTail;
  if (path == "/healthz") return PathKind::kHealth;
  if (path == "/metrics") return PathKind::kMetrics;
  if (path.starts_with("/ui/")) return PathKind::kWeb;
  // Before /logs/{logId}: an index may be named "logs" (/logs/_bulk).
  if (path == kBulkSuffix ||
      (path.ends_with(kBulkSuffix) && path.find('/', 1) == path.size() - kBulkSuffix.size())) {
    return PathKind::kEsBulk;  // "/_bulk" or "/{index}/_bulk" (index: one segment)
  }
  if (path.size() > kLogsPrefix.size() && path.substr(0, kLogsPrefix.size()) == kLogsPrefix &&
      path.find('/', kLogsPrefix.size()) == std::string_view::npos) {
    return PathKind::kLogEntry;
  }
  if (path == "/v1/logs") return PathKind::kOtlpLogs;
  if (path == "/loki/api/v1/push") return PathKind::kLokiPush;
  if (path == "/" || path.starts_with("/_")) return PathKind::kEsProbe;
  return PathKind::kNone;
}

// The index of /{index}/_bulk, "" for /_bulk.
std::string_view BulkIndex(std::string_view path) {
  return path.size() > kBulkSuffix.size() ? path.substr(1, path.size() - kBulkSuffix.size() - 1)
                                          : std::string_view();
}

enum class Handler {
  kIngest,
  kSearch,
  kStats,
  kTail,
  kGetOne,
  kHealth,
  kOtlp,
  kLoki,
  kEsBulk,
  kEsProbe,
  kMetrics,
  kWeb
};

struct RouteEntry {
  PathKind path;
  std::string_view method;  // GET routes take HEAD too
  RouteGroup group;
  Handler handler;
  std::string_view name;  // for the 404 sentence
  Scope scope;            // what a key needs (when keys are configured)
};

// The route table. Its order is the order of Allow and of the 404 sentence.
constexpr RouteEntry kRoutes[] = {
    {PathKind::kLogs, "POST", kIngestRoutes, Handler::kIngest, "POST /logs", kScopeIngest},
    {PathKind::kLogs, "GET", kReadRoutes, Handler::kSearch, "GET /logs", kScopeRead},
    {PathKind::kStats, "GET", kReadRoutes, Handler::kStats, "GET /logs/stats", kScopeRead},
    {PathKind::kTail, "GET", kTailRoutes, Handler::kTail, "GET /logs/tail", kScopeRead},
    {PathKind::kLogEntry, "GET", kReadRoutes, Handler::kGetOne, "GET /logs/{logId}", kScopeRead},
    {PathKind::kHealth, "GET", kHealthRoutes, Handler::kHealth, "GET /healthz", kScopeNone},
    {PathKind::kOtlpLogs, "POST", kIngestRoutes, Handler::kOtlp, "POST /v1/logs (OTLP)",
     kScopeIngest},
    {PathKind::kLokiPush, "POST", kIngestRoutes, Handler::kLoki, "POST /loki/api/v1/push (Loki)",
     kScopeIngest},
    {PathKind::kEsBulk, "POST", kIngestRoutes, Handler::kEsBulk, "POST /_bulk (Elasticsearch)",
     kScopeIngest},
    {PathKind::kEsProbe, "GET", kIngestRoutes, Handler::kEsProbe, "GET / (Elasticsearch)",
     kScopeIngest},
    {PathKind::kMetrics, "GET", kMetricsRoutes, Handler::kMetrics, "GET /metrics", kScopeAdmin},
    // Open: the page asks for a key when the API answers 401.
    {PathKind::kWeb, "GET", kWebRoutes, Handler::kWeb, "GET / (the web viewer)", kScopeNone},
};

// What the viewer's files are served with: nothing from elsewhere may run,
// load or frame them (the page talks only to this origin's API).
constexpr std::string_view kViewerPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

Response ViewerAsset(std::string_view path) {
  const WebAsset* asset = FindWebAsset(path);
  if (asset == nullptr) return ErrorResponse(404, "No such file of the web viewer.");
  Response r;
  r.headers.push_back({"Content-Type", std::string(asset->content_type)});
  r.headers.push_back({"Content-Security-Policy", std::string(kViewerPolicy)});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  r.headers.push_back({"Referrer-Policy", "no-referrer"});
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.body = std::string(asset->body);
  return r;
}

// The format label of an ingest route's metrics.
std::string_view FormatOf(Handler handler) {
  switch (handler) {
    case Handler::kIngest:
      return "logs";
    case Handler::kOtlp:
      return "otlp";
    case Handler::kLoki:
      return "loki";
    case Handler::kEsBulk:
      return "elasticsearch";
    default:
      return "";
  }
}

}  // namespace

void Api::Route(const Request& req, std::string_view cors, Done done) {
  const std::string_view path = req.path();
  PathKind kind = PathKindOf(path);
  // HEAD is GET without the body; the transport leaves the body out.
  const std::string_view m = req.method == "HEAD" ? std::string_view("GET") : req.method;
  // "/" is the viewer for a browser, and Elasticsearch's probe for shippers
  // (which ask for JSON).
  if (path == "/" && Serves(kWebRoutes) &&
      req.headers.Get("Accept").value_or("").find("text/html") != std::string_view::npos) {
    kind = PathKind::kWeb;
  }
  bool served = false;
  for (const RouteEntry& route : kRoutes) {
    if (route.path != kind || !Serves(route.group)) continue;
    served = true;
    if (route.method != m) continue;
    done = Measured(route.name, std::move(done));
    Caller caller;
    caller.format = FormatOf(route.handler);
    if (auto refused = Admit(req, route.scope, route.name, &caller)) {
      if (options_.metrics) {
        options_.metrics->Refused(refused->status == 401   ? "unauthenticated"
                                  : refused->status == 403 ? "forbidden"
                                                           : "rate_limited");
      }
      return done(WithCors(std::move(*refused), cors));
    }
    switch (route.handler) {
      case Handler::kIngest:
        return Ingest(req, caller, cors, std::move(done));
      case Handler::kSearch:
        return Search(req, cors, std::move(done));
      case Handler::kStats:
        return Stats(req, cors, std::move(done));
      case Handler::kTail:
        return Tail(req, cors, std::move(done));
      case Handler::kGetOne:
        return GetOne(path.substr(kLogsPrefix.size()), cors, std::move(done));
      case Handler::kHealth:
        return Health(cors, std::move(done));
      case Handler::kOtlp:
      case Handler::kLoki:
      case Handler::kEsBulk:
        return IngestFormat(req,
                            route.handler == Handler::kOtlp   ? IngestFormatKind::kOtlp
                            : route.handler == Handler::kLoki ? IngestFormatKind::kLoki
                                                              : IngestFormatKind::kEsBulk,
                            caller, cors, std::move(done));
      case Handler::kEsProbe:
        if (auto probe = EsProbe(m, path)) return done(WithCors(std::move(*probe), cors));
        return done(WithCors(ErrorResponse(404, NoSuchRoute()), cors));
      case Handler::kWeb:
        return done(WithCors(ViewerAsset(path), cors));
      case Handler::kMetrics: {
        Response r;
        r.body = options_.metrics->Render();
        r.headers.push_back({"Content-Type", "text/plain; version=0.0.4; charset=utf-8"});
        return done(WithCors(std::move(r), cors));
      }
    }
  }
  done = Measured("other", std::move(done));
  if (!served) return done(WithCors(ErrorResponse(404, NoSuchRoute()), cors));
  // Allow: the methods served on this path, in the order GET (with HEAD),
  // POST, then OPTIONS.
  std::string allow;
  for (std::string_view method : {"GET", "POST"}) {
    for (const RouteEntry& route : kRoutes) {
      if (route.path == kind && Serves(route.group) && route.method == method) {
        allow += method == "GET" ? "GET, HEAD, " : "POST, ";
        break;
      }
    }
  }
  allow += "OPTIONS";
  if (req.method == "OPTIONS") return done(WithCors(Preflight(std::move(allow)), cors));
  done(WithCors(MethodNotAllowed(req.method, std::move(allow)), cors));
}

void Api::SetKeys(std::shared_ptr<const KeyRing> keys) {
  util::MutexLock lock(&keys_mu_);
  keys_ = std::move(keys);
}

namespace {

// Retry-After: whole seconds, at least 1 (RFC 9110 section 10.2.3).
std::string RetryAfter(double seconds) {
  return std::to_string(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds))));
}

}  // namespace

std::optional<Response> Api::Admit(const Request& req, Scope scope, std::string_view route,
                                   Caller* caller) {
  if (scope == kScopeNone) return std::nullopt;
  std::shared_ptr<const KeyRing> keys;
  {
    util::MutexLock lock(&keys_mu_);
    keys = keys_;
  }
  caller->limits = options_.rate_limits;
  if (!keys || keys->empty()) {
    // No keys configured: open, limited by client address.
    if (!caller->limits.none()) caller->subject = "a:" + std::string(req.client);
  } else {
    const ApiKey* key = nullptr;
    for (const std::string& secret : PresentedSecrets(req.headers)) {
      if ((key = keys->Find(secret)) != nullptr) break;
    }
    if (key == nullptr) {
      // The same answer with no key and with a wrong one: it never says
      // whether a key exists.
      Response r = ErrorResponse(
          401,
          "This request needs a valid API key: send it as Authorization: Bearer KEY, as the "
          "password of Basic authentication, or as X-API-Key: KEY.");
      r.headers.push_back({"WWW-Authenticate", R"(Bearer realm="logsvc", Basic realm="logsvc")"});
      return r;
    }
    if (!(key->scopes & scope)) {
      return ErrorResponse(403, "This API key does not have the \"" +
                                    std::string(ScopeName(scope)) + "\" scope, which " +
                                    std::string(route) + " needs.");
    }
    if (key->limits.requests_per_second > 0) {
      caller->limits.requests_per_second = key->limits.requests_per_second;
    }
    if (key->limits.entries_per_second > 0) {
      caller->limits.entries_per_second = key->limits.entries_per_second;
    }
    if (!caller->limits.none()) {
      caller->subject =
          "k:" + std::string(reinterpret_cast<const char*>(key->hash.data()), key->hash.size());
    }
  }
  if (caller->subject.empty()) return std::nullopt;
  if (const double wait = limiter_.TakeRequest(caller->subject, caller->limits); wait > 0) {
    Response r = ErrorResponse(
        429, "Too many requests: this " +
                 std::string(caller->subject[0] == 'k' ? "API key" : "client address") +
                 " may make " +
                 std::to_string(static_cast<int64_t>(caller->limits.requests_per_second)) +
                 " a second; retry after the time in Retry-After.");
    r.headers.push_back({"Retry-After", RetryAfter(wait)});
    return r;
  }
  return std::nullopt;
}

std::string Api::NoSuchRoute() const {
  std::vector<std::string_view> names;
  for (const RouteEntry& route : kRoutes) {
    if (Serves(route.group)) names.push_back(route.name);
  }
  std::string out = "No such route. The API is ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out + ".";
}

namespace {

// The request's body with its Content-Encoding undone: into *decoded, or a
// view of the request's own when there was nothing to undo. nullopt when it
// decoded; else the error response.
std::optional<Response> DecodedBody(const Request& req, size_t max_bytes, std::string* decoded,
                                    std::string_view* body) {
  bool used_decoded = false;
  if (auto error = DecodeContent(req.headers, req.body, max_bytes, decoded, &used_decoded)) {
    Response r = ErrorResponse(error->status, error->message);
    if (error->status == 415) {
      r.headers.push_back({"Accept-Encoding", std::string(kAcceptedContentCodings)});
    }
    return r;
  }
  *body = used_decoded ? std::string_view(*decoded) : std::string_view(req.body);
  return std::nullopt;
}

// A SHA-256 of the parts, each followed by a 0 byte, as bytes.
std::string Digest(std::initializer_list<std::string_view> parts) {
  const crypto::Sha256Digest d = crypto::Sha256OfParts(parts);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

constexpr size_t kMaxIdempotencyKeyBytes = 255;

// The request's Idempotency-Key (draft-ietf-httpapi-idempotency-key-header:
// a string, quoted or not) as the store's IdempotentWrite: the key names the
// write with the route, so one key on two routes is two writes; the
// fingerprint is what the request asks (method, target, media type, the body
// with its Content-Encoding undone: a retry may compress it anew). nullopt
// without the header; kInvalidArgument for a malformed one.
Result<std::optional<IdempotentWrite>> IdempotencyOf(const Request& req, std::string_view body) {
  std::optional<std::string_view> header = req.headers.Get("Idempotency-Key");
  if (!header) return std::optional<IdempotentWrite>();
  std::string_view key = *header;
  if (key.size() >= 2 && key.front() == '"' && key.back() == '"') {
    key = key.substr(1, key.size() - 2);
  }
  bool visible = !key.empty() && key.size() <= kMaxIdempotencyKeyBytes;
  for (char c : key) visible = visible && c > 0x20 && c < 0x7f && c != '"';
  if (!visible) {
    return Status::InvalidArgument(
        "Header Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID, say), "
        "optionally in double quotes.");
  }
  return std::optional<IdempotentWrite>(IdempotentWrite{
      Digest({"logsvc.idempotency.v1", req.path(), key}),
      Digest({req.method, req.target, req.headers.Get("Content-Type").value_or(""), body})});
}

}  // namespace

void Api::Store(const Caller& caller, std::optional<IdempotentWrite> once,
                std::vector<LogEntry> entries, std::string_view cors, Done done, Created created,
                Failed failed) {
  if (options_.metrics) {
    done = [metrics = options_.metrics, format = caller.format, bytes = caller.body_bytes,
            n = entries.size(), done = std::move(done)](Response r) mutable {
      // Stored: a success that is not a replay.
      if (r.status < 300 && !std::any_of(r.headers.begin(), r.headers.end(), [](const Header& h) {
            return h.name == std::string_view("Idempotent-Replayed");
          })) {
        metrics->Ingested(format, n, bytes);
      }
      done(std::move(r));
    };
  }
  if (!caller.subject.empty()) {
    if (const double wait = limiter_.TakeEntries(caller.subject, caller.limits, entries.size());
        wait > 0) {
      if (options_.metrics) options_.metrics->Refused("rate_limited");
      Response r = ErrorResponse(
          429, "Too many entries: this " +
                   std::string(caller.subject[0] == 'k' ? "API key" : "client address") +
                   " may store " +
                   std::to_string(static_cast<int64_t>(caller.limits.entries_per_second)) +
                   " a second; nothing was stored: retry after the time in Retry-After.");
      r.headers.push_back({"Retry-After", RetryAfter(wait)});
      return done(WithCors(std::move(r), cors));
    }
  }
  auto finish = [cors, done = std::move(done), created = std::move(created),
                 failed = std::move(failed)](Result<OnceResult> r) mutable {
    if (!r.ok()) return done(WithCors(failed(r.status()), cors));
    switch (r.value().outcome) {
      case OnceResult::Outcome::kStored:
        return done(WithCors(created(r.value()), cors));
      case OnceResult::Outcome::kReplayed: {
        Response response = created(r.value());
        response.headers.push_back({"Idempotent-Replayed", "true"});
        return done(WithCors(std::move(response), cors));
      }
      case OnceResult::Outcome::kOtherRequest:
        return done(
            WithCors(ErrorResponse(422,
                                   "This Idempotency-Key was used in the last 24 hours for another "
                                   "request: send a new key with a new request."),
                     cors));
      case OnceResult::Outcome::kInProgress: {
        Response busy = ErrorResponse(
            409, "A request with this Idempotency-Key is still being stored: try again shortly.");
        busy.headers.push_back({"Retry-After", "1"});
        return done(WithCors(std::move(busy), cors));
      }
    }
  };
  if (once) return store_.AppendOnce(std::move(*once), std::move(entries), std::move(finish));
  std::vector<int64_t> timestamps;
  timestamps.reserve(entries.size());
  for (const LogEntry& e : entries) timestamps.push_back(e.timestamp_ms);
  const auto stored = [finish = std::move(finish), timestamps = std::move(timestamps)](
                          Result<std::vector<std::string>> ids) mutable {
    if (!ids.ok()) return finish(ids.status());
    finish(OnceResult{OnceResult::Outcome::kStored, std::move(ids).value(), std::move(timestamps)});
  };
  if (entries.size() == 1) {
    // One entry: the store's group commit, as the original POST /logs.
    return store_.Append(std::move(entries[0]),
                         [stored = std::move(stored)](Result<std::string> id) mutable {
                           if (!id.ok()) return stored(id.status());
                           stored(std::vector<std::string>{std::move(id).value()});
                         });
  }
  store_.AppendBatch(std::move(entries), std::move(stored));
}

void Api::IngestFormat(const Request& req, IngestFormatKind kind, Caller caller,
                       std::string_view cors, Done done) {
  std::string decoded;
  std::string_view body;
  if (auto error = DecodedBody(req, options_.max_body_bytes, &decoded, &body)) {
    return done(WithCors(std::move(*error), cors));
  }
  caller.body_bytes = body.size();
  const FormatLimits limits{options_.max_body_bytes};
  const int64_t now = NowUnixMillis();
  ParsedIngest parsed = kind == IngestFormatKind::kOtlp ? ParseOtlpRequest(req, body, limits, now)
                        : kind == IngestFormatKind::kLoki
                            ? ParseLokiRequest(req, body, limits, now)
                            : ParseEsBulkRequest(req, BulkIndex(req.path()), body, limits, now);
  if (parsed.refused) return done(WithCors(std::move(*parsed.refused), cors));
  if (parsed.entries.empty()) return done(WithCors(parsed.created({}), cors));
  Result<std::optional<IdempotentWrite>> once = IdempotencyOf(req, body);
  if (!once.ok()) return done(WithCors(ErrorResponse(400, once.status().message()), cors));
  Store(
      caller, std::move(once).value(), std::move(parsed.entries), cors, std::move(done),
      [created = std::move(parsed.created)](const OnceResult& r) { return created(r.ids); },
      std::move(parsed.failed));
}

void Api::Ingest(const Request& req, Caller caller, std::string_view cors, Done done) {
  std::string decoded;
  std::string_view body;
  if (auto error = DecodedBody(req, options_.max_body_bytes, &decoded, &body)) {
    return done(WithCors(std::move(*error), cors));
  }
  caller.body_bytes = body.size();
  const BodyForm form = BatchFormOf(req.headers.Get("Content-Type").value_or(""), body);
  if (form != BodyForm::kSingle) {
    return IngestBatch(req, caller, body, form, cors, std::move(done));
  }
  auto parsed = ParseIngestRequest(body);
  if (!parsed.ok()) return done(WithCors(ErrorResponse(400, parsed.status().message()), cors));
  Result<std::optional<IdempotentWrite>> once = IdempotencyOf(req, body);
  if (!once.ok()) return done(WithCors(ErrorResponse(400, once.status().message()), cors));

  std::vector<LogEntry> entry;
  entry.push_back(LogEntry{{},
                           NowUnixMillis(),
                           parsed.value().severity,
                           std::move(parsed.value().message),
                           std::move(parsed.value().attributes)});
  // Location points at the new entry only where this Api serves it.
  const bool location = options_.routes & kReadRoutes;
  Store(
      caller, std::move(once).value(), std::move(entry), cors, std::move(done),
      [location](const OnceResult& r) {
        // The timestamp as stored: a replay answers the first request's.
        Response created = Json(201, CreatedBody(r.ids[0], r.timestamps_ms[0]));
        if (location) created.headers.push_back({"Location", "/logs/" + r.ids[0]});
        return created;
      },
      StoreError);
}

void Api::IngestBatch(const Request& req, Caller caller, std::string_view body, BodyForm form,
                      std::string_view cors, Done done) {
  auto parsed = ParseIngestBatch(body, form, NowUnixMillis());
  if (!parsed.ok()) return done(WithCors(ErrorResponse(400, parsed.status().message()), cors));
  Result<std::optional<IdempotentWrite>> once = IdempotencyOf(req, body);
  if (!once.ok()) return done(WithCors(ErrorResponse(400, once.status().message()), cors));
  std::vector<LogEntry> entries;
  entries.reserve(parsed.value().size());
  for (BatchEntry& e : parsed.value()) {
    entries.push_back(
        LogEntry{{}, e.timestamp_ms, e.severity, std::move(e.message), std::move(e.attributes)});
  }
  Store(
      caller, std::move(once).value(), std::move(entries), cors, std::move(done),
      [](const OnceResult& r) { return Json(201, BatchCreatedBody(r.ids)); }, StoreError);
}

namespace {

// The `next` of a reply: the query of `state` continued at the store's
// position, or "" (null) when the store has nothing more.
std::string NextCursor(CursorState& state, std::string store_next) {
  if (store_next.empty()) return "";
  state.position = std::move(store_next);
  return EncodeCursor(state);
}

}  // namespace

void Api::Search(const Request& req, std::string_view cors, Done done) {
  Result<SearchRequest> parsed = ParseSearchParams(req.query(), NowUnixMillis());
  if (!parsed.ok()) return done(WithCors(ErrorResponse(400, parsed.status().message()), cors));
  SearchRequest& sr = parsed.value();
  // The original design's GET /logs, word for word.
  if (!sr.any_parameter) return Recent(cors, std::move(done));
  CursorState state{CursorKind::kSearch, std::move(sr.filter), sr.order, sr.limit, 0, {}};
  if (!sr.cursor.empty()) {
    Result<CursorState> decoded = DecodeCursor(sr.cursor, CursorKind::kSearch);
    if (!decoded.ok()) return done(WithCors(ErrorResponse(400, decoded.status().message()), cors));
    state = std::move(decoded).value();
    if (sr.limit_given) state.limit = sr.limit;
  }
  StoreQuery query{state.filter, state.order, state.limit, std::move(state.position)};
  store_.Search(std::move(query), [state = std::move(state), cors, metrics = options_.metrics,
                                   start = std::chrono::steady_clock::now(),
                                   done = std::move(done)](Result<SearchPage> r) mutable {
    if (metrics && r.ok()) {
      metrics->Searched(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
          r.value().examined);
    }
    if (!r.ok()) return done(WithCors(StoreError(r.status()), cors));
    const std::string next = NextCursor(state, std::move(r.value().next));
    done(WithCors(Json(200, SearchBody(*r.value().entries, next)), cors));
  });
}

void Api::Stats(const Request& req, std::string_view cors, Done done) {
  Result<StatsRequest> parsed = ParseStatsParams(req.query(), NowUnixMillis());
  if (!parsed.ok()) return done(WithCors(ErrorResponse(400, parsed.status().message()), cors));
  StatsRequest& sr = parsed.value();
  CursorState state{CursorKind::kStats, std::move(sr.filter), Order::kDesc, 0, sr.step_ms, {}};
  if (!sr.cursor.empty()) {
    Result<CursorState> decoded = DecodeCursor(sr.cursor, CursorKind::kStats);
    if (!decoded.ok()) return done(WithCors(ErrorResponse(400, decoded.status().message()), cors));
    state = std::move(decoded).value();
  }
  StatsQuery query{state.filter, state.step_ms, std::move(state.position)};
  store_.Stats(std::move(query), [state = std::move(state), cors,
                                  done = std::move(done)](Result<StatsPage> r) mutable {
    if (!r.ok()) return done(WithCors(StoreError(r.status()), cors));
    const std::string next = NextCursor(state, std::move(r.value().next));
    const int64_t first = FloorDiv(state.filter.from_ms, state.step_ms) * state.step_ms;
    done(WithCors(Json(200, StatsBody(r.value().counts, first, state.step_ms, next)), cors));
  });
}

void Api::Tail(const Request& req, std::string_view cors, Done done) {
  Result<TailRequest> parsed = ParseTailParams(req.query());
  if (!parsed.ok()) return done(WithCors(ErrorResponse(400, parsed.status().message()), cors));
  TailRequest& tr = parsed.value();
  // Where to start: after the event named by ?cursor= or Last-Event-ID
  // (EventSource sends it when it reconnects), else from now.
  std::string_view resume = tr.cursor;
  std::optional<std::string_view> last_event = req.headers.Get("Last-Event-ID");
  if (resume.empty() && last_event && !last_event->empty()) resume = *last_event;
  std::string position;
  if (!resume.empty()) {
    Result<CursorState> decoded = DecodeCursor(resume, CursorKind::kTail);
    if (!decoded.ok()) {
      return done(WithCors(
          ErrorResponse(400,
                        "The resume point (Last-Event-ID or cursor) is not an event id this "
                        "service gave out: pass it unchanged."),
          cors));
    }
    position = std::move(decoded.value().position);
  }
  if (tail_streams_->fetch_add(1) + 1 > options_.max_tail_clients) {
    tail_streams_->fetch_sub(1);
    return done(WithCors(
        ErrorResponse(503, "The server has as many live-tail streams open as it takes (" +
                               std::to_string(options_.max_tail_clients) + "); try again later."),
        cors));
  }
  if (options_.metrics) options_.metrics->TailSubscribers(+1);
  // When the stream ends (the client left, the server stops): its place back.
  auto release = [streams = tail_streams_, metrics = options_.metrics] {
    streams->fetch_sub(1);
    if (metrics) metrics->TailSubscribers(-1);
  };
  Response r;
  r.headers.push_back({"Content-Type", "text/event-stream; charset=utf-8"});
  r.headers.push_back({"Cache-Control", "no-store"});
  // Proxies that buffer (nginx) pass the events on as they come.
  r.headers.push_back({"X-Accel-Buffering", "no"});
  r.stream = std::make_shared<TailStream>(store_, std::move(tr.filter), std::move(position),
                                          options_.tail_heartbeat, std::move(release));
  done(WithCors(std::move(r), cors));
}

void Api::Recent(std::string_view cors, Done done) {
  StoreQuery newest;  // every entry, newest first
  newest.limit = kRecentLimit;
  store_.Search(std::move(newest), [this, done = std::move(done), cors](Result<SearchPage> page) {
    if (!page.ok()) return done(WithCors(StoreError(page.status()), cors));
    const EntryList& list = page.value().entries;
    std::shared_ptr<const std::string> body;
    {
      util::MutexLock lock(&recent_mu_);
      if (recent_list_ == list) body = recent_body_;
    }
    if (!body) {
      body = std::make_shared<const std::string>(EntryListBody(*list));
      util::MutexLock lock(&recent_mu_);
      recent_list_ = list;
      recent_body_ = body;
    }
    // Shared, not copied: each connection still writing it holds the same bytes.
    Response response = Json(200, {});
    response.shared_body = std::move(body);
    done(WithCors(std::move(response), cors));
  });
}

void Api::GetOne(std::string_view log_id, std::string_view cors, Done done) {
  // UUIDs are case-insensitive on input (RFC 9562, section 4); every store
  // keeps the lower-case form logsvc and the original hand out, so an id is
  // looked up in that form, the same way on every store.
  std::string id(log_id);
  if (auto parsed = uuid::Parse(log_id)) id = uuid::Format(*parsed);
  store_.Get(std::move(id), [done = std::move(done), cors](Result<LogEntry> r) {
    if (!r.ok()) return done(WithCors(StoreError(r.status()), cors));
    done(WithCors(Json(200, EntryBody(r.value())), cors));
  });
}

void Api::Health(std::string_view cors, Done done) {
  if (store_.Healthy())
    return done(WithCors(Json(200, R"({"statusCode":200,"status":"ok"})"), cors));
  done(WithCors(ErrorResponse(503, "The log store cannot take writes right now."), cors));
}

}  // namespace logsvc::api
