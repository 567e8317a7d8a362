// Unit tests of src/store/dynamodb_item: the original design's item and the
// request and response bodies exchanged with DynamoDB about it. The requests
// are parsed back with simdjson rather than compared as text.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/datetime.h"
#include "core/time_bound.h"
#include "core/uuid.h"
#include "store/dynamodb_item.h"

namespace logsvc::store::dynamodb {
namespace {

// A string field of a parsed object, or "<missing>".
std::string Str(simdjson::dom::element e) {
  std::string_view s;
  return e.get(s) ? std::string("<missing>") : std::string(s);
}

// The value of attribute `name` of kind `kind` ("S", "N") in an item, checking
// that the attribute has that one kind only.
std::string Attr(simdjson::dom::object item, std::string_view name, std::string_view kind) {
  simdjson::dom::object attr;
  if (item[name].get(attr)) return "<no attribute>";
  if (attr.size() != 1) return "<more than one type>";
  return Str(attr[kind]);
}

// Ids that look like the real ones, from a fixed seed (deterministic).
std::vector<std::string> SeededUuids(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) {
    uuid::Bytes b;
    for (auto& byte : b) byte = static_cast<uint8_t>(rng());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    ids.push_back(uuid::Format(b));
  }
  return ids;
}

// ---- partitions and shards -------------------------------------------------------

TEST(DynamoDbItem, IndexPartition) {
  EXPECT_EQ(IndexPartition(0), "LOG");
  EXPECT_EQ(IndexPartition(0), kOriginalPartition);
  EXPECT_EQ(IndexPartition(1), "LOG#1");
  EXPECT_EQ(IndexPartition(3), "LOG#3");
  EXPECT_EQ(IndexPartition(15), "LOG#15");
}

TEST(DynamoDbItem, ShardOfIsInRangeAndStable) {
  const auto ids = SeededUuids(1000, 1);
  for (int shards : {2, 3, 8, 16}) {
    for (const std::string& id : ids) {
      int s = ShardOf(id, shards);
      ASSERT_GE(s, 0) << id;
      ASSERT_LT(s, shards) << id;
      EXPECT_EQ(ShardOf(std::string(id), shards), s) << id;  // a copy: same shard
    }
  }
}

TEST(DynamoDbItem, ShardOfWithOneShardIsAlwaysZero) {
  for (const std::string& id : SeededUuids(200, 2)) {
    EXPECT_EQ(ShardOf(id, 1), 0) << id;
    EXPECT_EQ(ShardOf(id, 0), 0) << id;  // nonsense, but never out of range
  }
  EXPECT_EQ(ShardOf("", 1), 0);
}

TEST(DynamoDbItem, ShardOfSpreadsIdsEvenly) {
  constexpr int kShards = 8;
  constexpr int kIds = 10000;
  std::vector<int> counts(kShards, 0);
  for (const std::string& id : SeededUuids(kIds, 3)) ++counts[ShardOf(id, kShards)];
  const double mean = static_cast<double>(kIds) / kShards;
  for (int s = 0; s < kShards; ++s) {
    EXPECT_GT(counts[s], 0) << "shard " << s;
    EXPECT_GE(counts[s], mean * 0.8) << "shard " << s;
    EXPECT_LE(counts[s], mean * 1.2) << "shard " << s;
  }
  // The same with the generator the service uses.
  std::vector<int> live(kShards, 0);
  for (int i = 0; i < kIds; ++i) ++live[ShardOf(uuid::Format(uuid::NewV4()), kShards)];
  for (int s = 0; s < kShards; ++s) {
    EXPECT_GE(live[s], mean * 0.8) << "shard " << s;
    EXPECT_LE(live[s], mean * 1.2) << "shard " << s;
  }
}

// ---- requests --------------------------------------------------------------------

TEST(DynamoDbItem, RetentionAddsExpiresAtToEveryItem) {
  const LogEntry e{"0b7e2a8c-4d1f-4f6e-9a3b-2c5d8e1f7a90", 1706356800999, Severity::kInfo, "m"};
  simdjson::dom::parser parser;
  simdjson::dom::object doc, item;
  const std::string put = PutItemRequest("Logs", e, "LOG", 30 * 86400);
  ASSERT_FALSE(parser.parse(put).get(doc)) << put;
  ASSERT_FALSE(doc["Item"].get(item));
  EXPECT_EQ(Attr(item, "expiresAt", "N"), std::to_string(1706356800 + 30 * 86400));
  // Before 1970 too: whole seconds, rounded down.
  const LogEntry early{e.log_id, -1500, Severity::kInfo, "m"};
  const std::string before_epoch = PutItemRequest("Logs", early, "LOG", 10);
  ASSERT_FALSE(parser.parse(before_epoch).get(doc));
  ASSERT_FALSE(doc["Item"].get(item));
  EXPECT_EQ(Attr(item, "expiresAt", "N"), "8");
  const std::vector<LogEntry> batch{e};
  const std::string batch_body = BatchWriteItemRequest("Logs", batch, 1, 60);
  EXPECT_NE(batch_body.find("\"expiresAt\":{\"N\":\"1706356860\"}"), std::string::npos)
      << batch_body;
  // Without retention, the original's item exactly (no expiresAt).
  EXPECT_EQ(PutItemRequest("Logs", e, "LOG").find("expiresAt"), std::string::npos);
}

TEST(DynamoDbItem, PutItemRequestHasTheOriginalItem) {
  const LogEntry e{"0b7e2a8c-4d1f-4f6e-9a3b-2c5d8e1f7a90", 1706356800123, Severity::kWarning,
                   "disk almost full"};
  const std::string body = PutItemRequest("Logs", e, "LOG#3");
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  EXPECT_EQ(Str(doc["TableName"]), "Logs");
  simdjson::dom::object item;
  ASSERT_FALSE(doc["Item"].get(item)) << body;
  EXPECT_EQ(item.size(), 6u) << body;
  EXPECT_EQ(Attr(item, "logId", "S"), e.log_id);
  EXPECT_EQ(Attr(item, "timestamp", "N"), "1706356800123");
  EXPECT_EQ(Attr(item, "datetime", "S"), "2024-01-27T12:00:00.123Z");
  EXPECT_EQ(Attr(item, "severity", "S"), "warning");
  EXPECT_EQ(Attr(item, "message", "S"), "disk almost full");
  EXPECT_EQ(Attr(item, "type", "S"), "LOG#3");

  // Shard 0 is the original design's constant.
  const std::string original = PutItemRequest("Logs", e, IndexPartition(0));
  ASSERT_FALSE(parser.parse(original).get(doc)) << original;
  ASSERT_FALSE(doc["Item"].get(item));
  EXPECT_EQ(Attr(item, "type", "S"), "LOG");
}

TEST(DynamoDbItem, PutItemRequestEscapesTheMessage) {
  const std::string message =
      "He said \"hi\" \\ then\nleft\ttab \xF0\x9F\x98\x80 </script><script>alert(1)</script> "
      "\xC3\xA9\x01";
  const LogEntry e{"0b7e2a8c-4d1f-4f6e-9a3b-2c5d8e1f7a90", 0, Severity::kError, message};
  const std::string body = PutItemRequest("Table \"quoted\"", e, "LOG");
  EXPECT_EQ(body.find("</script>"), std::string::npos) << body;
  EXPECT_EQ(body.find('\n'), std::string::npos) << body;
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  EXPECT_EQ(Str(doc["TableName"]), "Table \"quoted\"");
  simdjson::dom::object item;
  ASSERT_FALSE(doc["Item"].get(item));
  EXPECT_EQ(Attr(item, "message", "S"), message);
  EXPECT_EQ(Attr(item, "timestamp", "N"), "0");
  EXPECT_EQ(Attr(item, "datetime", "S"), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Attr(item, "severity", "S"), "error");
}

// The severities the FilterExpression names, or {} without one.
std::set<std::string> FilteredOut(simdjson::dom::object doc) {
  std::string_view expr;
  if (doc["FilterExpression"].get(expr)) return {};
  EXPECT_EQ(expr.substr(0, 17), "NOT (#sev IN (:x0");
  EXPECT_EQ(Str(doc["ExpressionAttributeNames"]["#sev"]), "severity");
  std::set<std::string> out;
  for (int i = 0; i < static_cast<int>(kSeverityCount); ++i) {
    std::string name = ":x" + std::to_string(i);
    if (expr.find(name) == std::string_view::npos) continue;
    simdjson::dom::object values;
    EXPECT_FALSE(doc["ExpressionAttributeValues"].get(values));
    out.insert(Attr(values, name, "S"));
  }
  return out;
}

TEST(DynamoDbItem, QueryIndexRequest) {
  IndexQuery q{.table = "Logs",
               .type = "LOG#3",
               .from_ms = 1000,
               .to_ms = 2000,
               .order = Order::kDesc,
               .limit = 100};
  const std::string body = QueryIndexRequest(q);
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  EXPECT_EQ(Str(doc["TableName"]), "Logs");
  EXPECT_EQ(Str(doc["IndexName"]), "TimestampIndex");
  EXPECT_EQ(Str(doc["KeyConditionExpression"]), "#t = :t AND #ts BETWEEN :from AND :last");
  EXPECT_EQ(Str(doc["ExpressionAttributeNames"]["#t"]), "type");
  EXPECT_EQ(Str(doc["ExpressionAttributeNames"]["#ts"]), "timestamp");
  simdjson::dom::object values;
  ASSERT_FALSE(doc["ExpressionAttributeValues"].get(values));
  EXPECT_EQ(values.size(), 3u) << body;
  EXPECT_EQ(Attr(values, ":t", "S"), "LOG#3");
  EXPECT_EQ(Attr(values, ":from", "N"), "1000");
  // to_ms is exclusive, BETWEEN is not: up to the last number of millisecond 1999.
  EXPECT_EQ(Attr(values, ":last", "N"), "1999." + std::string(34, '9'));
  bool forward = true;
  ASSERT_FALSE(doc["ScanIndexForward"].get(forward)) << body;
  EXPECT_FALSE(forward);
  uint64_t limit = 0;
  ASSERT_FALSE(doc["Limit"].get(limit)) << body;
  EXPECT_EQ(limit, 100u);
  EXPECT_EQ(Str(doc["ReturnConsumedCapacity"]), "TOTAL");
  simdjson::dom::element absent;
  EXPECT_EQ(doc["ExclusiveStartKey"].get(absent), simdjson::NO_SUCH_FIELD) << body;
  EXPECT_EQ(doc["FilterExpression"].get(absent), simdjson::NO_SUCH_FIELD) << body;
  EXPECT_EQ(doc["ConsistentRead"].get(absent), simdjson::NO_SUCH_FIELD) << body;

  q.order = Order::kAsc;
  q.from_ms = kTimeMinMs;
  q.to_ms = kTimeMaxMs;
  const std::string asc = QueryIndexRequest(q);
  ASSERT_FALSE(parser.parse(asc).get(doc)) << asc;
  ASSERT_FALSE(doc["ScanIndexForward"].get(forward)) << asc;
  EXPECT_TRUE(forward);
  ASSERT_FALSE(doc["ExpressionAttributeValues"].get(values));
  EXPECT_EQ(Attr(values, ":from", "N"), "-62167219200000." + std::string(24, '9'));
  EXPECT_EQ(Attr(values, ":last", "N"), "253402300799999." + std::string(23, '9'));
}

TEST(DynamoDbItem, KeyConditionBoundsHoldEveryNumberOfTheRange) {
  // The numbers whose whole milliseconds (truncated) are in [from, to), with
  // DynamoDB's 38 significant digits.
  EXPECT_EQ(LowestNumberOf(5), "5");
  EXPECT_EQ(LowestNumberOf(1706356800000), "1706356800000");
  EXPECT_EQ(LowestNumberOf(0), "-0." + std::string(38, '9'));   // -0.5 is millisecond 0
  EXPECT_EQ(LowestNumberOf(-5), "-5." + std::string(37, '9'));  // -5.5 is -5
  EXPECT_EQ(HighestNumberBefore(2000), "1999." + std::string(34, '9'));
  EXPECT_EQ(HighestNumberBefore(1), "0." + std::string(38, '9'));
  EXPECT_EQ(HighestNumberBefore(0), "-1");  // -0.5 is 0, not before 0
  EXPECT_EQ(HighestNumberBefore(-5), "-6");
  // Every bound is a number ParseTimestampMillis reads, in the range it bounds
  // (or, past the point, on its edge).
  for (int64_t ms : {int64_t{-5}, int64_t{0}, int64_t{1}, int64_t{1706356800000}}) {
    int64_t v = 0;
    ASSERT_TRUE(ParseTimestampMillis(LowestNumberOf(ms), &v)) << ms;
    ASSERT_TRUE(ParseTimestampMillis(HighestNumberBefore(ms + 1), &v)) << ms;
  }
}

TEST(DynamoDbItem, QueryIndexRequestStartsAfterTheKey) {
  const ItemKey key{"0b7e2a8c-4d1f-4f6e-9a3b-2c5d8e1f7a90", "1706356800000.5", 1706356800000};
  IndexQuery q{.table = "Logs",
               .type = "LOG#7",
               .from_ms = 0,
               .to_ms = 1706356900000,
               .limit = 7,
               .exclusive_start = &key};
  const std::string body = QueryIndexRequest(q);
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  simdjson::dom::object start;
  ASSERT_FALSE(doc["ExclusiveStartKey"].get(start)) << body;
  EXPECT_EQ(start.size(), 3u);
  EXPECT_EQ(Attr(start, "logId", "S"), key.log_id);
  EXPECT_EQ(Attr(start, "timestamp", "N"), "1706356800000.5");  // exactly as DynamoDB wrote it
  EXPECT_EQ(Attr(start, "type", "S"), "LOG#7");
  uint64_t limit = 0;
  ASSERT_FALSE(doc["Limit"].get(limit));
  EXPECT_EQ(limit, 7u);
}

TEST(DynamoDbItem, QueryIndexRequestFiltersOutOnlyUnwantedStoredSeverities) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  auto out_for = [&](std::initializer_list<Severity> wanted) {
    SeveritySet set;
    for (Severity s : wanted) set.Add(s);
    IndexQuery q{.table = "Logs", .type = "LOG", .from_ms = 0, .to_ms = 10, .severities = set};
    const std::string body = QueryIndexRequest(q);
    EXPECT_FALSE(parser.parse(body).get(doc)) << body;
    return FilteredOut(doc);
  };
  EXPECT_EQ(out_for({Severity::kError}),
            (std::set<std::string>{"trace", "debug", "info", "warning", "fatal"}));
  EXPECT_EQ(out_for({Severity::kInfo, Severity::kWarning, Severity::kTrace, Severity::kDebug}),
            (std::set<std::string>{"error", "fatal"}));
  EXPECT_EQ(out_for({Severity::kInfo, Severity::kWarning, Severity::kError, Severity::kTrace,
                     Severity::kDebug, Severity::kFatal}),
            std::set<std::string>{});
}

