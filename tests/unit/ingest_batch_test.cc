// Unit tests of POST /logs batch bodies (src/core/ingest_batch.h): the form
// of a body, and a batch's parsing and validation, all or nothing.
#include "core/ingest_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/ingest_request.h"
#include "logsvc/log_store.h"

namespace logsvc {
namespace {

constexpr int64_t kNow = 1'796'083'200'000;  // 2026-12-01T00:00:00Z
constexpr int64_t kTenMinutes = 600'000;

std::string Entry(std::string_view severity, std::string_view message,
                  std::string_view timestamp_json = "") {
  std::string out = "{\"severity\":\"" + std::string(severity) + "\",\"message\":\"" +
                    std::string(message) + "\"";
  if (!timestamp_json.empty()) out += ",\"timestamp\":" + std::string(timestamp_json);
  return out + "}";
}

// `n` entries as a JSON array or as NDJSON lines.
std::string ArrayOf(size_t n, const std::string& entry) {
  std::string out = "[";
  for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + entry;
  return out + "]";
}
std::string LinesOf(size_t n, const std::string& entry) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += entry + "\n";
  return out;
}

std::vector<BatchEntry> Parse(std::string_view body, BodyForm form) {
  auto r = ParseIngestBatch(body, form, kNow);
  EXPECT_TRUE(r.ok()) << body.substr(0, 200) << ": " << r.status().message();
  return r.ok() ? r.value() : std::vector<BatchEntry>{};
}

std::string Error(std::string_view body, BodyForm form) {
  auto r = ParseIngestBatch(body, form, kNow);
  EXPECT_FALSE(r.ok()) << body.substr(0, 200);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

// The time an entry with this "timestamp" value gets, in a one-entry array.
int64_t TimeOf(std::string_view timestamp_json) {
  std::vector<BatchEntry> entries =
      Parse("[" + Entry("info", "m", timestamp_json) + "]", BodyForm::kArray);
  return entries.size() == 1 ? entries[0].timestamp_ms : -1;
}

std::string TimeError(std::string_view timestamp_json) {
  return Error("[" + Entry("info", "m", timestamp_json) + "]", BodyForm::kArray);
}

// ---- the form of a body -------------------------------------------------------

TEST(BatchFormOf, NdjsonByContentType) {
  for (std::string_view type :
       {"application/x-ndjson", "Application/X-NDJSON", "application/x-ndjson; charset=utf-8",
        "application/x-ndjson;charset=UTF-8", " application/x-ndjson ; x=y", "application/jsonl",
        "APPLICATION/JSONL;charset=utf-8"}) {
    EXPECT_EQ(BatchFormOf(type, "{}"), BodyForm::kNdjson) << type;
    EXPECT_EQ(BatchFormOf(type, "[{}]"), BodyForm::kNdjson) << type;
    EXPECT_EQ(BatchFormOf(type, ""), BodyForm::kNdjson) << type;
  }
}

TEST(BatchFormOf, ArrayByItsFirstByte) {
  for (std::string_view type :
       {"application/json", "", "text/plain", "application/x-ndjsonx", "application/ndjson2",
        "application/x-ndjson-seq", "application/json; profile=x-ndjson"}) {
    EXPECT_EQ(BatchFormOf(type, "[]"), BodyForm::kArray) << type;
    EXPECT_EQ(BatchFormOf(type, " \t\r\n[{}]"), BodyForm::kArray) << type;
    EXPECT_EQ(BatchFormOf(type, "{\"a\":[1]}"), BodyForm::kSingle) << type;
    EXPECT_EQ(BatchFormOf(type, "  {}"), BodyForm::kSingle) << type;
    EXPECT_EQ(BatchFormOf(type, ""), BodyForm::kSingle) << type;
    EXPECT_EQ(BatchFormOf(type, " \n"), BodyForm::kSingle) << type;
    EXPECT_EQ(BatchFormOf(type, "\f["), BodyForm::kSingle) << type;  // not JSON white space
    EXPECT_EQ(BatchFormOf(type, "x["), BodyForm::kSingle) << type;
  }
}

// ---- happy paths --------------------------------------------------------------

TEST(IngestBatch, ArrayInBodyOrder) {
  std::vector<BatchEntry> entries =
      Parse(R"( [ {"severity":"INFO","message":"  first  ","extra":[1,2]},
                  {"message":"caf\u00e9","severity":"Warning","timestamp":1796083100000},
                  {"severity":"error","message":"third","timestamp":"2026-11-30T23:00:00Z"} ] )",
            BodyForm::kArray);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].severity, Severity::kInfo);
  EXPECT_EQ(entries[0].message, "first");
  EXPECT_EQ(entries[0].timestamp_ms, kNow);
  EXPECT_EQ(entries[1].severity, Severity::kWarning);
  EXPECT_EQ(entries[1].message, "caf\xC3\xA9");
  EXPECT_EQ(entries[1].timestamp_ms, kNow - 100'000);
  EXPECT_EQ(entries[2].severity, Severity::kError);
  EXPECT_EQ(entries[2].message, "third");
  EXPECT_EQ(entries[2].timestamp_ms, kNow - 3'600'000);
}

