#include "aws/lambda_runtime.h"

#include <charconv>

#include "core/json_writer.h"
#include "net/http_client.h"

namespace logsvc::aws {
namespace {

constexpr std::string_view kPrefix = "/2018-06-01/runtime";

}  // namespace

std::string LambdaErrorBody(std::string_view type, std::string_view message) {
  std::string out = "{\"errorMessage\":";
  json::AppendString(&out, message);
  out += ",\"errorType\":";
  json::AppendString(&out, type);
  out += '}';
  return out;
}

Result<std::unique_ptr<LambdaRuntime>> LambdaRuntime::Create(std::string_view api) {
  if (api.empty()) {
    return Status::InvalidArgument(
        "AWS_LAMBDA_RUNTIME_API is not set: this program runs as a Lambda function");
  }
  auto endpoint = net::ParseEndpoint("http://" + std::string(api));
  if (!endpoint.ok()) return endpoint.status();
  net::HttpClientOptions options;
  options.endpoint = std::move(endpoint).value();
  options.request_timeout = std::chrono::milliseconds(0);  // /next waits for an event
  options.max_response_bytes = 8 << 20;                    // 6 MB is Lambda's largest event
  return std::unique_ptr<LambdaRuntime>(
      new LambdaRuntime(std::make_unique<net::HttpClient>(std::move(options))));
}

LambdaRuntime::LambdaRuntime(std::unique_ptr<net::HttpClient> http) : http_(std::move(http)) {}
LambdaRuntime::~LambdaRuntime() = default;

Result<Invocation> LambdaRuntime::Next() {
  net::HttpRequest req;
  req.target = std::string(kPrefix) + "/invocation/next";
  auto r = net::SendAndWait(*http_, std::move(req));
  if (!r.ok()) return r.status();
  net::HttpResponse& resp = r.value();
  if (resp.status != 200) {
    return Status::Unavailable("the Runtime API answered /next with HTTP " +
                               std::to_string(resp.status));
  }
  Invocation inv;
  inv.request_id = std::string(resp.Header("Lambda-Runtime-Aws-Request-Id"));
  if (inv.request_id.empty()) {
    return Status::Unavailable("the Runtime API sent an event without a request id");
  }
  std::string_view deadline = resp.Header("Lambda-Runtime-Deadline-Ms");
  std::from_chars(deadline.data(), deadline.data() + deadline.size(), inv.deadline_ms);
  inv.trace_id = std::string(resp.Header("Lambda-Runtime-Trace-Id"));
  inv.event = std::move(resp.body);
  return inv;
}

Status LambdaRuntime::Post(std::string target, std::string body, std::string_view error_type) {
  net::HttpRequest req;
  req.method = "POST";
  req.target = std::move(target);
  req.headers.emplace_back("Content-Type", "application/json");
  if (!error_type.empty()) {
    req.headers.emplace_back("Lambda-Runtime-Function-Error-Type", std::string(error_type));
  }
  req.body = std::move(body);
  const std::string where = req.target;
  auto r = net::SendAndWait(*http_, std::move(req));
  if (!r.ok()) return r.status();
  if (r.value().status != 202) {
    return Status::Unavailable("the Runtime API answered " + where + " with HTTP " +
                               std::to_string(r.value().status));
  }
  return Status::Ok();
}

Status LambdaRuntime::Respond(const std::string& request_id, std::string body) {
  return Post(std::string(kPrefix) + "/invocation/" + request_id + "/response", std::move(body),
              "");
}

Status LambdaRuntime::Fail(const std::string& request_id, std::string_view type,
                           std::string_view message) {
  return Post(std::string(kPrefix) + "/invocation/" + request_id + "/error",
              LambdaErrorBody(type, message), type);
}

Status LambdaRuntime::InitError(std::string_view type, std::string_view message) {
  return Post(std::string(kPrefix) + "/init/error", LambdaErrorBody(type, message), type);
}

}  // namespace logsvc::aws