TEST(DynamoDbItem, QueryByIdRequest) {
  const std::string id = "0b7e2a8c-4d1f-4f6e-9a3b-2c5d8e1f7a90";
  const std::string body = QueryByIdRequest("Logs", id);
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  EXPECT_EQ(Str(doc["TableName"]), "Logs");
  EXPECT_EQ(Str(doc["KeyConditionExpression"]), "logId = :id");
  simdjson::dom::object values;
  ASSERT_FALSE(doc["ExpressionAttributeValues"].get(values));
  EXPECT_EQ(Attr(values, ":id", "S"), id);
  bool consistent = false;
  ASSERT_FALSE(doc["ConsistentRead"].get(consistent)) << body;
  EXPECT_TRUE(consistent);
  // A consistent read must go to the table: an index cannot serve one.
  simdjson::dom::element absent;
  EXPECT_EQ(doc["IndexName"].get(absent), simdjson::NO_SUCH_FIELD) << body;
}

TEST(DynamoDbItem, DescribeTableRequest) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  const std::string body = DescribeTableRequest("Logs");
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  EXPECT_EQ(Str(doc["TableName"]), "Logs");
  EXPECT_EQ(doc.size(), 1u);
}

// ---- Query responses -------------------------------------------------------------

// Two items the way the original Python (boto3) writes them, in DynamoDB's
// attribute order (which is not ours), newest first, and a next page.
constexpr std::string_view kPythonPage = R"({
  "Count": 2, "ScannedCount": 2,
  "Items": [
    {"datetime": {"S": "2024-01-27T12:00:00.000Z"}, "severity": {"S": "error"},
     "logId": {"S": "7f0e7a1c-94a1-4c4e-8c55-1f0a3b6f9d21"},
     "message": {"S": "Failed to process payment \u00e9 \ud83d\ude00"},
     "type": {"S": "LOG"}, "timestamp": {"N": "1706356800000"}},
    {"timestamp": {"N": "1706356799000.0"}, "type": {"S": "LOG"},
     "logId": {"S": "2a4b6c8d-0e1f-4a3b-8c5d-6e7f8a9b0c1d"}, "severity": {"S": "INFO"},
     "message": {"S": "Application started successfully"},
     "datetime": {"S": "2024-01-27T11:59:59"}}
  ],
  "LastEvaluatedKey": {"logId": {"S": "2a4b6c8d-0e1f-4a3b-8c5d-6e7f8a9b0c1d"},
                       "timestamp": {"N": "1706356799000"}, "type": {"S": "LOG"}}
})";