TEST(IngestBatch, NdjsonSkipsBlankLines) {
  std::vector<BatchEntry> entries =
      Parse("\n" + Entry("info", "a") + "\n \t\n\n" + Entry("error", "b", "1000") + "\n\r\n  " +
                Entry("warning", " c ") + "  \n\n",
            BodyForm::kNdjson);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].message, "a");
  EXPECT_EQ(entries[0].timestamp_ms, kNow);
  EXPECT_EQ(entries[1].severity, Severity::kError);
  EXPECT_EQ(entries[1].timestamp_ms, 1000);
  EXPECT_EQ(entries[2].severity, Severity::kWarning);
  EXPECT_EQ(entries[2].message, "c");
}

TEST(IngestBatch, NdjsonWithoutTrailingNewlineAndWithCrlf) {
  EXPECT_EQ(Parse(Entry("info", "only"), BodyForm::kNdjson).size(), 1u);
  std::vector<BatchEntry> crlf =
      Parse(Entry("info", "a") + "\r\n" + Entry("info", "b") + "\r\n\r\n" + Entry("info", "c"),
            BodyForm::kNdjson);
  ASSERT_EQ(crlf.size(), 3u);
  EXPECT_EQ(crlf[0].message, "a");
  EXPECT_EQ(crlf[2].message, "c");
  // Line numbers count CRLF lines like LF ones.
  EXPECT_EQ(
      Error(Entry("info", "a") + "\r\n\r\n" + Entry("verbose", "b") + "\r\n", BodyForm::kNdjson),
      "Line 3 (entry 1): Field 'severity' must be one of: trace, debug, info, warning, error, "
      "fatal (any letter case).");
}

TEST(IngestBatch, SixSeveritiesAndAttributes) {
  std::vector<BatchEntry> entries = Parse(
      "[" + Entry("TRACE", "t") + "," + Entry("debug", "d") + "," + Entry("Fatal", "f") + "," +
          R"({"severity":"info","message":"a","attributes":{"service":{"name":"x"},"n":2}})" + "]",
      BodyForm::kArray);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].severity, Severity::kTrace);
  EXPECT_EQ(entries[1].severity, Severity::kDebug);
  EXPECT_EQ(entries[2].severity, Severity::kFatal);
  EXPECT_TRUE(entries[0].attributes.empty());
  EXPECT_EQ(entries[3].attributes, (Attributes{{"n", "2"}, {"service.name", "x"}}));
  EXPECT_EQ(Error(R"({"severity":"info","message":"a","attributes":{"k":"v","k":"w"}})",
                  BodyForm::kNdjson),
            "Line 1 (entry 0): Field 'attributes': Attribute 'k' is given more than once; give "
            "each key once.");
  EXPECT_EQ(Error(R"([{"severity":"info","message":"a","attributes":1}])", BodyForm::kArray),
            "Entry 0: Field 'attributes' must be an object, not a number.");
}

