// bootstrap: logsvc as an AWS Lambda function on the provided.al2023 custom
// runtime. One binary for both of the original design's functions; the
// function's handler setting (_HANDLER) picks ingest or read_recent.
//
//   _HANDLER                      ingest | read_recent
//   DYNAMODB_TABLE_NAME           the table (as in the original)
//   LOGSVC_DYNAMODB_INDEX_SHARDS  index partitions, default 1 (type "LOG")
//   LOGSVC_RETENTION_DAYS         items carry expiresAt (their time plus this
//                                 many days) and reads leave out older ones
//   LOGSVC_AUTH_KEY_HASHES        API keys, as lines of a keys file
//                                 (api/api_keys.h; ';' also ends a line);
//                                 unset or empty: open, as the original
//   AWS_REGION, AWS_ACCESS_KEY_ID, ... set by Lambda; AWS_ENDPOINT_URL_DYNAMODB for tests
//
// Loop: GET /next → route the event → api::Api on the DynamoDB store → POST
// the Function URL response. Init does no network I/O (the table is not
// described, TLS is set up on first use), so a cold start costs process
// start-up and nothing more.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <vector>

#include "api/api.h"
#include "aws/lambda_runtime.h"
#include "core/datetime.h"
#include "lambda/emf.h"
#include "lambda/function_url.h"
#include "store/dynamodb_store.h"
#include "util/log.h"

namespace {

// What a Lambda Function URL takes in one request (6 MB, AWS's quota for a
// synchronous invocation's payload).
constexpr size_t kFunctionUrlMaxBodyBytes = 6 * 1000 * 1000;

using namespace logsvc;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int InitFailure(aws::LambdaRuntime& runtime, std::string_view type, const std::string& why) {
  log::Error("cannot start").Str("error", why);
  runtime.InitError(type, why);
  return 1;
}

// Runs one request through the Api and waits for its response.
api::Response Handle(api::Api& api, const lambda::EventRequest& req) {
  std::promise<api::Response> promise;
  auto future = promise.get_future();
  std::vector<api::HeaderField> fields;
  api.Handle(lambda::ToApiRequest(req, &fields),
             [&promise](api::Response r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace

int main() {
  auto created = aws::LambdaRuntime::Create(Env("AWS_LAMBDA_RUNTIME_API"));
  if (!created.ok()) {
    log::Error("cannot start").Str("error", created.status().message());
    return 1;
  }
  aws::LambdaRuntime& runtime = *created.value();

  auto function = lambda::ParseHandler(Env("_HANDLER"));
  if (!function.ok()) {
    return InitFailure(runtime, "Runtime.InvalidHandler", function.status().message());
  }
  store::DynamoDbSettings settings;
  settings.table = Env("DYNAMODB_TABLE_NAME");
  settings.check_table = false;
  if (settings.table.empty()) {
    return InitFailure(runtime, "Runtime.InvalidConfiguration",
                       "DYNAMODB_TABLE_NAME is not set: it names the DynamoDB table");
  }
  if (std::string shards = Env("LOGSVC_DYNAMODB_INDEX_SHARDS"); !shards.empty()) {
    auto [end, ec] =
        std::from_chars(shards.data(), shards.data() + shards.size(), settings.index_shards);
    if (ec != std::errc() || end != shards.data() + shards.size()) {
      return InitFailure(runtime, "Runtime.InvalidConfiguration",
                         "LOGSVC_DYNAMODB_INDEX_SHARDS is '" + shards + "', not a number");
    }
  }
  if (std::string days = Env("LOGSVC_RETENTION_DAYS"); !days.empty() && days != "0") {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(days.data(), days.data() + days.size(), n);
    if (ec != std::errc() || end != days.data() + days.size() || n < 0 || n > 100000) {
      return InitFailure(runtime, "Runtime.InvalidConfiguration",
                         "LOGSVC_RETENTION_DAYS is '" + days + "', not a number of days");
    }
    settings.retention_ms = n * 86400 * 1000;
  }
  auto opened = store::DynamoDbStore::Open(settings, ::getenv);
  if (!opened.ok()) {
    return InitFailure(runtime, "Runtime.InvalidConfiguration", opened.status().message());
  }
  std::shared_ptr<const api::KeyRing> keys;
  if (std::string lines = Env("LOGSVC_AUTH_KEY_HASHES"); !lines.empty()) {
    std::replace(lines.begin(), lines.end(), ';', '\n');
    auto ring = api::KeyRing::Parse(lines);
    if (!ring.ok() || ring.value().empty()) {
      return InitFailure(
          runtime, "Runtime.InvalidConfiguration",
          "LOGSVC_AUTH_KEY_HASHES: " +
              (ring.ok() ? std::string("holds no key (unset it to serve without keys)")
                         : ring.status().message()));
    }
    keys = std::make_shared<const api::KeyRing>(std::move(ring).value());
  }
  // The original's CORS: any origin, "*" on every response; the Function
  // URL's host is AWS's.
  // Counted as logsvc serve counts, printed as CloudWatch EMF lines (lambda/emf.h).
  auto metrics = std::make_shared<metrics::Metrics>();
  const std::string function_name(function.value() == lambda::Function::kIngest ? "ingest"
                                                                                : "read_recent");
  api::Api api(*opened.value(), {.access = {.hosts = api::HostPolicy::AnyHost(),
                                            .cors = api::CorsPolicy::AnyOrigin()},
                                 .routes = lambda::RoutesOf(function.value()),
                                 // A Function URL's own limit on a request:
                                 // a body may decode to as much as could be
                                 // sent plain.
                                 .max_body_bytes = kFunctionUrlMaxBodyBytes,
                                 .keys = keys,
                                 .metrics = metrics});
  lambda::Counters counted = metrics->Counters();

  for (;;) {
    auto next = runtime.Next();
    if (!next.ok()) {
      // The Runtime API is gone: the execution environment is shutting down.
      log::Error("runtime api unavailable").Str("error", next.status().message());
      return 1;
    }
    aws::Invocation& inv = next.value();
    if (!inv.trace_id.empty()) setenv("_X_AMZN_TRACE_ID", inv.trace_id.c_str(), 1);

    api::Response response;
    try {
      auto routed = lambda::RouteEvent(function.value(), inv.event);
      response = std::holds_alternative<api::Response>(routed)
                     ? std::get<api::Response>(std::move(routed))
                     : Handle(api, std::get<lambda::EventRequest>(routed));
    } catch (const std::exception& e) {
      // Out of memory, most likely: Lambda records the invocation as failed.
      log::Error("invocation failed").Str("error", e.what());
      runtime.Fail(inv.request_id, "Runtime.HandlerError", e.what());
      continue;
    }
    if (Status s = runtime.Respond(inv.request_id, lambda::FunctionUrlResponse(response));
        !s.ok()) {
      log::Error("cannot send the response").Str("error", s.message());
    }
    // After the response: its metrics cost the caller nothing.
    lambda::Counters now = metrics->Counters();
    if (std::string emf = lambda::EmfLines(function_name, NowUnixMillis(), counted, now);
        !emf.empty()) {
      std::fwrite(emf.data(), 1, emf.size(), stdout);
      std::fflush(stdout);
    }
    counted = std::move(now);
  }
}
