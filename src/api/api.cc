#include "api/api.h"

#include "api/responses.h"
#include "core/datetime.h"
#include "core/ingest_request.h"

namespace logsvc::api {
namespace {

constexpr std::string_view kLogsPrefix = "/logs/";
constexpr std::string_view kStoreUnavailable =
    "The log store cannot take requests right now; try again later.";

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.reserve(4);  // these two, and Location or Allow: one allocation
  r.headers.push_back({"Content-Type", "application/json"});
  r.headers.push_back({"Access-Control-Allow-Origin", "*"});
  r.body = std::move(body);
  return r;
}

// The status a store failure maps to.
Response StoreError(const Status& s) {
  if (s.code() == Status::Code::kNotFound) return ErrorResponse(404, s.message());
  if (s.code() == Status::Code::kUnavailable) return ErrorResponse(503, kStoreUnavailable);
  return ErrorResponse(500, "Internal error.");
}

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

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
  r.headers.push_back({"Access-Control-Allow-Origin", "*"});
  r.headers.push_back({"Access-Control-Allow-Methods", allow});
  r.headers.push_back({"Access-Control-Allow-Headers", "Content-Type, Authorization"});
  r.headers.push_back({"Access-Control-Max-Age", "86400"});
  r.headers.push_back({"Allow", std::move(allow)});
  return r;
}

void Api::Handle(const Request& req, Done done) {
  std::string_view path = PathOf(req.target);
  const std::string_view m = req.method;
  // HEAD is GET without the body; the transport leaves the body out.
  const bool get = m == "GET" || m == "HEAD";

  if (path == "/logs") {
    if (m == "POST") return Ingest(req, std::move(done));
    if (get) return Recent(std::move(done));
    if (m == "OPTIONS") return done(Preflight("GET, HEAD, POST, OPTIONS"));
    return done(MethodNotAllowed(m, "GET, HEAD, POST, OPTIONS"));
  }
  if (path.size() > kLogsPrefix.size() && path.substr(0, kLogsPrefix.size()) == kLogsPrefix &&
      path.find('/', kLogsPrefix.size()) == std::string_view::npos) {
    if (get) return GetOne(path.substr(kLogsPrefix.size()), std::move(done));
    if (m == "OPTIONS") return done(Preflight("GET, HEAD, OPTIONS"));
    return done(MethodNotAllowed(m, "GET, HEAD, OPTIONS"));
  }
  if (path == "/healthz") {
    if (get) return Health(std::move(done));
    if (m == "OPTIONS") return done(Preflight("GET, HEAD, OPTIONS"));
    return done(MethodNotAllowed(m, "GET, HEAD, OPTIONS"));
  }
  done(ErrorResponse(404,
                     "No such route. The API is POST /logs, GET /logs, "
                     "GET /logs/{logId} and GET /healthz."));
}

void Api::Ingest(const Request& req, Done done) {
  auto parsed = ParseIngestRequest(req.body);
  if (!parsed.ok()) return done(ErrorResponse(400, parsed.status().message()));

  const int64_t now = NowUnixMillis();
  LogEntry entry{{}, now, parsed.value().severity, std::move(parsed.value().message)};
  store_.Append(std::move(entry), [done = std::move(done), now](Result<std::string> id) mutable {
    if (!id.ok()) return done(StoreError(id.status()));
    Response r = Json(201, CreatedBody(id.value(), now));
    r.headers.push_back({"Location", "/logs/" + id.value()});
    done(std::move(r));
  });
}

void Api::Recent(Done done) {
  store_.Recent(kRecentLimit, [this, done = std::move(done)](Result<EntryList> r) {
    if (!r.ok()) return done(StoreError(r.status()));
    std::shared_ptr<const std::string> body;
    {
      std::lock_guard lock(recent_mu_);
      if (recent_list_ == r.value()) body = recent_body_;
    }
    if (!body) {
      body = std::make_shared<const std::string>(EntryListBody(*r.value()));
      std::lock_guard lock(recent_mu_);
      recent_list_ = r.value();
      recent_body_ = body;
    }
    // Shared, not copied: each connection still writing it holds the same bytes.
    Response response = Json(200, {});
    response.shared_body = std::move(body);
    done(std::move(response));
  });
}

void Api::GetOne(std::string_view log_id, Done done) {
  store_.Get(std::string(log_id), [done = std::move(done)](Result<LogEntry> r) {
    if (!r.ok()) return done(StoreError(r.status()));
    done(Json(200, EntryBody(r.value())));
  });
}

void Api::Health(Done done) {
  if (store_.Healthy()) return done(Json(200, R"({"statusCode":200,"status":"ok"})"));
  Response r = ErrorResponse(503, "The log store cannot take writes right now.");
  done(std::move(r));
}

}  // namespace logsvc::api