TEST(IngestBatch, TheLimitIsAcceptedAndOneMoreIsNot) {
  const std::string entry = Entry("info", "m");
  EXPECT_EQ(Parse(ArrayOf(kMaxBatchEntries, entry), BodyForm::kArray).size(), kMaxBatchEntries);
  EXPECT_EQ(Parse(LinesOf(kMaxBatchEntries, entry), BodyForm::kNdjson).size(), kMaxBatchEntries);
  const std::string too_many =
      "The batch has more than 10000 entries: send at most 10000 per request.";
  EXPECT_EQ(Error(ArrayOf(kMaxBatchEntries + 1, entry), BodyForm::kArray), too_many);
  EXPECT_EQ(Error(LinesOf(kMaxBatchEntries + 1, entry), BodyForm::kNdjson), too_many);
  // Blank lines are not entries.
  EXPECT_EQ(Parse(LinesOf(kMaxBatchEntries, entry + "\n"), BodyForm::kNdjson).size(),
            kMaxBatchEntries);
  // The count is checked before any entry: the limit is what the client hears.
  EXPECT_EQ(Error(ArrayOf(kMaxBatchEntries + 1, "5"), BodyForm::kArray), too_many);
  EXPECT_EQ(Error(LinesOf(kMaxBatchEntries + 1, "x"), BodyForm::kNdjson), too_many);
}

// ---- errors -------------------------------------------------------------------

struct BadBatch {
  BodyForm form;
  std::string body;
  std::string error;  // the exact sentence the client gets
};

class RejectsBatch : public ::testing::TestWithParam<BadBatch> {};

TEST_P(RejectsBatch, WithItsSentence) {
  EXPECT_EQ(Error(GetParam().body, GetParam().form), GetParam().error);
}

const std::string kEmpty =
    "The batch is empty: send at least one entry with 'severity' and 'message'.";
const std::string kOk = Entry("info", "ok");

