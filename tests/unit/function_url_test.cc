// The Lambda side of the API: events in, Function URL responses out.
#include "lambda/function_url.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "lambda/emf.h"

namespace logsvc::lambda {
namespace {

// A Function URL event (payload 2.0) as the sample in tests/testdata has it.
std::string UrlEvent(std::string_view method, std::string_view path, std::string_view body,
                     bool base64) {
  std::string e = R"({"version":"2.0","routeKey":"$default","rawPath":")" + std::string(path) +
                  R"(","rawQueryString":"","headers":{"content-type":"application/json"},)" +
                  R"("requestContext":{"http":{"method":")" + std::string(method) +
                  R"(","path":")" + std::string(path) + R"(","protocol":"HTTP/1.1"}},)" +
                  R"("body":")" + std::string(body) + R"(","isBase64Encoded":)" +
                  (base64 ? "true" : "false") + "}";
  return e;
}

EventRequest Request(Function f, std::string_view event) {
  auto routed = RouteEvent(f, event);
  EXPECT_TRUE(std::holds_alternative<EventRequest>(routed));
  return std::holds_alternative<EventRequest>(routed) ? std::get<EventRequest>(routed)
                                                      : EventRequest{};
}

api::Response Reply(Function f, std::string_view event) {
  auto routed = RouteEvent(f, event);
  EXPECT_TRUE(std::holds_alternative<api::Response>(routed));
  return std::holds_alternative<api::Response>(routed) ? std::get<api::Response>(routed)
                                                       : api::Response{};
}

TEST(ParseHandler, NamesBothFunctionsAndRefusesOthers) {
  EXPECT_EQ(ParseHandler("ingest").value(), Function::kIngest);
  EXPECT_EQ(ParseHandler("read_recent").value(), Function::kReadRecent);
  auto bad = ParseHandler("lambda_function.lambda_handler");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ingest or read_recent"), std::string::npos);
}

TEST(RouteEvent, FunctionUrlPostWithPlainBody) {
  EventRequest r =
      Request(Function::kIngest,
              UrlEvent("POST", "/", R"({\"severity\":\"info\",\"message\":\"m\"})", false));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/logs");
  EXPECT_EQ(r.body, R"({"severity":"info","message":"m"})");
}

TEST(RouteEvent, FunctionUrlBase64BodyIsDecoded) {
  // base64 of {"severity":"warning","message":"b64 é"} (UTF-8), with padding.
  EventRequest r = Request(
      Function::kIngest,
      UrlEvent("POST", "/", "eyJzZXZlcml0eSI6Indhcm5pbmciLCJtZXNzYWdlIjoiYjY0IMOpIn0=", true));
  EXPECT_EQ(r.body, "{\"severity\":\"warning\",\"message\":\"b64 \xc3\xa9\"}");
  EXPECT_EQ(Request(Function::kIngest, UrlEvent("POST", "/", "YQ==", true)).body, "a");
  EXPECT_EQ(Request(Function::kIngest, UrlEvent("POST", "/", "YWI=", true)).body, "ab");
  EXPECT_EQ(Request(Function::kIngest, UrlEvent("POST", "/", "YWJj", true)).body, "abc");
}

TEST(RouteEvent, InvalidBase64Is400) {
  api::Response r = Reply(Function::kIngest, UrlEvent("POST", "/", "not base64!", true));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("base64"), std::string::npos);
}

