// Unit tests of Elasticsearch bulk: src/formats/es_bulk.h (the NDJSON
// parser, field choices, the reply) and the route's answers and probes
// (src/api/es_ingest.cc).
#include "formats/es_bulk.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "api/ingest_format.h"
#include "core/attributes.h"
#include "logsvc/log_store.h"

namespace logsvc::formats {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;  // 2027-01-15T08:00:00Z

EsBulk Parse(std::string_view body, std::string_view index = "", EsFieldNames fields = {}) {
  auto r = ParseEsBulk(body, index, fields, kNow);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : EsBulk{};
}

std::string Attr(const LogEntry& e, std::string_view key) {
  const std::string* v = FindAttribute(e.attributes, key);
  return v ? *v : "<none>";
}

TEST(EsBulk, CreateAndIndexBecomeEntries) {
  EsBulk b = Parse(
      "{\"create\":{\"_index\":\"app\"}}\n"
      "{\"@timestamp\":\"2027-01-15T07:59:00.123Z\",\"message\":\" user 42 logged in \","
      "\"log\":{\"level\":\"warn\",\"logger\":\"auth\"},\"user\":{\"id\":42,\"admin\":false},"
      "\"tags\":[\"a\",\"b\"],\"gone\":null}\n"
      "\r\n"
      "{\"index\":{}}\r\n"
      "{\"@timestamp\":1799999999999,\"message\":\"second\",\"log.level\":\"ERR\"}\r\n",
      "path-index");
  ASSERT_EQ(b.entries.size(), 2u);
  ASSERT_EQ(b.items.size(), 2u);
  const LogEntry& e = b.entries[0];
  EXPECT_EQ(e.message, " user 42 logged in ");
  EXPECT_EQ(e.timestamp_ms, 1'799'999'940'123);
  EXPECT_EQ(e.severity, Severity::kWarning);
  // Message and time are the entry's own; the level stays an attribute.
  EXPECT_EQ(e.attributes, (Attributes{{"log.level", "warn"},
                                      {"log.logger", "auth"},
                                      {"tags", "[\"a\",\"b\"]"},
                                      {"user.admin", "false"},
                                      {"user.id", "42"}}));
  EXPECT_EQ(b.entries[1].timestamp_ms, 1'799'999'999'999);
  EXPECT_EQ(b.entries[1].severity, Severity::kError);  // a dotted key
  EXPECT_EQ(b.items[0].action, "create");
  EXPECT_EQ(b.items[0].index, "app");
  EXPECT_EQ(b.items[1].action, "index");
  EXPECT_EQ(b.items[1].index, "path-index");
  EXPECT_EQ(b.items[1].entry, std::optional<size_t>(1));
}

TEST(EsBulk, TimeForms) {
  EsBulk b = Parse(
      "{\"create\":{}}\n{\"message\":\"a\"}\n"
      "{\"create\":{}}\n{\"message\":\"b\",\"@timestamp\":null}\n"
      "{\"create\":{}}\n{\"message\":\"c\",\"@timestamp\":\"2027-01-15\"}\n"
      "{\"create\":{}}\n{\"message\":\"d\",\"@timestamp\":\"1799999999000\"}\n"
      "{\"create\":{}}\n{\"message\":\"e\",\"@timestamp\":1799999999000.9}\n"
      "{\"create\":{}}\n{\"message\":\"f\",\"@timestamp\":\"2027-01-15T09:00:00+01:00\"}\n",
      "i");
  ASSERT_EQ(b.entries.size(), 6u);
  EXPECT_EQ(b.entries[0].timestamp_ms, kNow);
  EXPECT_EQ(b.entries[1].timestamp_ms, kNow);
  EXPECT_EQ(b.entries[2].timestamp_ms, 1'799'971'200'000);
  EXPECT_EQ(b.entries[3].timestamp_ms, 1'799'999'999'000);
  EXPECT_EQ(b.entries[4].timestamp_ms, 1'799'999'999'000);
  EXPECT_EQ(b.entries[5].timestamp_ms, kNow);
}

TEST(EsBulk, PerItemErrorsLeaveTheOthersStored) {
  const std::string future = std::to_string(kNow + 11 * 60 * 1000);
  EsBulk b = Parse(
      "{\"create\":{}}\n{\"message\":\"ok 0\"}\n"
      "{\"delete\":{\"_id\":\"x\"}}\n"  // no document line
      "{\"create\":{}}\n{\"message\":\"ok 1\"}\n"
      "{\"update\":{\"_id\":\"x\"}}\n{\"doc\":{\"message\":\"not stored\"}}\n"
      "{\"create\":{}}\n{\"message\":\"late\",\"@timestamp\":" +
          future +
          "}\n"
          "{\"create\":{}}\nnot json\n"
          "{\"create\":{}}\n[1,2]\n"
          "{\"create\":{}}\n{\"message\":\"x\",\"@timestamp\":\"yesterday\"}\n"
          "{\"create\":{}}\n{\"message\":\"x\",\"@timestamp\":-5}\n"
          "{\"create\":{}}\n{\"message\":\"" +
          std::string(kMaxShippedMessageBytes + 1, 'x') +
          "\"}\n"
          "{\"create\":{}}\n{\"a.b\":1,\"a\":{\"b\":2},\"message\":\"x\"}\n"
          "{\"create\":{}}\n{\"message\":\"ok 2\"}\n",
      "i");
  ASSERT_EQ(b.items.size(), 12u);
  ASSERT_EQ(b.entries.size(), 3u);
  EXPECT_EQ(b.entries[0].message, "ok 0");
  EXPECT_EQ(b.entries[1].message, "ok 1");
  EXPECT_EQ(b.entries[2].message, "ok 2");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"create", ""},
      {"delete", "'delete' is not supported"},
      {"create", ""},
      {"update", "'update' is not supported"},
      {"create", "more than 10 minutes in the future"},
      {"create", "not valid JSON"},
      {"create", "must be a JSON object"},
      {"create", "Field '@timestamp'"},
      {"create", "before 1970"},
      {"create", "65537 bytes long"},
      {"create", "more than once"},
      {"create", ""}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const EsBulkItem& item = b.items[i];
    EXPECT_EQ(item.action, expected[i].first) << i;
    if (expected[i].second.empty()) {
      EXPECT_TRUE(item.entry.has_value()) << i << " " << item.error_reason;
      continue;
    }
    EXPECT_FALSE(item.entry.has_value()) << i;
    EXPECT_EQ(item.status, 400);
    EXPECT_FALSE(item.error_type.empty());
    EXPECT_NE(item.error_reason.find(expected[i].second), std::string::npos)
        << i << ": " << item.error_reason;
  }
}