INSTANTIATE_TEST_SUITE_P(
    EveryRule, RejectsBatch,
    ::testing::Values(
        BadBatch{BodyForm::kArray, "[]", kEmpty}, BadBatch{BodyForm::kArray, " [ \n ] ", kEmpty},
        BadBatch{BodyForm::kNdjson, "", kEmpty}, BadBatch{BodyForm::kNdjson, "\n \r\n\t\n", kEmpty},
        BadBatch{BodyForm::kArray, "[" + kOk, "Request body is not valid JSON."},
        BadBatch{BodyForm::kArray, "[" + kOk + "] x", "Request body is not valid JSON."},
        BadBatch{BodyForm::kArray, "[" + kOk + "," + Entry("info", "caf\xC3") + "]",
                 "Request body is not valid UTF-8."},
        // ParseIngestBatch is also safe when handed a body that is no array.
        BadBatch{BodyForm::kArray, kOk, "Request body must be a JSON array, not an object."},
        BadBatch{BodyForm::kArray, "[" + kOk + ",5]",
                 "Entry 1: An entry must be a JSON object, not a number."},
        BadBatch{BodyForm::kArray, "[" + kOk + "," + kOk + ",null]",
                 "Entry 2: An entry must be a JSON object, not null."},
        BadBatch{BodyForm::kArray, "[[" + kOk + "]]",
                 "Entry 0: An entry must be a JSON object, not an array."},
        BadBatch{BodyForm::kArray, "[\"info\"]",
                 "Entry 0: An entry must be a JSON object, not a string."},
        BadBatch{BodyForm::kNdjson, "[" + kOk + "]",
                 "Line 1 (entry 0): An entry must be a JSON object, not an array."},
        BadBatch{BodyForm::kNdjson, kOk + "\n\n" + kOk + "\n{\"severity\":\n",
                 "Line 4 (entry 2): The line is not valid JSON."},
        BadBatch{BodyForm::kNdjson, kOk + " " + kOk + "\n",
                 "Line 1 (entry 0): The line is not valid JSON."},
        BadBatch{BodyForm::kNdjson, "{\n\"severity\":\"info\",\"message\":\"m\"}",
                 "Line 1 (entry 0): The line is not valid JSON."},
        BadBatch{BodyForm::kNdjson, kOk + "\n" + Entry("info", "\xFF") + "\n",
                 "Line 2 (entry 1): The line is not valid UTF-8."},
        BadBatch{BodyForm::kArray,
                 "[" + kOk + "," + kOk + "," + kOk + "," + Entry("warn", "x") + "]",
                 "Entry 3: Field 'severity' must be one of: trace, debug, info, warning, error, "
                 "fatal (any letter case)."},
        BadBatch{BodyForm::kNdjson, "\n" + kOk + "\n\n" + kOk + "\n" + Entry("info", " ") + "\n",
                 "Line 5 (entry 2): Field 'message' must not be empty."},
        BadBatch{BodyForm::kArray, R"([{"severity":"info","severity":"error","message":"x"}])",
                 "Entry 0: Field 'severity' appears more than once; send each field once."},
        BadBatch{BodyForm::kNdjson, R"({"severity":"info","message":"x","sever\u0069ty":"error"})",
                 "Line 1 (entry 0): Field 'severity' appears more than once; send each field "
                 "once."},
        BadBatch{BodyForm::kArray,
                 R"([{"severity":"info","message":"x","timestamp":1,"timestamp":2}])",
                 "Entry 0: Field 'timestamp' appears more than once; send each field once."},
        BadBatch{BodyForm::kNdjson,
                 R"({"severity":"info","message":"x","timestamp":1,"time\u0073tamp":"x"})",
                 "Line 1 (entry 0): Field 'timestamp' appears more than once; send each field "
                 "once."},
        BadBatch{BodyForm::kNdjson, Entry("info", "x", "-1"),
                 "Line 1 (entry 0): Field 'timestamp' is before 1970-01-01T00:00:00Z, the "
                 "earliest time an entry can have."}),
    [](const ::testing::TestParamInfo<BadBatch>& param) {
      return "case" + std::to_string(param.index);
    });

// Every rule of a single entry holds for each entry of a batch, with the very
// sentence ParseIngestRequest gives (one validator: core/ingest_entry.h), but
// the severities: a batch takes six, a single body the original three (their
// sentences are checked above).
TEST(IngestBatch, EntriesAreValidatedAsSingleBodiesAre) {
  const std::vector<std::string> objects = {
      "{}",
      R"({"message":"x"})",
      R"({"severity":"info"})",
      R"({"severity":1,"message":"x"})",
      R"({"severity":"info","message":[1]})",
      R"({"severity":"info","message":{}})",
      R"({"severity":"info","message":true})",
      R"({"severity":"info","message":null})",
      R"({"severity":"info","message":" \t\n "})",
      "{\"severity\":\"info\",\"message\":\"\xE3\x80\x80\"}",
      R"({"severity":"info","message":"x","message":"y"})",
      R"({"sever\u0069ty":"info","severity":"info","message":"y"})",
      R"({"severity":"info","message":")" + std::string(10001, 'a') + "\"}",
  };
  for (const std::string& object : objects) {
    auto single = ParseIngestRequest(object);
    ASSERT_FALSE(single.ok()) << object;
    const std::string sentence = single.status().message();
    EXPECT_EQ(Error("[" + kOk + "," + object + "]", BodyForm::kArray), "Entry 1: " + sentence);
    EXPECT_EQ(Error(kOk + "\n" + object + "\n", BodyForm::kNdjson),
              "Line 2 (entry 1): " + sentence);
  }
  EXPECT_EQ(Error("[" + Entry("info", std::string(10001, 'a')) + "]", BodyForm::kArray),
            "Entry 0: Field 'message' is 10001 characters long; the limit is 10000.");
  // And what a single body takes, a batch takes.
  std::vector<BatchEntry> ok = Parse(
      "[" + std::string(R"({"severity":"WARNING","message":"\u3000 x\u00a0","tag":1,"tag":2})") +
          "]",
      BodyForm::kArray);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].message, "x");
  EXPECT_EQ(ok[0].severity, Severity::kWarning);
}

