#include "lambda/function_url.h"

#include <openssl/evp.h>
#include <simdjson.h>

#include "core/base64.h"
#include "core/json_writer.h"

namespace logsvc::lambda {
namespace {

// The Api path an URL path stands for: the function URL's root is the
// function's collection ("/logs"), and "/{id}" an entry of it. The shippers'
// paths (api/ingest_format.h: /v1/logs, /loki/..., /_bulk, /{index}/_bulk,
// /_...) are themselves. The root stays the original's collection, so GET /
// is not Elasticsearch's probe here (a 405, as the original answers).
std::string ApiPath(std::string_view path) {
  const bool root = path.empty() || path == "/";
  if (path == "/v1/logs" || path.starts_with("/loki/") || path.starts_with("/_") ||
      path.ends_with("/_bulk")) {
    return std::string(path);
  }
  if (root || path == "/logs" || path == "/logs/") return "/logs";
  if (path.substr(0, 6) == "/logs/") return std::string(path);
  return "/logs" + std::string(path);
}

std::string_view String(simdjson::dom::element el, std::string_view key) {
  std::string_view v;
  return el[key].get(v) ? std::string_view() : v;
}

}  // namespace

unsigned RoutesOf(Function function) {
  return function == Function::kIngest ? api::kIngestRoutes : api::kReadRoutes;
}

Result<Function> ParseHandler(std::string_view handler) {
  if (handler == "ingest") return Function::kIngest;
  if (handler == "read_recent") return Function::kReadRecent;
  return Status::InvalidArgument("the handler '" + std::string(handler) +
                                 "' is unknown: set the function's handler to ingest or "
                                 "read_recent");
}

std::variant<EventRequest, api::Response> RouteEvent(Function function, std::string_view event) {
  EventRequest req;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::element http;
  const bool parsed = !parser.parse(event.data(), event.size()).get(doc);
  if (parsed && !doc["requestContext"]["http"].get(http)) {
    // A Function URL event.
    req.method = std::string(String(http, "method"));
    std::string_view path = String(doc, "rawPath");
    if (path.empty()) path = String(http, "path");
    req.target = ApiPath(path);
    // The query string travels with the path, as in an HTTP request target.
    if (std::string_view query = String(doc, "rawQueryString"); !query.empty()) {
      req.target += '?';
      req.target += query;
    }
    simdjson::dom::object headers;
    if (!doc["headers"].get(headers)) {
      for (auto [name, value] : headers) {
        std::string_view v;
        if (!value.get(v)) req.headers.emplace_back(name, v);
      }
    }
    std::string_view body = String(doc, "body");
    bool base64 = false;
    if (!doc["isBase64Encoded"].get(base64) && base64) {
      if (!base64::Decode(body, base64::Alphabet::kStandard, &req.body)) {
        return api::ErrorResponse(400,
                                  "The request body is marked base64 but is not valid base64.");
      }
    } else {
      req.body = std::string(body);
    }
  } else {
    // A direct invocation: the event is the entry (or carries it as "body").
    req.method = function == Function::kIngest ? "POST" : "GET";
    req.target = "/logs";
    std::string_view body;
    if (parsed && doc.is_object() && !doc["body"].get(body)) {
      req.body = std::string(body);
    } else {
      req.body = std::string(event);
    }
  }

  return req;
}

api::Request ToApiRequest(const EventRequest& req, std::vector<api::HeaderField>* fields) {
  fields->clear();
  for (const auto& [name, value] : req.headers) fields->push_back({name, value});
  return {req.method, req.target, req.body, api::RequestHeaders(*fields)};
}

std::string FunctionUrlResponse(const api::Response& response) {
  std::string out = "{\"statusCode\":";
  json::AppendInt(&out, response.status);
  out += ",\"headers\":{\"Access-Control-Allow-Origin\":\"*\"";
  for (const api::Header& h : response.headers) {
    // The CORS origin is the one above, on every response.
    if (h.name == "Access-Control-Allow-Origin") continue;
    out += ',';
    json::AppendString(&out, h.name);
    out += ':';
    json::AppendString(&out, h.value);
  }
  out += "},\"body\":";
  json::AppendString(&out, response.Body());
  out += ",\"isBase64Encoded\":false}";
  return out;
}

}  // namespace logsvc::lambda