TEST(EsBulk, MissingMessageStoresTheWholeDocument) {
  EsBulk b = Parse(
      "{\"create\":{}}\n{\"@timestamp\":\"2027-01-15T07:00:00Z\", \"event\" : {\"code\":7}}\n"
      "{\"create\":{}}\n{\"message\":\"\",\"x\":1}\n"
      "{\"create\":{}}\n{\"message\":404}\n"
      "{\"create\":{}}\n{\"message\":{\"text\":\"hi\"}}\n",
      "i");
  ASSERT_EQ(b.entries.size(), 4u);
  EXPECT_EQ(b.entries[0].message, R"({"@timestamp":"2027-01-15T07:00:00Z","event":{"code":7}})");
  EXPECT_EQ(b.entries[0].timestamp_ms, 1'799'996'400'000);
  EXPECT_EQ(b.entries[0].attributes, (Attributes{{"event.code", "7"}}));
  EXPECT_EQ(b.entries[1].message, R"({"message":"","x":1})");
  EXPECT_EQ(Attr(b.entries[1], "message"), "");
  EXPECT_EQ(b.entries[2].message, "404");
  // A message field that is an object flattens to message.text: not a message field.
  EXPECT_EQ(b.entries[3].message, R"({"message":{"text":"hi"}})");
  EXPECT_EQ(Attr(b.entries[3], "message.text"), "hi");
}

