// Unit tests of Loki push: src/formats/loki_push.h (JSON and protobuf, the
// Prometheus label parser), api/content_coding.h's DecodeSnappyBlock and the
// route's answers (src/api/loki_ingest.cc). Protobuf bodies are written here
// with a small encoder, field by field as Loki's push.proto numbers them.
#include <gtest/gtest.h>
#include <snappy.h>

#include <string>
#include <vector>

#include "api/content_coding.h"
#include "api/ingest_format.h"
#include "core/attributes.h"
#include "formats/loki_push.h"
#include "logsvc/log_store.h"

namespace logsvc::formats {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;  // 2027-01-15

// ---- a protobuf writer for the tests ----

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Key(uint32_t field, uint32_t wire_type) { return Varint(field << 3 | wire_type); }
std::string Bytes(uint32_t field, std::string_view s) {
  return Key(field, 2) + Varint(s.size()) + std::string(s);
}
std::string VarintField(uint32_t field, uint64_t v) { return Key(field, 0) + Varint(v); }

std::string Timestamp(int64_t seconds, int32_t nanos) {
  return VarintField(1, static_cast<uint64_t>(seconds)) +
         VarintField(2, static_cast<uint64_t>(static_cast<int64_t>(nanos)));
}
std::string Entry(int64_t seconds, int32_t nanos, std::string_view line,
                  std::vector<std::pair<std::string, std::string>> metadata = {}) {
  std::string e = Bytes(1, Timestamp(seconds, nanos)) + Bytes(2, line);
  for (const auto& [k, v] : metadata) e += Bytes(3, Bytes(1, k) + Bytes(2, v));
  return e;
}
std::string Stream(std::string_view labels, const std::vector<std::string>& entries) {
  std::string s = Bytes(1, labels);
  for (const std::string& e : entries) s += Bytes(2, e);
  return s + VarintField(3, 12345);  // hash: ignored
}
std::string Push(const std::vector<std::string>& streams) {
  std::string p;
  for (const std::string& s : streams) p += Bytes(1, s);
  return p;
}

std::string Attr(const LogEntry& e, std::string_view key) {
  const std::string* v = FindAttribute(e.attributes, key);
  return v ? *v : "<none>";
}

// ---- JSON ----

TEST(LokiJson, StreamsBecomeEntries) {
  auto r = ParseLokiJson(R"({"streams":[
      {"stream":{"app":"api","level":"warn"},
       "values":[["1800000000123456789","  disk almost full "],
                 ["1800000000999999999","",{"trace_id":"abc","level":"ERROR"}]]},
      {"stream":{"app":"web"},"values":[["0","hello",{}]]}]})",
                         kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& e = r.value();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].message, "  disk almost full ");   // as sent, not trimmed
  EXPECT_EQ(e[0].timestamp_ms, 1'800'000'000'123);  // nanoseconds rounded down
  EXPECT_EQ(e[0].severity, Severity::kWarning);
  EXPECT_EQ(e[0].attributes, (Attributes{{"app", "api"}, {"level", "warn"}}));
  EXPECT_EQ(e[1].message, "");  // an empty line is kept
  EXPECT_EQ(e[1].timestamp_ms, 1'800'000'000'999);
  // Metadata wins over the label of the same key, and gives the level.
  EXPECT_EQ(e[1].severity, Severity::kError);
  EXPECT_EQ(Attr(e[1], "level"), "ERROR");
  EXPECT_EQ(Attr(e[1], "trace_id"), "abc");
  EXPECT_EQ(e[2].severity, Severity::kInfo);
  EXPECT_EQ(e[2].timestamp_ms, 0);
  EXPECT_EQ(e[2].attributes, (Attributes{{"app", "web"}}));
}