TEST(DynamoDbItem, ParseQueryResponseReadsThePythonItems) {
  auto page = ParseQueryResponse(kPythonPage);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page.value().skipped, 0u);
  ASSERT_EQ(page.value().entries.size(), 2u);
  const LogEntry& a = page.value().entries[0];
  EXPECT_EQ(a.log_id, "7f0e7a1c-94a1-4c4e-8c55-1f0a3b6f9d21");
  EXPECT_EQ(a.timestamp_ms, 1706356800000);
  EXPECT_EQ(a.severity, Severity::kError);
  EXPECT_EQ(a.message, "Failed to process payment \xC3\xA9 \xF0\x9F\x98\x80");
  const LogEntry& b = page.value().entries[1];
  EXPECT_EQ(b.log_id, "2a4b6c8d-0e1f-4a3b-8c5d-6e7f8a9b0c1d");
  EXPECT_EQ(b.timestamp_ms, 1706356799000);  // from "1706356799000.0"
  EXPECT_EQ(b.severity, Severity::kInfo);    // from "INFO"
  EXPECT_EQ(b.message, "Application started successfully");
}

TEST(DynamoDbItem, VisitQueryResponseGivesTheKeysAndCounts) {
  std::vector<ItemKey> keys;
  auto info = VisitQueryResponse(kPythonPage, [&](const ItemView& v) { keys.push_back(v.Key()); });
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info.value().scanned, 2u);
  EXPECT_EQ(info.value().skipped, 0u);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0],
            (ItemKey{"7f0e7a1c-94a1-4c4e-8c55-1f0a3b6f9d21", "1706356800000", 1706356800000}));
  // Another writer's spelling of the number is kept: the key must be exact.
  EXPECT_EQ(keys[1],
            (ItemKey{"2a4b6c8d-0e1f-4a3b-8c5d-6e7f8a9b0c1d", "1706356799000.0", 1706356799000}));
  ASSERT_TRUE(info.value().last_evaluated.has_value());
  EXPECT_EQ(*info.value().last_evaluated,
            (ItemKey{"2a4b6c8d-0e1f-4a3b-8c5d-6e7f8a9b0c1d", "1706356799000", 1706356799000}));

  // A FilterExpression's page: fewer items than DynamoDB read, and its key
  // is the last item read, which is not among them.
  auto filtered = VisitQueryResponse(
      R"({"Items":[],"Count":0,"ScannedCount":250,"LastEvaluatedKey":{"logId":{"S":"x"},"timestamp":{"N":"5"},"type":{"S":"LOG#2"}}})",
      [](const ItemView&) { ADD_FAILURE() << "no item"; });
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered.value().scanned, 250u);
  EXPECT_EQ(filtered.value().last_evaluated, (ItemKey{"x", "5", 5}));

  // A LastEvaluatedKey that is not an item's key is DynamoDB's error, not a page end.
  for (std::string_view body : {
           R"({"Items":[],"LastEvaluatedKey":{"timestamp":{"N":"5"}}})",
           R"({"Items":[],"LastEvaluatedKey":{"logId":{"S":"x"},"timestamp":{"S":"5"}}})",
       }) {
    auto bad = VisitQueryResponse(body, [](const ItemView&) {});
    ASSERT_FALSE(bad.ok()) << body;
    EXPECT_EQ(bad.status().code(), Status::Code::kInternal);
  }
}

