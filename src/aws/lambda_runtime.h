// LambdaRuntime: the client side of the AWS Lambda Runtime API, which a
// custom runtime (provided.al2023) speaks to receive invocations and return
// their results. https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
//
//   GET  /2018-06-01/runtime/invocation/next              the next event (long poll)
//   POST /2018-06-01/runtime/invocation/{id}/response     its result
//   POST /2018-06-01/runtime/invocation/{id}/error        or its failure
//   POST /2018-06-01/runtime/init/error                   the runtime cannot start
//
// Blocking calls, for the one thread of a Lambda process. Errors: kUnavailable
// when the Runtime API cannot be reached or answers with an unexpected status.
#ifndef LOGSVC_AWS_LAMBDA_RUNTIME_H_
#define LOGSVC_AWS_LAMBDA_RUNTIME_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "logsvc/status.h"

namespace logsvc::net {
class HttpClient;
}

namespace logsvc::aws {

struct Invocation {
  std::string request_id;   // Lambda-Runtime-Aws-Request-Id
  int64_t deadline_ms = 0;  // Lambda-Runtime-Deadline-Ms: Unix ms
  std::string trace_id;     // Lambda-Runtime-Trace-Id, for _X_AMZN_TRACE_ID
  std::string event;        // the event JSON
};

class LambdaRuntime {
 public:
  // `api` is AWS_LAMBDA_RUNTIME_API: "host:port". InvalidArgument if unusable.
  static Result<std::unique_ptr<LambdaRuntime>> Create(std::string_view api);
  ~LambdaRuntime();

  Result<Invocation> Next();
  Status Respond(const std::string& request_id, std::string body);
  Status Fail(const std::string& request_id, std::string_view type, std::string_view message);
  Status InitError(std::string_view type, std::string_view message);

 private:
  explicit LambdaRuntime(std::unique_ptr<net::HttpClient> http);
  Status Post(std::string target, std::string body, std::string_view error_type);

  std::unique_ptr<net::HttpClient> http_;
};

// The error document the Runtime API takes: {"errorMessage":..., "errorType":...}.
std::string LambdaErrorBody(std::string_view type, std::string_view message);

}  // namespace logsvc::aws

#endif  // LOGSVC_AWS_LAMBDA_RUNTIME_H_