TEST(LokiJson, LevelKeysInOrderAndUnknownLevelIsInfo) {
  auto r = ParseLokiJson(R"({"streams":[
      {"stream":{"severity":"debug","detected_level":"fatal"},"values":[["1","a"]]},
      {"stream":{"detected_level":"critical"},"values":[["1","b"]]},
      {"stream":{"level":"chatty"},"values":[["1","c"]]},
      {"stream":{"level":"error"},"values":[["1","d",{"detected_level":"trace"}]]}]})",
                         kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value()[0].severity, Severity::kDebug);  // severity before detected_level
  EXPECT_EQ(r.value()[1].severity, Severity::kFatal);
  EXPECT_EQ(r.value()[2].severity, Severity::kInfo);
  EXPECT_EQ(Attr(r.value()[2], "level"), "chatty");
  EXPECT_EQ(r.value()[3].severity, Severity::kTrace);  // metadata before labels
}

TEST(LokiJson, EmptyStreamsStoreNothing) {
  auto r = ParseLokiJson(R"({"streams":[]})", kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().empty());
}

void ExpectJsonError(std::string_view body, std::string_view fragment) {
  auto r = ParseLokiJson(body, kNow);
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << r.status().message() << " lacks " << fragment;
}

TEST(LokiJson, MalformedBodiesAreRefusedWithASentence) {
  ExpectJsonError("", "not valid JSON");
  ExpectJsonError("{\"streams\":[", "not valid JSON");
  ExpectJsonError("\xff", "UTF-8");
  ExpectJsonError("[]", "must be a JSON object");
  ExpectJsonError("{}", "no 'streams'");
  ExpectJsonError(R"({"streams":{}})", "'streams' must be an array");
  ExpectJsonError(R"({"streams":[1]})", "Stream 0 must be a JSON object");
  ExpectJsonError(R"({"streams":[{"stream":{}}]})", "Stream 0 has no 'values'");
  ExpectJsonError(R"({"streams":[{"stream":{"a":1},"values":[]}]})", "values are strings");
  ExpectJsonError(R"({"streams":[{"stream":[],"values":[]}]})", "must be a JSON object");
  ExpectJsonError(R"({"streams":[{"values":[["1"]]}]})", "Stream 0 '{}', line 0: a line must be");
  ExpectJsonError(R"({"streams":[{"values":[["1","a",{},1]]}]})", "a line must be");
  ExpectJsonError(R"({"streams":[{"values":[[1,"a"]]}]})", "must be a string of Unix nanoseconds");
  ExpectJsonError(R"({"streams":[{"values":[["-1","a"]]}]})", "is not Unix nanoseconds");
  ExpectJsonError(R"({"streams":[{"values":[["1.5","a"]]}]})", "is not Unix nanoseconds");
  ExpectJsonError(R"({"streams":[{"values":[["1","a"],["1",2]]}]})",
                  "line 1: the line must be a string");
  ExpectJsonError(R"({"streams":[{"values":[["1","a",{"k":1}]]}]})", "values are strings");
  ExpectJsonError(R"({"streams":[{"values":[["1","a",{"":"x"}]]}]})", "key is empty");
}

TEST(LokiJson, FutureTimeAndLongLineNameTheStreamAndLine) {
  const std::string future = std::to_string((kNow + 11 * 60 * 1000) * 1'000'000);
  ExpectJsonError(
      R"({"streams":[{"values":[["1","ok"]]},{"stream":{"app":"x"},"values":[["1","ok"],[")" +
          future + R"(","late"]]}]})",
      "Stream 1 '{app=\"x\"}', line 1: the timestamp is more than 10 minutes");
  // Exactly at the limit is taken.
  const std::string edge = std::to_string((kNow + 10 * 60 * 1000) * 1'000'000);
  EXPECT_TRUE(ParseLokiJson(R"({"streams":[{"values":[[")" + edge + R"(","ok"]]}]})", kNow).ok());

  const std::string longest(kMaxShippedMessageBytes, 'x');
  EXPECT_TRUE(ParseLokiJson(R"({"streams":[{"values":[["1",")" + longest + R"("]]}]})", kNow).ok());
  ExpectJsonError(R"({"streams":[{"values":[["1",")" + longest + R"(x"]]}]})",
                  "line 0: the line is 65537 bytes long");
}