TEST(DynamoDbItem, ParseQueryResponseSkipsItemsThatAreNotEntries) {
  constexpr std::string_view body = R"({"Items": [
    {"logId": {"S": "a"}, "timestamp": {"N": "1"}, "severity": {"S": "verbose"}, "message": {"S": "m"}},
    {"logId": {"S": "b"}, "timestamp": {"N": "2"}, "severity": {"S": "info"}},
    {"logId": {"S": "c"}, "timestamp": {"S": "3"}, "severity": {"S": "info"}, "message": {"S": "m"}},
    {"logId": {"S": "d"}, "timestamp": {"N": "four"}, "severity": {"S": "info"}, "message": {"S": "m"}},
    {"timestamp": {"N": "5"}, "severity": {"S": "info"}, "message": {"S": "m"}},
    {"logId": {"S": "f"}, "timestamp": {"N": "6"}, "severity": {"S": "info"}, "message": {"N": "6"}},
    42,
    {"logId": {"S": "ok"}, "timestamp": {"N": "7"}, "severity": {"S": "warning"}, "message": {"S": "fine"}}
  ], "Count": 8})";
  auto page = ParseQueryResponse(body);
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(page.value().skipped, 7u);
  ASSERT_EQ(page.value().entries.size(), 1u);
  EXPECT_EQ(page.value().entries[0].log_id, "ok");
  EXPECT_EQ(page.value().entries[0].timestamp_ms, 7);
  EXPECT_EQ(page.value().entries[0].severity, Severity::kWarning);
  EXPECT_EQ(page.value().entries[0].message, "fine");
}

