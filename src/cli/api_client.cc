#include "cli/api_client.h"

#include <simdjson.h>

#include <cstdio>

#include "aws/uri_encode.h"

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

std::string ReplyError(const net::HttpResponse& r) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view error;
  if (!parser.parse(r.body).get(doc) && !doc["error"].get(error)) {
    return std::string(error) + " (HTTP " + std::to_string(r.status) + ")";
  }
  return "the server answered HTTP " + std::to_string(r.status);
}

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