// A single body keeps ignoring "timestamp", as the original API does.
TEST(IngestRequest, StillIgnoresTimestamp) {
  for (std::string_view body :
       {R"({"severity":"info","message":"m","timestamp":"15m"})",
        R"({"severity":"info","message":"m","timestamp":-1,"timestamp":true})",
        R"({"severity":"info","message":"m","timestamp":99999999999999999})"}) {
    auto r = ParseIngestRequest(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.status().message();
    EXPECT_EQ(r.value().message, "m");
  }
}

TEST(IngestBatch, SingleFormIsNotABatch) {
  auto r = ParseIngestBatch(kOk, BodyForm::kSingle, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInternal);
}

// ---- timestamps -----------------------------------------------------------------

TEST(IngestBatchTimestamp, UnixMilliseconds) {
  EXPECT_EQ(TimeOf("1796083200000"), kNow);
  EXPECT_EQ(TimeOf("0"), 0);
  EXPECT_EQ(TimeOf("-0"), 0);
  EXPECT_EQ(TimeOf("1"), 1);
  EXPECT_EQ(TimeOf(std::to_string(kNow + kTenMinutes)), kNow + kTenMinutes);  // the edge: taken
}

TEST(IngestBatchTimestamp, Rfc3339) {
  EXPECT_EQ(TimeOf("\"2026-12-01T00:00:00Z\""), kNow);
  EXPECT_EQ(TimeOf("\"2026-12-01t00:00:00z\""), kNow);
  EXPECT_EQ(TimeOf("\"2026-12-01T01:00:00+01:00\""), kNow);
  EXPECT_EQ(TimeOf("\"2026-11-30T19:00:00-05:00\""), kNow);
  EXPECT_EQ(TimeOf("\"2026-11-30T23:59:59.5Z\""), kNow - 500);
  EXPECT_EQ(TimeOf("\"2026-11-30T23:59:59.123456789+00:00\""), kNow - 877);
  EXPECT_EQ(TimeOf("\"1970-01-01T00:00:00Z\""), 0);
  EXPECT_EQ(TimeOf("\"2026-12-01T00:10:00Z\""), kNow + kTenMinutes);         // the edge: taken
  EXPECT_EQ(TimeOf("\"2026-12-01T00:10:00.000999Z\""), kNow + kTenMinutes);  // sub-ms dropped
  EXPECT_EQ(TimeOf("\"2026-12-01T00:\\u00310:00Z\""), kNow + kTenMinutes);   // JSON escapes
}

TEST(IngestBatchTimestamp, Refused) {
  const std::string future =
      "Entry 0: Field 'timestamp' is more than 10 minutes in the future (the server's time is "
      "2026-12-01T00:00:00.000Z).";
  EXPECT_EQ(TimeError(std::to_string(kNow + kTenMinutes + 1)), future);
  EXPECT_EQ(TimeError("\"2026-12-01T00:10:00.001Z\""), future);
  EXPECT_EQ(TimeError("\"2026-12-01T01:10:00.001+01:00\""), future);
  EXPECT_EQ(TimeError("9223372036854775807"), future);
  EXPECT_EQ(TimeError("18446744073709551615"), future);  // past int64: simdjson's UINT64
  EXPECT_EQ(TimeError("\"9999-12-31T23:59:59Z\""), future);

  const std::string past =
      "Entry 0: Field 'timestamp' is before 1970-01-01T00:00:00Z, the earliest time an entry "
      "can have.";
  EXPECT_EQ(TimeError("-1"), past);
  EXPECT_EQ(TimeError("-9223372036854775808"), past);
  EXPECT_EQ(TimeError("\"1969-12-31T23:59:59.999Z\""), past);
  EXPECT_EQ(TimeError("\"1970-01-01T00:59:59+01:00\""), past);
  EXPECT_EQ(TimeError("\"0000-01-01T00:00:00Z\""), past);

  const std::string fraction =
      "Entry 0: Field 'timestamp' must be a whole number of Unix milliseconds, without a "
      "fraction or an exponent.";
  for (std::string_view number : {"1.5", "1796083200000.0", "1e3", "1E+12", "-0.0"}) {
    EXPECT_EQ(TimeError(number), fraction) << number;
  }

  for (auto [json, type] : std::vector<std::pair<std::string, std::string>>{
           {"true", "a boolean"}, {"null", "null"}, {"{}", "an object"}, {"[1]", "an array"}}) {
    EXPECT_EQ(TimeError(json),
              "Entry 0: Field 'timestamp' must be Unix milliseconds (an integer) or an RFC 3339 "
              "time (a string), not " +
                  type + ".")
        << json;
  }

  // Strings are RFC 3339 only: not ParseTimeBound's "now", durations or digits.
  for (std::string_view text : {"now", "15m", "7d", "1796083200000", "", "2026-12-01",
                                "2026-12-01 00:00:00Z", "yesterday"}) {
    EXPECT_EQ(TimeError("\"" + std::string(text) + "\""),
              "Entry 0: Field 'timestamp' is not an RFC 3339 time: '" + std::string(text) +
                  "'. Give one such as 2026-12-01T00:00:00Z or 2026-12-01T01:00:00.5+01:00.")
        << text;
  }
  // RFC 3339's own errors, as ParseTimeBound gives them (every rule is in
  // query_test.cc), naming the field.
  EXPECT_EQ(TimeError("\"2026-02-30T00:00:00Z\""),
            "Entry 0: Field 'timestamp' has the date 2026-02-30, which does not exist.");
  const std::string zone =
      "Entry 0: Field 'timestamp' is not a time: an RFC 3339 time ends in Z or an offset such "
      "as +01:00 or -05:00, as in 2026-12-01T00:00:00Z.";
  EXPECT_EQ(TimeError("\"2026-12-01T00:00:00\""), zone);
  // In a JSON body a space is no '+' a URL decoded: no hint about %2B.
  EXPECT_EQ(TimeError("\"2026-12-01T00:00:00 01:00\""), zone);
  EXPECT_EQ(TimeError("\"0000-01-01T00:00:00+00:01\""),
            "Entry 0: Field 'timestamp' is out of range: times go from 0000-01-01T00:00:00Z to "
            "9999-12-31T23:59:59.999Z.");
}

TEST(IngestBatchTimestamp, NamesTheEntryAndLine) {
  EXPECT_EQ(Error(kOk + "\n\n" + Entry("info", "m", "1.5") + "\n", BodyForm::kNdjson),
            "Line 3 (entry 1): Field 'timestamp' must be a whole number of Unix milliseconds, "
            "without a fraction or an exponent.");
  EXPECT_EQ(
      Error("[" + kOk + "," + kOk + "," + Entry("info", "m", "\"15m\"") + "]", BodyForm::kArray),
      "Entry 2: Field 'timestamp' is not an RFC 3339 time: '15m'. Give one such as "
      "2026-12-01T00:00:00Z or 2026-12-01T01:00:00.5+01:00.");
}

}  // namespace
}  // namespace logsvc