TEST(LokiJson, AtMostTenThousandLinesInAll) {
  auto values = [](size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += std::string(i ? "," : "") + R"(["1","x"])";
    return out;
  };
  auto body = [&](size_t first, size_t second) {
    return R"({"streams":[{"values":[)" + values(first) + R"(]},{"values":[)" + values(second) +
           "]}]}";
  };
  auto ok = ParseLokiJson(body(kMaxBatchEntries / 2, kMaxBatchEntries / 2), kNow);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok.value().size(), kMaxBatchEntries);
  ExpectJsonError(body(kMaxBatchEntries / 2, kMaxBatchEntries / 2 + 1), "more than 10000 lines");
}

TEST(LokiJson, TooManyAttributesIsRefused) {
  std::string labels;
  for (size_t i = 0; i <= kMaxAttributes; ++i) {
    labels += std::string(i ? "," : "") + "\"k" + std::to_string(i) + "\":\"v\"";
  }
  ExpectJsonError(R"({"streams":[{"stream":{)" + labels + R"(},"values":[["1","x"]]}]})",
                  "attributes");
}

// A stream's labels are copied into each of its lines: a small body whose
// lines would take more than kMaxRequestEntryBytes once parsed is refused.
TEST(LokiJson, LabelsGivenToEveryLineAreBoundedPerPush) {
  auto body = [](size_t lines) {
    std::string labels;
    for (int i = 0; i < 7; ++i) {
      labels += std::string(i ? "," : "") + "\"k" + std::to_string(i) + "\":\"" +
                std::string(8000, 'v') + "\"";
    }
    std::string values;
    for (size_t i = 0; i < lines; ++i) values += std::string(i ? "," : "") + R"(["1","x"])";
    return R"({"streams":[{"stream":{)" + labels + R"(},"values":[)" + values + "]}]}";
  };
  // 56 KB of labels: 1,000 lines are 56 MB, 1,300 are past 64 MiB.
  auto ok = ParseLokiJson(body(1000), kNow);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_LT(body(1300).size(), 80'000u);
  ExpectJsonError(body(1300), "MiB once their stream's labels are given to each");
}

// ---- Prometheus labels ----

TEST(PrometheusLabels, ParsesEscapesAndSpacing) {
  auto r = ParsePrometheusLabels(R"( { app="api" ,msg="say \"hi\"\\n\n",service.name="x", } )");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().size(), 3u);
  EXPECT_EQ(r.value()[0].name, "app");
  EXPECT_EQ(r.value()[0].value, "api");
  EXPECT_EQ(r.value()[1].value, "say \"hi\"\\n\n");
  EXPECT_EQ(r.value()[2].name, "service.name");
  ASSERT_TRUE(ParsePrometheusLabels("{}").ok());
  EXPECT_TRUE(ParsePrometheusLabels("{}").value().empty());
  EXPECT_EQ(ParsePrometheusLabels(R"({a="}"})").value()[0].value, "}");
}

