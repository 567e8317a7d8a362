#include "aws/dynamodb_client.h"

#include <simdjson.h>
#include <time.h>

#include <algorithm>
#include <future>
#include <random>

#include "net/http_client.h"

namespace logsvc::aws {
namespace {

using Clock = std::chrono::steady_clock;

std::string AmzDateNow() {
  time_t now = time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Full jitter (the AWS SDKs' choice): a random wait in [0, min(cap, base * 2^n)].
std::chrono::milliseconds Backoff(const DynamoDbClientOptions& o, int retry) {
  thread_local std::mt19937 rng{std::random_device{}()};
  int64_t ceiling =
      std::min<int64_t>(o.max_backoff.count(), o.base_backoff.count() << std::min(retry, 20));
  return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, ceiling)(rng));
}

}  // namespace

struct DynamoDbClient::Attempt {
  std::string operation;
  std::string body;
  Done done;
  Clock::time_point started = Clock::now();
  int attempts = 0;
};

DynamoDbError ParseDynamoDbError(std::string_view body) {
  DynamoDbError e;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc)) return e;
  std::string_view type, message;
  if (!doc["__type"].get(type)) {
    e.type =
        std::string(type.substr(type.find('#') == std::string_view::npos ? 0 : type.find('#') + 1));
  }
  // DynamoDB writes "message"; some errors (and some engines) "Message".
  if (!doc["message"].get(message) || !doc["Message"].get(message)) {
    e.message = std::string(message);
  }
  return e;
}

bool IsRetryable(int http_status, std::string_view error_type) {
  if (http_status >= 500) return true;
  return error_type == "ProvisionedThroughputExceededException" ||
         error_type == "ThrottlingException" || error_type == "RequestLimitExceeded" ||
         error_type == "TransactionInProgressException";
}

Result<std::unique_ptr<DynamoDbClient>> DynamoDbClient::Create(DynamoDbClientOptions options) {
  if (options.region.empty()) return Status::InvalidArgument("no AWS region given");
  auto endpoint = net::ParseEndpoint(options.endpoint_url);
  if (!endpoint.ok()) return endpoint.status();
  std::unique_ptr<DynamoDbClient> client(new DynamoDbClient(std::move(options)));
  net::HttpClientOptions http;
  http.endpoint = std::move(endpoint).value();
  http.connect_timeout = client->options_.connect_timeout;
  http.request_timeout = client->options_.request_timeout;
  http.max_idle_connections = client->options_.max_idle_connections;
  client->http_ = std::make_unique<net::HttpClient>(std::move(http));
  return client;
}

DynamoDbClient::DynamoDbClient(DynamoDbClientOptions options) : options_(std::move(options)) {}
DynamoDbClient::~DynamoDbClient() = default;

void DynamoDbClient::Call(std::string_view operation, std::string body, Done done) {
  auto attempt = std::make_shared<Attempt>();
  attempt->operation = std::string(operation);
  attempt->body = std::move(body);
  attempt->done = std::move(done);
  Send(std::move(attempt));
}

void DynamoDbClient::Send(std::shared_ptr<Attempt> attempt) {
  ++attempt->attempts;
  HttpRequestToSign to_sign;
  to_sign.method = "POST";
  to_sign.path = "/";
  to_sign.headers = {{"host", http_->endpoint().host_header},
                     {"content-type", "application/x-amz-json-1.0"},
                     {"x-amz-target", "DynamoDB_20120810." + attempt->operation}};
  to_sign.body = attempt->body;
  SigningParams params{.region = options_.region, .service = "dynamodb", .amz_date = AmzDateNow()};
  auto signature = SignWithHeaders(to_sign, options_.credentials, params);
  if (!signature.ok()) {
    auto done = std::move(attempt->done);
    return done(
        Status::Unavailable("cannot sign the DynamoDB request: " + signature.status().message()));
  }

  net::HttpRequest req;
  req.method = "POST";
  req.target = "/";
  // Host is added by the HTTP client, from the same endpoint.
  req.headers.assign(to_sign.headers.begin() + 1, to_sign.headers.end());
  for (auto& h : signature.value().headers_to_add) req.headers.push_back(std::move(h));
  req.body = attempt->body;

  http_->Send(std::move(req), [this, attempt](Result<net::HttpResponse> r) mutable {
    std::string why;
    if (r.ok() && r.value().status == 200) {
      auto done = std::move(attempt->done);
      return done(std::move(r.value().body));
    }
    if (r.ok()) {
      const net::HttpResponse& resp = r.value();
      DynamoDbError err = ParseDynamoDbError(resp.body);
      why = "DynamoDB " + attempt->operation + " answered HTTP " + std::to_string(resp.status) +
            (err.type.empty() ? "" : " " + err.type) +
            (err.message.empty() ? "" : ": " + err.message);
      if (!IsRetryable(resp.status, err.type)) {
        auto done = std::move(attempt->done);
        if (err.type == "ResourceNotFoundException") return done(Status::NotFound(why));
        if (err.type == "ValidationException" || err.type == "ConditionalCheckFailedException") {
          return done(Status::InvalidArgument(why));
        }
        return done(Status::Unavailable(why));
      }
    } else {
      why = r.status().message();
    }
    const auto elapsed = Clock::now() - attempt->started;
    const auto wait = Backoff(options_, attempt->attempts - 1);
    if (attempt->attempts >= options_.max_attempts || elapsed + wait > options_.retry_budget) {
      auto done = std::move(attempt->done);
      return done(
          Status::Unavailable(why + " (after " + std::to_string(attempt->attempts) + " attempts)"));
    }
    http_->After(wait, [this, attempt]() mutable { Send(std::move(attempt)); });
  });
}

void DynamoDbClient::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  http_->After(delay, std::move(fn));
}

std::chrono::milliseconds DynamoDbClient::RetryDelay(int retry) const {
  return Backoff(options_, retry);
}

Result<std::string> DynamoDbClient::CallAndWait(std::string_view operation, std::string body) {
  std::promise<Result<std::string>> promise;
  auto future = promise.get_future();
  Call(operation, std::move(body),
       [&promise](Result<std::string> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace logsvc::aws