TEST(RouteEvent, DirectInvocationIsTheEntry) {
  const std::string event = R"({"severity":"ERROR","message":" x "})";
  EventRequest r = Request(Function::kIngest, event);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/logs");
  EXPECT_EQ(r.body, event);
  // An event that carries the entry as a "body" string.
  EXPECT_EQ(Request(Function::kIngest, R"({"body":"{\"a\":1}"})").body, R"({"a":1})");
  // Read recent: any direct invocation reads the newest entries.
  EventRequest read = Request(Function::kReadRecent, "{}");
  EXPECT_EQ(read.method, "GET");
  EXPECT_EQ(read.target, "/logs");
}

TEST(RouteEvent, EachFunctionServesItsOwnRouteGroup) {
  // Methods and paths are the Api's to refuse (one route table); the event
  // only maps the function URL's path.
  EXPECT_EQ(RoutesOf(Function::kIngest), unsigned{api::kIngestRoutes});
  EXPECT_EQ(RoutesOf(Function::kReadRecent), unsigned{api::kReadRoutes});
  EXPECT_EQ(Request(Function::kIngest, UrlEvent("GET", "/", "", false)).method, "GET");
  EXPECT_EQ(Request(Function::kIngest, UrlEvent("POST", "/other", "", false)).target,
            "/logs/other");
}

TEST(RouteEvent, TheQueryStringTravelsWithThePath) {
  std::string event = UrlEvent("GET", "/abc", "", false);
  const std::string empty = R"("rawQueryString":"")";
  event.replace(event.find(empty), empty.size(), R"("rawQueryString":"q=a%20b&limit=5")");
  EventRequest r = Request(Function::kReadRecent, event);
  EXPECT_EQ(r.target, "/logs/abc?q=a%20b&limit=5");
  std::vector<api::HeaderField> fields;
  api::Request req = ToApiRequest(r, &fields);
  EXPECT_EQ(req.path(), "/logs/abc");
  EXPECT_EQ(req.query(), "q=a%20b&limit=5");
  EXPECT_EQ(Request(Function::kReadRecent, UrlEvent("GET", "/", "", false)).target, "/logs");
}

TEST(RouteEvent, ReadRecentPaths) {
  EXPECT_EQ(Request(Function::kReadRecent, UrlEvent("GET", "/", "", false)).target, "/logs");
  EXPECT_EQ(Request(Function::kReadRecent, UrlEvent("GET", "/logs", "", false)).target, "/logs");
  EXPECT_EQ(Request(Function::kReadRecent, UrlEvent("GET", "/abc", "", false)).target, "/logs/abc");
  EXPECT_EQ(Request(Function::kReadRecent, UrlEvent("HEAD", "/logs/abc", "", false)).target,
            "/logs/abc");
}

TEST(RouteEvent, FunctionUrlHeadersReachTheApiRequest) {
  EventRequest r = Request(Function::kIngest, UrlEvent("POST", "/", "{}", false));
  ASSERT_EQ(r.headers.size(), 1u);
  std::vector<api::HeaderField> fields;
  api::Request req = ToApiRequest(r, &fields);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/logs");
  EXPECT_EQ(req.body, "{}");
  EXPECT_EQ(req.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(req.headers.Get("Content-Encoding"), std::nullopt);
  EXPECT_TRUE(Request(Function::kIngest, R"({"severity":"info","message":"m"})").headers.empty());
}

TEST(FunctionUrlResponse, CarriesStatusHeadersAndBodyAsAString) {
  api::Response r;
  r.status = 201;
  r.headers.push_back({"Content-Type", "application/json"});
  r.headers.push_back({"Location", "/logs/x"});
  r.body = R"({"statusCode":201,"message":"a \"quoted\" word"})";
  const std::string out = FunctionUrlResponse(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(int64_t(doc["statusCode"]), 201);
  EXPECT_EQ(std::string_view(doc["headers"]["Content-Type"]), "application/json");
  // The original's CORS, on every response.
  EXPECT_EQ(std::string_view(doc["headers"]["Access-Control-Allow-Origin"]), "*");
  EXPECT_EQ(std::string_view(doc["headers"]["Location"]), "/logs/x");  // as the Api says
  // Once, even when the Api's response said it too.
  r.headers.push_back({"Access-Control-Allow-Origin", "*"});
  const std::string twice = FunctionUrlResponse(r);
  EXPECT_EQ(twice.find("Access-Control-Allow-Origin"), twice.rfind("Access-Control-Allow-Origin"));
  EXPECT_EQ(std::string_view(doc["body"]), r.body);
  EXPECT_FALSE(bool(doc["isBase64Encoded"]));
}

TEST(FunctionUrlResponse, SendsASharedBody) {
  api::Response r;
  r.status = 200;
  r.shared_body = std::make_shared<const std::string>(R"({"statusCode":200,"count":0,"logs":[]})");
  const std::string out = FunctionUrlResponse(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(out);
  EXPECT_EQ(std::string_view(doc["body"]), *r.shared_body);
}

// EMF lines (lambda/emf.h): what moved, one document per agreeing label set.
TEST(EmfTest, DeltasOfMovedCountersWithTheirLabelsAsDimensions) {
  using Sample = metrics::Metrics::CounterSample;
  Counters before{{"a_total{route=\"x\"}", Sample{"a_total", {{"route", "x"}}, 2}},
                  {"idle_total", Sample{"idle_total", {}, 5}}};
  Counters after = before;
  after["a_total{route=\"x\"}"].value = 3;
  after["b_seconds_sum{route=\"y\"}"] = Sample{"b_seconds_sum", {{"route", "y"}}, 0.25};
  after["b_seconds_count{route=\"y\"}"] = Sample{"b_seconds_count", {{"route", "y"}}, 1};
  const std::string lines = EmfLines("ingest", 1700000000000, before, after);
  simdjson::dom::parser parser;
  std::vector<std::string> docs;
  size_t start = 0;
  for (size_t nl; (nl = lines.find('\n', start)) != std::string::npos; start = nl + 1) {
    docs.push_back(lines.substr(start, nl - start));
  }
  ASSERT_EQ(docs.size(), 2u) << lines;  // route x and route y disagree
  simdjson::dom::element first = parser.parse(docs[0]);
  EXPECT_EQ(std::string_view(first["function"]), "ingest");
  EXPECT_EQ(std::string_view(first["route"]), "x");
  EXPECT_EQ(double(first["a_total"]), 1.0);
  EXPECT_EQ(int64_t(first["_aws"]["Timestamp"]), 1700000000000);
  simdjson::dom::element directive = first["_aws"]["CloudWatchMetrics"].at(0);
  EXPECT_EQ(std::string_view(directive["Namespace"]), "logsvc");
  EXPECT_EQ(std::string_view(directive["Dimensions"].at(0).at(1)), "route");
  EXPECT_EQ(std::string_view(directive["Metrics"].at(0)["Unit"]), "Count");
  simdjson::dom::element second = parser.parse(docs[1]);
  EXPECT_EQ(std::string_view(second["route"]), "y");
  EXPECT_EQ(double(second["b_seconds_sum"]), 0.25);
  EXPECT_EQ(std::string_view(second["_aws"]["CloudWatchMetrics"].at(0)["Metrics"].at(0)["Unit"]),
            "Seconds");
  EXPECT_TRUE(second["b_seconds_count"].error());  // _count is not sent: requests_total says it
  EXPECT_EQ(lines.find("idle_total"), std::string::npos);
  EXPECT_EQ(EmfLines("ingest", 1, after, after), "");
}

}  // namespace
}  // namespace logsvc::lambda
