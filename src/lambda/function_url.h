// The Lambda side of the API: which function this is, how its invocation
// events become api::Requests, and how an api::Response goes back in the
// Lambda Function URL format. Pure functions, no I/O; the bootstrap
// (src/lambda/bootstrap_main.cc) runs them in the Runtime API loop.
//
// Events understood:
//   - Function URL (payload format 2.0): requestContext.http.method, rawPath,
//     headers (names lower-case, repeated fields joined with commas), body,
//     isBase64Encoded;
//   - a direct invocation (aws lambda invoke, another service) whose event is
//     the entry itself, {"severity":..., "message":...}, as the original takes
//     it; an event with a string "body" field uses that body.
// Each function answers only its own routes, as the original's two URLs do
// (RoutesOf: the Api's route table, restricted to the function's group):
//   ingest:       POST to "/" or "/logs" (the entry);       other methods 405;
//                 the shippers' routes at their own paths (POST /v1/logs,
//                 /loki/api/v1/push, /_bulk, /{index}/_bulk; GET /_... as
//                 Elasticsearch answers them, but not GET /: api/ingest_format.h)
//   read_recent:  GET or HEAD "/" or "/logs" (newest 100),
//                 "/{logId}" or "/logs/{logId}" (one entry); other methods 405
// OPTIONS is answered as a CORS preflight by both. CORS is the original's:
// every response says Access-Control-Allow-Origin: * (FunctionUrlResponse),
// and the Api runs with AnyHost() and AnyOrigin(); what a Function URL itself
// allows is configured in infrastructure/.
#ifndef LOGSVC_LAMBDA_FUNCTION_URL_H_
#define LOGSVC_LAMBDA_FUNCTION_URL_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/api.h"
#include "logsvc/status.h"

namespace logsvc::lambda {

enum class Function { kIngest, kReadRecent };

// The function a _HANDLER setting names: "ingest" or "read_recent".
// InvalidArgument naming the accepted values otherwise.
Result<Function> ParseHandler(std::string_view handler);

// An event turned into a request for the Api (which takes views of method,
// target and headers, so these own them).
struct EventRequest {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
};

// The api::Request for `req`, its views pointing into `req` and `fields`
// (filled here); both must outlive the request.
api::Request ToApiRequest(const EventRequest& req, std::vector<api::HeaderField>* fields);

// The Api routes (api::RouteGroup bits) a function serves: its own, so that
// methods and paths it does not take get the Api's 405 and 404.
unsigned RoutesOf(Function function);

// Turns one event into the request to hand to the Api (which routes it), or
// the response to send as it is (a body marked base64 that is not).
std::variant<EventRequest, api::Response> RouteEvent(Function function, std::string_view event);

// The Function URL response document: statusCode, headers (with
// Access-Control-Allow-Origin: *, as the original sends on every response),
// body (a string), isBase64Encoded false.
std::string FunctionUrlResponse(const api::Response& response);

}  // namespace logsvc::lambda

#endif  // LOGSVC_LAMBDA_FUNCTION_URL_H_