TEST(PrometheusLabels, RefusesMalformedSets) {
  for (std::string_view bad : {"", "a=\"b\"", "{", "{a}", "{a=b}", "{a=\"b}", "{a=\"b\" c=\"d\"}",
                               "{1a=\"b\"}", "{a=\"\\t\"}", "{a=\"b\"} x", "{,}", "{a=\"b\\"}) {
    auto r = ParsePrometheusLabels(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (r.ok()) continue;
    EXPECT_NE(r.status().message().find("Prometheus label set"), std::string::npos);
  }
}

// ---- protobuf ----

TEST(LokiProtobuf, StreamsBecomeEntries) {
  const std::string body = Push(
      {Stream(R"({app="api", level="warn"})",
              {Entry(1'800'000'000, 123'456'789, "disk almost full"),
               Entry(1'800'000'001, 999'999'999, "", {{"trace_id", "abc"}, {"level", "err"}})}),
       Stream("{}", {Entry(0, 0, "hello")})});
  auto r = ParseLokiProtobuf(body, kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& e = r.value();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].message, "disk almost full");
  EXPECT_EQ(e[0].timestamp_ms, 1'800'000'000'123);
  EXPECT_EQ(e[0].severity, Severity::kWarning);
  EXPECT_EQ(e[0].attributes, (Attributes{{"app", "api"}, {"level", "warn"}}));
  EXPECT_EQ(e[1].message, "");
  EXPECT_EQ(e[1].timestamp_ms, 1'800'000'001'999);
  EXPECT_EQ(e[1].severity, Severity::kError);
  EXPECT_EQ(e[1].attributes, (Attributes{{"app", "api"}, {"level", "err"}, {"trace_id", "abc"}}));
  EXPECT_EQ(e[2].attributes, Attributes{});
  EXPECT_EQ(e[2].timestamp_ms, 0);
}

TEST(LokiProtobuf, FieldsInAnyOrderAndUnknownFieldsSkipped) {
  // Entries before labels; unknown fields of every wire type at every level.
  const std::string unknown =
      VarintField(9, 7) + Key(10, 1) + "12345678" + Key(11, 5) + "1234" + Bytes(12, "skip me");
  const std::string entry = unknown + Bytes(2, "line") + Bytes(1, Timestamp(5, 0) + unknown);
  const std::string stream = Bytes(2, entry) + unknown + Bytes(1, R"({a="b"})");
  auto r = ParseLokiProtobuf(unknown + Bytes(1, stream), kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().size(), 1u);
  EXPECT_EQ(r.value()[0].message, "line");
  EXPECT_EQ(r.value()[0].timestamp_ms, 5000);
  EXPECT_EQ(r.value()[0].attributes, (Attributes{{"a", "b"}}));
  EXPECT_TRUE(ParseLokiProtobuf("", kNow).ok());  // no streams: nothing to store
}

void ExpectPbError(std::string_view body, std::string_view fragment) {
  auto r = ParseLokiProtobuf(body, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << r.status().message() << " lacks " << fragment;
}

TEST(LokiProtobuf, MalformedMessagesAreRefused) {
  const std::string good = Push({Stream(R"({a="b"})", {Entry(1, 0, "x"), Entry(2, 0, "y")})});
  ASSERT_TRUE(ParseLokiProtobuf(good, kNow).ok());
  // Every cut inside the outer stream field is a truncated field.
  for (size_t n = 1; n < good.size(); ++n) {
    EXPECT_FALSE(ParseLokiProtobuf(good.substr(0, n), kNow).ok()) << n;
  }
  ExpectPbError(Key(1, 0) + Varint(5), "wrong type");            // streams as a varint
  ExpectPbError(Bytes(1, Key(2, 0) + Varint(1)), "wrong type");  // an entry as a varint
  ExpectPbError(Bytes(1, Bytes(2, Key(2, 0) + Varint(1) + "x")),
                "wrong type");            // a line as a varint
  ExpectPbError(Key(7, 3), "malformed");  // a group
  ExpectPbError(std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11), "truncated");
  ExpectPbError(Bytes(1, Bytes(1, "a=b") + Bytes(2, Entry(1, 0, "x"))), "Prometheus label set");
  ExpectPbError(Push({Stream("{}", {Entry(1, 1'000'000'000, "x")})}), "nanos");
  ExpectPbError(Push({Stream("{}", {Entry(1, -1, "x")})}), "nanos");
  ExpectPbError(Push({Stream("{}", {Entry(-1, 0, "x")})}), "before 1970");
  ExpectPbError(Push({Stream("{}", {Entry(INT64_MAX, 0, "x")})}), "10 minutes in the future");
  ExpectPbError(Push({Stream("{}", {Entry(1, 0, "\xc3\x28")})}), "not valid UTF-8");
  ExpectPbError(
      Push({Stream(R"({a="b"})", {Entry(1, 0, "ok"), Entry(1, 0, std::string(70000, 'x'))})}),
      "Stream 0 '{a=\"b\"}', line 1: the line is 70000 bytes long");
}

TEST(LokiProtobuf, AtMostTenThousandLines) {
  std::vector<std::string> entries(kMaxBatchEntries, Entry(1, 0, "x"));
  EXPECT_TRUE(ParseLokiProtobuf(Push({Stream("{}", entries)}), kNow).ok());
  entries.push_back(Entry(1, 0, "x"));
  ExpectPbError(Push({Stream("{}", entries)}), "more than 10000 lines");
}

// ---- snappy ----

TEST(SnappyBlock, DecodesWithinTheLimit) {
  const std::string text(100000, 'a');
  std::string compressed;
  snappy::Compress(text.data(), text.size(), &compressed);
  std::string out;
  EXPECT_FALSE(api::DecodeSnappyBlock(compressed, text.size(), &out).has_value());
  EXPECT_EQ(out, text);
  auto error = api::DecodeSnappyBlock(compressed, text.size() - 1, &out);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->status, 413);
}

TEST(SnappyBlock, CorruptOrHugeBlocks) {
  std::string out;
  // A header announcing 4 GiB - 1: 413 before any allocation.
  auto huge = api::DecodeSnappyBlock(Varint(0xffffffff) + "\x00", 1 << 20, &out);
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(huge->status, 413);
  for (std::string_view bad : {std::string_view(""), std::string_view("\xff\xff\xff\xff\xff\xff"),
                               std::string_view("\x05\x00", 2), std::string_view("plain text")}) {
    auto e = api::DecodeSnappyBlock(bad, 1 << 20, &out);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_EQ(e->status, 400);
  }
  std::string compressed;
  const std::string text = "hello hello hello hello";
  snappy::Compress(text.data(), text.size(), &compressed);
  auto cut = api::DecodeSnappyBlock(std::string_view(compressed).substr(0, compressed.size() - 1),
                                    1 << 20, &out);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->status, 400);
}

// ---- the route ----

api::ParsedIngest Route(std::string_view content_type, std::string_view body) {
  std::vector<api::HeaderField> fields;
  if (!content_type.empty()) fields.push_back({"Content-Type", content_type});
  api::Request req{"POST", "/loki/api/v1/push", std::string(body), api::RequestHeaders(fields)};
  return api::ParseLokiRequest(req, req.body, api::FormatLimits{1 << 20}, kNow);
}

std::string_view HeaderOf(const api::Response& r, std::string_view name) {
  for (const api::Header& h : r.headers) {
    if (h.name == name) return h.value;
  }
  return "";
}

TEST(LokiRoute, AnswersAsLoki) {
  auto json = Route("application/json; charset=utf-8", R"({"streams":[{"values":[["1","x"]]}]})");
  ASSERT_FALSE(json.refused.has_value());
  ASSERT_EQ(json.entries.size(), 1u);
  EXPECT_EQ(json.created({"id"}).status, 204);
  EXPECT_TRUE(json.created({"id"}).body.empty());
  api::Response unavailable = json.failed(Status::Unavailable("down"));
  EXPECT_EQ(unavailable.status, 503);
  EXPECT_EQ(HeaderOf(unavailable, "Retry-After"), "1");
  EXPECT_EQ(HeaderOf(unavailable, "Content-Type"), "text/plain; charset=utf-8");

  std::string compressed;
  const std::string pb = Push({Stream(R"({a="b"})", {Entry(1, 0, "x")})});
  snappy::Compress(pb.data(), pb.size(), &compressed);
  for (std::string_view type : {"application/x-protobuf", ""}) {
    auto proto = Route(type, compressed);
    ASSERT_FALSE(proto.refused.has_value()) << proto.refused->body;
    EXPECT_EQ(proto.entries.size(), 1u);
  }

  auto bad = Route("application/json", "{");
  ASSERT_TRUE(bad.refused.has_value());
  EXPECT_EQ(bad.refused->status, 400);
  EXPECT_EQ(HeaderOf(*bad.refused, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(bad.refused->body, "The request body is not valid JSON.\n");
  EXPECT_EQ(Route("application/x-protobuf", pb).refused->status, 400);  // not snappy
  EXPECT_EQ(Route("text/plain", "x").refused->status, 415);
}

}  // namespace
}  // namespace logsvc::formats