TEST(EsBulk, FieldParameters) {
  auto names = ParseEsFieldParams(
      "refresh=true&_msg_field=msg,log&_time_field=ts&_level_field=lvl,"
      "severity&filter_path=items.*.error");
  ASSERT_TRUE(names.ok()) << names.status().message();
  EXPECT_EQ(names.value().message, (std::vector<std::string>{"msg", "log"}));
  EXPECT_EQ(names.value().time, (std::vector<std::string>{"ts"}));
  EXPECT_EQ(names.value().level, (std::vector<std::string>{"lvl", "severity"}));
  EsBulk b = Parse(
      "{\"create\":{}}\n{\"log\":\"from log\",\"ts\":1000,\"severity\":\"debug\",\"message\":\"m\","
      "\"@timestamp\":5}\n"
      "{\"create\":{}}\n{\"msg\":\"from "
      "msg\",\"log\":\"l\",\"lvl\":\"fatal\",\"severity\":\"debug\"}"
      "\n",
      "i", names.value());
  ASSERT_EQ(b.entries.size(), 2u);
  EXPECT_EQ(b.entries[0].message, "from log");
  EXPECT_EQ(b.entries[0].timestamp_ms, 1000);
  EXPECT_EQ(b.entries[0].severity, Severity::kDebug);
  EXPECT_EQ(Attr(b.entries[0], "message"), "m");  // not the message field here
  EXPECT_EQ(Attr(b.entries[0], "@timestamp"), "5");
  EXPECT_EQ(b.entries[1].message, "from msg");
  EXPECT_EQ(b.entries[1].severity, Severity::kFatal);
  EXPECT_EQ(b.entries[1].timestamp_ms, kNow);

  EXPECT_TRUE(ParseEsFieldParams("").ok());
  EXPECT_FALSE(ParseEsFieldParams("_msg_field=").ok());
  EXPECT_FALSE(ParseEsFieldParams("_time_field=%zz").ok());
  EXPECT_FALSE(ParseEsFieldParams("_level_field=" + std::string(200, 'a')).ok());
  std::string many = "_msg_field=";
  for (int i = 0; i < 17; ++i) many += "f" + std::to_string(i) + ",";
  EXPECT_FALSE(ParseEsFieldParams(many).ok());
}

void ExpectRefused(std::string_view body, std::string_view fragment, std::string_view index = "i") {
  auto r = ParseEsBulk(body, index, {}, kNow);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << r.status().message() << " lacks " << fragment;
}

TEST(EsBulk, MalformedRequestsAreRefusedWhole) {
  ExpectRefused("", "no actions");
  ExpectRefused("\n \n", "no actions");
  ExpectRefused("not json\n{}\n", "line [1]: it is not valid JSON");
  ExpectRefused("{\"create\":{}}\n{\"message\":\"x\"}\n[]\n", "line [3]");
  ExpectRefused("{}\n{}\n", "one action");
  ExpectRefused("{\"create\":{},\"index\":{}}\n{}\n", "one action");
  ExpectRefused("{\"upsert\":{}}\n{}\n", "expected one of [create, delete, index, update]");
  ExpectRefused("{\"create\":1}\n{}\n", "metadata must be a JSON object");
  ExpectRefused("{\"create\":{\"_index\":5}}\n{}\n", "'_index' must be a string");
  ExpectRefused("{\"create\":{}}\n{\"message\":\"x\"}\n", "no index", "");
  ExpectRefused("{\"create\":{}}\n", "no document line");
  ExpectRefused("{\"create\":{}}", "no document line");
}

TEST(EsBulk, AtMostTenThousandActions) {
  std::string body;
  for (size_t i = 0; i < kMaxBatchEntries; ++i) body += "{\"create\":{}}\n{\"message\":\"x\"}\n";
  EXPECT_EQ(Parse(body, "i").entries.size(), kMaxBatchEntries);
  ExpectRefused(body + "{\"delete\":{}}\n", "more than 10000 actions");
}

TEST(EsBulk, ReplyAsElasticsearchWritesIt) {
  EsBulk b = Parse(
      "{\"create\":{\"_index\":\"a\"}}\n{\"message\":\"x\"}\n"
      "{\"delete\":{}}\n"
      "{\"index\":{}}\n{\"message\":\"y\"}\n",
      "p");
  const std::string body = EsBulkReply(b, {"id-0", "id-1"}, 7);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(body);
  EXPECT_EQ(int64_t(doc["took"]), 7);
  EXPECT_EQ(bool(doc["errors"]), true);
  simdjson::dom::array items = doc["items"];
  ASSERT_EQ(items.size(), 3u);
  simdjson::dom::element first = items.at(0)["create"];
  EXPECT_EQ(std::string_view(first["_index"]), "a");
  EXPECT_EQ(std::string_view(first["_id"]), "id-0");
  EXPECT_EQ(int64_t(first["status"]), 201);
  EXPECT_EQ(std::string_view(first["result"]), "created");
  EXPECT_EQ(int64_t(first["_shards"]["successful"]), 1);
  simdjson::dom::element second = items.at(1)["delete"];
  EXPECT_EQ(int64_t(second["status"]), 400);
  EXPECT_EQ(std::string_view(second["error"]["type"]), "illegal_argument_exception");
  simdjson::dom::element third = items.at(2)["index"];
  EXPECT_EQ(std::string_view(third["_id"]), "id-1");
  EXPECT_EQ(std::string_view(third["_index"]), "p");
  EXPECT_EQ(int64_t(third["_seq_no"]), 1);

  EsBulk ok = Parse("{\"create\":{}}\n{\"message\":\"x\"}\n", "p");
  simdjson::dom::parser p2;
  EXPECT_EQ(bool(p2.parse(EsBulkReply(ok, {"id"}, 0))["errors"]), false);
}

