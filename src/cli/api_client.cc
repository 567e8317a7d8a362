#include "cli/api_client.h"

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "aws/uri_encode.h"
#include "core/uuid.h"

namespace logsvc::cli {

Result<std::unique_ptr<ApiClient>> ApiClient::Open(const ClientOptions& options) {
  Result<net::Endpoint> endpoint = net::ParseEndpoint(options.url);
  if (!endpoint.ok()) {
    return Status::InvalidArgument("--url (LOGSVC_URL): " + endpoint.status().message());
  }
  net::HttpClientOptions http;
  http.endpoint = endpoint.value();
  http.connect_timeout = std::chrono::seconds(10);
  // A search may take its budget and a batch its fsync; a Lambda its cold start.
  http.request_timeout = std::chrono::seconds(60);
  http.max_response_bytes = size_t{64} << 20;
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(http), options.key));
}

net::Headers ApiClient::AuthHeaders() const {
  net::Headers h;
  if (!key_.empty()) h.emplace_back("Authorization", "Bearer " + key_);
  return h;
}

Result<net::HttpResponse> ApiClient::Call(std::string method, std::string target, std::string body,
                                          std::string content_type, net::Headers extra) {
  net::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = AuthHeaders();
  request.headers.emplace_back("Accept", "application/json");
  if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
  for (auto& h : extra) request.headers.push_back(std::move(h));
  request.body = std::move(body);
  return net::SendAndWait(client_, std::move(request));
}

std::unique_ptr<ApiClient> OpenClient(const ClientOptions& options) {
  auto client = ApiClient::Open(options);
  if (client.ok()) return std::move(client).value();
  std::fprintf(stderr, "logsvc: error: %s\n", client.status().message().c_str());
  return nullptr;
}

std::string ReplyError(const net::HttpResponse& r) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view error;
  if (!parser.parse(r.body).get(doc) && !doc["error"].get(error)) {
    return std::string(error) + " (HTTP " + std::to_string(r.status) + ")";
  }
  return "the server answered HTTP " + std::to_string(r.status);
}

std::string PostEntries(ApiClient& api, std::string body, std::string_view content_type,
                        std::string_view key, bool* replayed, std::string* reply) {
  constexpr int kAttempts = 10;
  for (int attempt = 1;; ++attempt) {
    auto r = api.Call("POST", "/logs", body, std::string(content_type),
                      {{"Idempotency-Key", std::string(key)}});
    if (!r.ok()) {
      if (attempt < kAttempts) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      return r.status().message();
    }
    const int status = r.value().status;
    if (status == 201) {
      *replayed = r.value().Header("Idempotent-Replayed") == "true";
      if (reply) *reply = std::move(r.value().body);
      return "";
    }
    if ((status == 429 || status == 503 || status == 409) && attempt < kAttempts) {
      int wait = 1;
      const std::string_view after = r.value().Header("Retry-After");
      if (!after.empty()) wait = std::max(1, std::atoi(std::string(after).c_str()));
      std::this_thread::sleep_for(std::chrono::seconds(std::min(wait, 30)));
      continue;
    }
    return ReplyError(r.value());
  }
}

std::string RandomIdempotencyKey() { return uuid::Format(uuid::NewV4()); }

int ServerError(std::string_view what) {
  std::fprintf(stderr, "logsvc: error: %.*s\n", static_cast<int>(what.size()), what.data());
  return kExitServer;
}

void AddParam(std::string* target, std::string_view name, std::string_view value) {
  target->push_back(target->find('?') == std::string::npos ? '?' : '&');
  target->append(name);
  target->push_back('=');
  target->append(aws::UriEncode(value));  // RFC 3986: only the unreserved left as they are
}

}  // namespace logsvc::cli