TEST(DynamoDbItem, ParseQueryResponseOfAnEmptyPage) {
  auto page = ParseQueryResponse(R"({"Items":[],"Count":0,"ScannedCount":0})");
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_TRUE(page.value().entries.empty());
  EXPECT_EQ(page.value().skipped, 0u);
}

TEST(DynamoDbItem, ParseQueryResponseWithoutItemsIsAnError) {
  for (std::string_view body :
       {R"({"Count":0})", R"({"Items":{}})", R"({"Items":"none"})", "[]", "", "not json",
        R"({"__type":"com.amazonaws.dynamodb.v20120810#ValidationException"})"}) {
    auto page = ParseQueryResponse(body);
    EXPECT_FALSE(page.ok()) << body;
    if (!page.ok()) {
      EXPECT_EQ(page.status().code(), Status::Code::kInternal) << body;
    }
  }
}

TEST(DynamoDbItem, PutItemThenQueryRoundTrips) {
  const LogEntry e{uuid::Format(uuid::NewV4()), 1706356800999, Severity::kInfo,
                   "quote \" backslash \\ newline\n emoji \xF0\x9F\x98\x80 </script>"};
  const std::string put = PutItemRequest("Logs", e, "LOG");
  simdjson::dom::parser parser;
  simdjson::dom::element item;
  ASSERT_FALSE(parser.parse(put)["Item"].get(item)) << put;
  const std::string response = "{\"Items\":[" + simdjson::minify(item) + "],\"Count\":1}";
  auto page = ParseQueryResponse(response);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page.value().entries.size(), 1u) << response;
  const LogEntry& back = page.value().entries[0];
  EXPECT_EQ(back.log_id, e.log_id);
  EXPECT_EQ(back.timestamp_ms, e.timestamp_ms);
  EXPECT_EQ(back.severity, e.severity);
  EXPECT_EQ(back.message, e.message);
}

