// DynamoDbClient: calls DynamoDB's JSON protocol (POST /, X-Amz-Target:
// DynamoDB_20120810.<Operation>, application/x-amz-json-1.0) over HTTP(S),
// signed with Signature Version 4. It knows nothing of the request bodies:
// callers build and parse the JSON (see store/dynamodb_item.h).
//
// Retries: throttling (ProvisionedThroughputExceededException,
// ThrottlingException, RequestLimitExceeded), 5xx and lost connections are
// retried with exponential back-off and full jitter, up to max_attempts and
// never starting an attempt after retry_budget has passed, so a caller hears
// back within about retry_budget + request_timeout. Each attempt is signed
// afresh. Retried requests must be idempotent (every one logsvc sends is: a
// PutItem of the same item writes the same key).
//
// Errors: kUnavailable when DynamoDB cannot be reached or keeps refusing
// (throttled, 5xx, bad credentials, access denied); kNotFound for
// ResourceNotFoundException (no such table or index); kInvalidArgument for
// other client errors (ValidationException...). Messages name the operation
// and DynamoDB's error type, never credentials.
//
// The client logs nothing: its callers decide what a failure means.
// Thread-safe; callbacks run on the client's I/O thread (see HttpClient).
#ifndef LOGSVC_AWS_DYNAMODB_CLIENT_H_
#define LOGSVC_AWS_DYNAMODB_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "logsvc/status.h"

namespace logsvc::net {
class HttpClient;
}

namespace logsvc::aws {

struct DynamoDbClientOptions {
  std::string region;
  std::string endpoint_url;  // https://dynamodb.<region>.amazonaws.com, or a local engine
  Credentials credentials;
  // The legacy DynamoDB retry policy of the AWS SDKs (up to 10 retries from a
  // 50 ms base), bounded by retry_budget: waits add up to ~2 s at most.
  int max_attempts = 8;
  std::chrono::milliseconds base_backoff{50};
  std::chrono::milliseconds max_backoff{1000};
  std::chrono::milliseconds retry_budget{2500};
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds request_timeout{2000};
  size_t max_idle_connections = 64;
};

class DynamoDbClient {
 public:
  using Done = std::function<void(Result<std::string>)>;  // the response body on success

  // InvalidArgument if the endpoint URL or region cannot be used.
  static Result<std::unique_ptr<DynamoDbClient>> Create(DynamoDbClientOptions options);
  ~DynamoDbClient();
  DynamoDbClient(const DynamoDbClient&) = delete;
  DynamoDbClient& operator=(const DynamoDbClient&) = delete;

  // Calls `operation` ("PutItem", "Query", ...) with `body`, a JSON object.
  void Call(std::string_view operation, std::string body, Done done);

  // Call, then wait; never on the client's own thread (see HttpClient).
  Result<std::string> CallAndWait(std::string_view operation, std::string body);

  // Runs `fn` on the client's thread after `delay` (a caller's own retries,
  // such as BatchWriteItem's unprocessed items). Dropped, not called, if the
  // client is destroyed first.
  void After(std::chrono::milliseconds delay, std::function<void()> fn);
  // The wait before retry `retry` (0 for the first): the client's own
  // back-off, full jitter.
  std::chrono::milliseconds RetryDelay(int retry) const;

  const std::string& endpoint_url() const { return options_.endpoint_url; }
  const std::string& region() const { return options_.region; }

 private:
  struct Attempt;
  explicit DynamoDbClient(DynamoDbClientOptions options);
  void Send(std::shared_ptr<Attempt> attempt);

  const DynamoDbClientOptions options_;
  std::unique_ptr<net::HttpClient> http_;
};

// The error type of a DynamoDB error body ("ThrottlingException" out of
// {"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",...}) and
// its message; empty strings if the body is not such an error.
struct DynamoDbError {
  std::string type;
  std::string message;
};
DynamoDbError ParseDynamoDbError(std::string_view body);

// Whether an HTTP status and error type is worth retrying.
bool IsRetryable(int http_status, std::string_view error_type);

}  // namespace logsvc::aws

#endif  // LOGSVC_AWS_DYNAMODB_CLIENT_H_