TEST(EsBulk, ErrorBody) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc =
      parser.parse(EsErrorBody(400, "illegal_argument_exception", "bad \"x\""));
  EXPECT_EQ(int64_t(doc["status"]), 400);
  EXPECT_EQ(std::string_view(doc["error"]["type"]), "illegal_argument_exception");
  EXPECT_EQ(std::string_view(doc["error"]["reason"]), "bad \"x\"");
  EXPECT_EQ(std::string_view(doc["error"]["root_cause"].at(0)["reason"]), "bad \"x\"");
}

// ---- the route and the probes ----

std::string_view HeaderOf(const api::Response& r, std::string_view name) {
  for (const api::Header& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

TEST(EsRoute, EveryAnswerSaysElasticsearch) {
  auto route = [](std::string_view target, std::string_view body) {
    api::Request req{"POST", target, std::string(body), {}};
    return api::ParseEsBulkRequest(req, "idx", req.body, api::FormatLimits{1 << 20}, kNow);
  };
  auto ok = route("/idx/_bulk?_msg_field=msg", "{\"create\":{}}\n{\"msg\":\"x\"}\n");
  ASSERT_FALSE(ok.refused.has_value());
  ASSERT_EQ(ok.entries.size(), 1u);
  EXPECT_EQ(ok.entries[0].message, "x");
  api::Response created = ok.created({"the-id"});
  EXPECT_EQ(created.status, 200);
  EXPECT_EQ(HeaderOf(created, "X-Elastic-Product"), "Elasticsearch");
  EXPECT_NE(created.body.find("\"_id\":\"the-id\""), std::string::npos);
  api::Response unavailable = ok.failed(Status::Unavailable("down"));
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(HeaderOf(unavailable, "Retry-After"), "1");
  EXPECT_EQ(HeaderOf(unavailable, "X-Elastic-Product"), "Elasticsearch");

  auto bad = route("/idx/_bulk", "nope\n");
  ASSERT_TRUE(bad.refused.has_value());
  EXPECT_EQ(bad.refused->status, 400);
  EXPECT_EQ(HeaderOf(*bad.refused, "X-Elastic-Product"), "Elasticsearch");
  EXPECT_EQ(route("/idx/_bulk?_msg_field=", "").refused->status, 400);

  // Every item refused: nothing to store, still a 200.
  auto none = route("/idx/_bulk", "{\"delete\":{}}\n");
  ASSERT_FALSE(none.refused.has_value());
  EXPECT_TRUE(none.entries.empty());
  EXPECT_NE(none.created({}).body.find("\"errors\":true"), std::string::npos);
}

TEST(EsRoute, Probes) {
  for (std::string_view path :
       {"/", "/_license", "/_xpack", "/_cluster/health", "/_cluster/health/logs",
        "/_ilm/policy/filebeat", "/_index_template/logs", "/_template/logstash",
        "/_ingest/pipeline/x"}) {
    auto r = api::EsProbe("GET", path);
    ASSERT_TRUE(r.has_value()) << path;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(HeaderOf(*r, "X-Elastic-Product"), "Elasticsearch") << path;
    EXPECT_EQ(HeaderOf(*r, "Content-Type"), "application/json");
    simdjson::dom::parser parser;
    EXPECT_EQ(parser.parse(r->body).error(), simdjson::SUCCESS) << path;
  }
  auto root = api::EsProbe("GET", "/");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(root->body);
  EXPECT_EQ(std::string_view(doc["tagline"]), "You Know, for Search");
  EXPECT_TRUE(std::string_view(doc["version"]["number"]).starts_with("8.19."));
  EXPECT_EQ(std::string_view(doc["version"]["build_flavor"]), "default");
  EXPECT_TRUE(api::EsProbe("HEAD", "/").has_value());
  for (std::string_view path : {"/_search", "/_cat/indices", "/_clusterx", "/_ilm", "/_nodes"}) {
    EXPECT_FALSE(api::EsProbe("GET", path).has_value()) << path;
  }
  EXPECT_FALSE(api::EsProbe("PUT", "/_index_template/x").has_value());
}

}  // namespace
}  // namespace logsvc::formats