TEST(DynamoDbItem, AttributesAreOneMapOfStrings) {
  LogEntry e{uuid::Format(uuid::NewV4()), 1706356800999, Severity::kTrace, "traced"};
  e.attributes = {{"a \"quoted\" key", "v"}, {"service.name", "checkout"}, {"empty", ""}};
  std::sort(e.attributes.begin(), e.attributes.end(),
            [](const Attribute& a, const Attribute& b) { return a.key < b.key; });
  const std::string put = PutItemRequest("Logs", e, "LOG");
  EXPECT_NE(put.find(R"("attributes":{"M":{)"), std::string::npos) << put;
  EXPECT_NE(put.find(R"("service.name":{"S":"checkout"})"), std::string::npos) << put;
  EXPECT_NE(put.find(R"("severity":{"S":"trace"})"), std::string::npos) << put;
  simdjson::dom::parser parser;
  simdjson::dom::element item;
  ASSERT_FALSE(parser.parse(put)["Item"].get(item)) << put;
  auto page = ParseQueryResponse("{\"Items\":[" + simdjson::minify(item) + "],\"Count\":1}");
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page.value().entries.size(), 1u);
  EXPECT_EQ(page.value().entries[0].attributes, e.attributes);
  EXPECT_EQ(page.value().entries[0].severity, Severity::kTrace);
  // Without attributes, the item is the original's: no attributes key at all.
  e.attributes.clear();
  EXPECT_EQ(PutItemRequest("Logs", e, "LOG").find("attributes"), std::string::npos);
  // Another writer's map, unordered and with a number: the strings, sorted.
  auto other = ParseQueryResponse(R"({"Items":[{"logId":{"S":"x"},"timestamp":{"N":"1"},
    "severity":{"S":"info"},"message":{"S":"m"},
    "attributes":{"M":{"z":{"S":"1"},"n":{"N":"2"},"a":{"S":"3"}}}}]})");
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other.value().entries.size(), 1u);
  EXPECT_EQ(other.value().entries[0].attributes, (Attributes{{"a", "3"}, {"z", "1"}}));
}

// ---- BatchWriteItem ----------------------------------------------------------------

TEST(DynamoDbItem, BatchWriteItemRequestHoldsThePutItemItems) {
  std::vector<LogEntry> entries;
  for (const std::string& id : SeededUuids(25, 4)) {
    entries.push_back(LogEntry{id, 1706356800000 + static_cast<int64_t>(entries.size()),
                               Severity::kError, "batch \"entry\" " + id});
  }
  const std::string body = BatchWriteItemRequest("Logs", entries, 8);
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  ASSERT_FALSE(parser.parse(body).get(doc)) << body;
  simdjson::dom::object request_items;
  ASSERT_FALSE(doc["RequestItems"].get(request_items));
  EXPECT_EQ(request_items.size(), 1u);
  simdjson::dom::array puts;
  ASSERT_FALSE(request_items["Logs"].get(puts)) << body;
  ASSERT_EQ(puts.size(), entries.size());
  simdjson::dom::parser put_parser;
  size_t i = 0;
  for (simdjson::dom::element put : puts) {
    const LogEntry& e = entries[i++];
    simdjson::dom::element item;
    ASSERT_FALSE(put["PutRequest"]["Item"].get(item)) << body;
    // The same item PutItem writes, in the shard the id picks.
    simdjson::dom::element single;
    const std::string put_body = PutItemRequest("Logs", e, IndexPartition(ShardOf(e.log_id, 8)));
    ASSERT_FALSE(put_parser.parse(put_body)["Item"].get(single));
    EXPECT_EQ(simdjson::minify(item), simdjson::minify(single)) << e.log_id;
  }
}

TEST(DynamoDbItem, ParseBatchWriteItemResponse) {
  auto done = ParseBatchWriteItemResponse(R"({"UnprocessedItems":{}})");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done.value(), "");
  auto none = ParseBatchWriteItemResponse(R"({"ConsumedCapacity":[]})");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), "");
  const std::string left =
      R"({"Logs":[{"PutRequest":{"Item":{"logId":{"S":"a"},"timestamp":{"N":"1"}}}}]})";
  auto retry = ParseBatchWriteItemResponse(R"({"UnprocessedItems":)" + left + "}");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry.value(), R"({"RequestItems":)" + left + "}");
  for (std::string_view body : {"", "[]", "not json"}) {
    auto bad = ParseBatchWriteItemResponse(body);
    ASSERT_FALSE(bad.ok()) << body;
    EXPECT_EQ(bad.status().code(), Status::Code::kInternal);
  }
}

// ---- DescribeTable responses -----------------------------------------------------

TEST(DynamoDbItem, CheckTableDescriptionFindsTheIndex) {
  constexpr std::string_view body = R"({"Table": {
    "TableName": "Logs", "TableStatus": "ACTIVE",
    "KeySchema": [{"AttributeName": "logId", "KeyType": "HASH"},
                  {"AttributeName": "timestamp", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
      {"IndexName": "BySeverity", "KeySchema": [{"AttributeName": "severity", "KeyType": "HASH"}]},
      {"IndexName": "TimestampIndex", "IndexStatus": "ACTIVE",
       "KeySchema": [{"AttributeName": "type", "KeyType": "HASH"},
                     {"AttributeName": "timestamp", "KeyType": "RANGE"}],
       "Projection": {"ProjectionType": "ALL"}}]}})";
  Status s = CheckTableDescription(body, "Logs");
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(DynamoDbItem, CheckTableDescriptionWithoutTheIndex) {
  for (
      std::string_view body : {
          R"({"Table": {"TableName": "Logs", "KeySchema": []}})",
          R"({"Table": {"TableName": "Logs", "GlobalSecondaryIndexes": []}})",
          R"({"Table": {"TableName": "Logs", "GlobalSecondaryIndexes": [{"IndexName": "Other"}]}})",
          R"({"Table": {"TableName": "Logs", "LocalSecondaryIndexes": [{"IndexName": "TimestampIndex"}]}})",
      }) {
    Status s = CheckTableDescription(body, "Logs");
    ASSERT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << body;
    EXPECT_NE(s.message().find("TimestampIndex"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("Logs"), std::string::npos) << s.message();
  }
  EXPECT_FALSE(CheckTableDescription("not json", "Logs").ok());
}

}  // namespace
}  // namespace logsvc::store::dynamodb
