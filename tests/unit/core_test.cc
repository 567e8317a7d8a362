// Unit tests of src/core: the rules every transport shares.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <set>

#include "core/attributes.h"
#include "core/base64.h"
#include "core/datetime.h"
#include "core/ingest_request.h"
#include "core/json_writer.h"
#include "core/utf8.h"
#include "core/uuid.h"

namespace logsvc {
namespace {

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s);
  return out;
}

// ---- attributes ---------------------------------------------------------------

simdjson::dom::element Json(simdjson::dom::parser& parser, std::string_view text) {
  simdjson::dom::element e;
  EXPECT_EQ(parser.parse(text.data(), text.size(), true).get(e), simdjson::SUCCESS) << text;
  return e;
}

TEST(Attributes, NestedObjectsAreFlattenedToDottedKeys) {
  simdjson::dom::parser parser;
  AttributeBuilder b;
  ASSERT_TRUE(b.AddJsonObject(Json(parser, R"({"service":{"name":"checkout","version":"1.2"},
      "http":{"status":500,"ok":false,"ratio":0.25,"big":18446744073709551615},
      "tags":["a",1,{"x":null}],"parent":null,"empty":{},"text":""})"),
                              "Field 'attributes'")
                  .ok());
  Result<Attributes> a = b.Finish();
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a.value(), (Attributes{{"http.big", "18446744073709551615"},
                                   {"http.ok", "false"},
                                   {"http.ratio", "0.25"},
                                   {"http.status", "500"},
                                   {"service.name", "checkout"},
                                   {"service.version", "1.2"},
                                   {"tags", R"(["a",1,{"x":null}])"},
                                   {"text", ""}}));
  EXPECT_TRUE(b.empty());  // Finish leaves it empty
}

TEST(Attributes, LimitsAreRefusedNotCut) {
  AttributeBuilder b;
  EXPECT_TRUE(b.Add(std::string(128, 'k'), std::string(8192, 'v')).ok());
  EXPECT_EQ(b.Add(std::string(129, 'k'), "v").message(),
            "Attribute key 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk'... is 129 bytes long; keys have at "
            "most 128.");
  EXPECT_EQ(b.Add("k", std::string(8193, 'v')).message(),
            "Attribute 'k' has a value of 8193 bytes; values have at most 8192.");
  EXPECT_EQ(b.Add("tab\there", "v").message(),
            "Attribute key 'tab\there' has a control character; keys are printable text.");
  EXPECT_FALSE(b.Add("k", "\xff").ok());
  AttributeBuilder many;
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(many.Add("k" + std::to_string(i), "v").ok());
  EXPECT_TRUE(many.Finish().ok());
  for (int i = 0; i < 65; ++i) ASSERT_TRUE(many.Add("k" + std::to_string(i), "v").ok());
  EXPECT_EQ(many.Finish().status().message(), "An entry has 65 attributes; send at most 64.");
  // At most 64 KiB of keys and values together: eight values of 8 KiB (and
  // their keys) are too many.
  AttributeBuilder big;
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(big.Add("k" + std::to_string(i), std::string(8192, 'v')).ok());
  EXPECT_TRUE(big.Finish().ok());
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(big.Add("k" + std::to_string(i), std::string(8192, 'v')).ok());
  EXPECT_EQ(big.Finish().status().message(),
            "An entry's attributes have 65552 bytes of keys and values; send at most 65536.");
  // A body of a million keys is refused as they come, not held.
  AttributeBuilder flood;
  Status s;
  for (int i = 0; i < 1000 && s.ok(); ++i) s = flood.Add("k" + std::to_string(i), "v");
  EXPECT_FALSE(s.ok());
  // A key made too long by nesting is refused before its children are walked.
  simdjson::dom::parser parser;
  std::string deep = "\"v\"";
  for (int i = 0; i < 70; ++i) deep = "{\"abc\":" + deep + "}";
  AttributeBuilder nested;
  EXPECT_FALSE(nested.AddJsonObject(Json(parser, deep), "x").ok());
}

TEST(Attributes, RepeatsAreRefusedOrTheLaterWins) {
  AttributeBuilder refuse;
  ASSERT_TRUE(refuse.Add("a", "1").ok());
  ASSERT_TRUE(refuse.Add("a", "2").ok());
  EXPECT_EQ(refuse.Finish().status().message(),
            "Attribute 'a' is given more than once; give each key once.");
  AttributeBuilder later(AttributeBuilder::Repeats::kLaterWins);
  for (auto [k, v] :
       {std::pair{"service.name", "resource"}, {"b", "1"}, {"service.name", "record"}}) {
    ASSERT_TRUE(later.Add(k, v).ok());
  }
  Result<Attributes> a = later.Finish();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value(), (Attributes{{"b", "1"}, {"service.name", "record"}}));
  EXPECT_EQ(*FindAttribute(a.value(), "b"), "1");
  EXPECT_EQ(FindAttribute(a.value(), "c"), nullptr);
}

TEST(Severities, SixNamesRanksAndTheShippersSpellings) {
  Severity s;
  std::vector<std::string_view> names;
  for (Severity v : kSeveritiesByRank) {
    names.push_back(SeverityName(v));
    ASSERT_TRUE(ParseSeverity(SeverityName(v), &s));
    EXPECT_EQ(s, v);
  }
  EXPECT_EQ(names,
            (std::vector<std::string_view>{"trace", "debug", "info", "warning", "error", "fatal"}));
  EXPECT_LT(SeverityRank(Severity::kDebug), SeverityRank(Severity::kInfo));
  EXPECT_LT(SeverityRank(Severity::kError), SeverityRank(Severity::kFatal));
  EXPECT_FALSE(ParseSeverity("warn", &s));  // the API's names are the six
  for (auto [text, want] : {std::pair{"WARN", Severity::kWarning},
                            {"err", Severity::kError},
                            {"Critical", Severity::kFatal},
                            {"panic", Severity::kFatal},
                            {"dbug", Severity::kDebug},
                            {"INFO2", Severity::kInfo},
                            {"notice", Severity::kInfo},
                            {"trc", Severity::kTrace}}) {
    ASSERT_TRUE(ParseLevelName(text, &s)) << text;
    EXPECT_EQ(s, want) << text;
  }
  EXPECT_FALSE(ParseLevelName("loud", &s));
  EXPECT_FALSE(ParseLevelName("", &s));
}

TEST(Validation, AttributesOfASingleEntry) {
  auto r = ParseIngestRequest(
      R"({"severity":"info","message":"x","attributes":{"service":{"name":"a"},"n":1}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().attributes, (Attributes{{"n", "1"}, {"service.name", "a"}}));
}

// ---- validation -------------------------------------------------------------

struct BadBody {
  std::string body;
  std::string error;  // the exact sentence the client gets
};

class RejectsBody : public ::testing::TestWithParam<BadBody> {};

TEST_P(RejectsBody, WithItsSentence) {
  auto r = ParseIngestRequest(GetParam().body);
  ASSERT_FALSE(r.ok()) << GetParam().body;
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, RejectsBody,
    ::testing::Values(
        BadBody{"", "Request body is empty: send a JSON object with 'severity' and 'message'."},
        BadBody{" \n", "Request body is empty: send a JSON object with 'severity' and 'message'."},
        BadBody{"{", "Request body is not valid JSON."},
        BadBody{"{\"severity\":\"info\",\"message\":\"x\"} trailing",
                "Request body is not valid JSON."},
        BadBody{"severity=info", "Request body is not valid JSON."},
        BadBody{"{\"severity\":\"info\",\"message\":\"caf\xC3\"}",
                "Request body is not valid UTF-8."},
        BadBody{"{\"severity\":\"info\",\"message\":\"x\",\"other\":\"\xFF\"}",
                "Request body is not valid UTF-8."},
        BadBody{"[1,2]", "Request body must be a JSON object, not an array."},
        BadBody{"\"info\"", "Request body must be a JSON object, not a string."},
        BadBody{"42", "Request body must be a JSON object, not a number."},
        BadBody{"null", "Request body must be a JSON object, not null."},
        BadBody{"{\"message\":\"x\"}", "Missing required field 'severity'."},
        BadBody{"{\"severity\":\"info\"}", "Missing required field 'message'."},
        BadBody{"{}", "Missing required field 'severity'."},
        BadBody{"{\"severity\":1,\"message\":\"x\"}",
                "Field 'severity' must be a string, not a number."},
        BadBody{"{\"severity\":null,\"message\":\"x\"}",
                "Field 'severity' must be a string, not null."},
        BadBody{"{\"severity\":\"info\",\"message\":[\"x\"]}",
                "Field 'message' must be a string, not an array."},
        BadBody{"{\"severity\":\"info\",\"message\":true}",
                "Field 'message' must be a string, not a boolean."},
        BadBody{"{\"severity\":\"info\",\"message\":{}}",
                "Field 'message' must be a string, not an object."},
        // The original contract: the three severities, not the three added for batches.
        BadBody{"{\"severity\":\"debug\",\"message\":\"x\"}",
                "Field 'severity' must be one of: info, warning, error (any letter case)."},
        BadBody{"{\"severity\":\"fatal\",\"message\":\"x\"}",
                "Field 'severity' must be one of: info, warning, error (any letter case)."},
        BadBody{"{\"severity\":\"TRACE\",\"message\":\"x\"}",
                "Field 'severity' must be one of: info, warning, error (any letter case)."},
        BadBody{R"({"severity":"info","message":"x","attributes":"service=a"})",
                "Field 'attributes' must be an object, not a string."},
        BadBody{R"({"severity":"info","message":"x","attributes":{"":"v"}})",
                "Field 'attributes': An attribute key is empty; keys have 1 to 128 bytes."},
        BadBody{R"({"severity":"info","message":"x","attributes":{"a.b":"1","a":{"b":2}}})",
                "Field 'attributes': Attribute 'a.b' is given more than once; give each key "
                "once."},
        BadBody{"{\"severity\":\"\",\"message\":\"x\"}",
                "Field 'severity' must be one of: info, warning, error (any letter case)."},
        BadBody{"{\"severity\":\" info\",\"message\":\"x\"}",
                "Field 'severity' must be one of: info, warning, error (any letter case)."},
        BadBody{"{\"severity\":\"info\",\"message\":\"\"}", "Field 'message' must not be empty."},
        BadBody{"{\"severity\":\"info\",\"message\":\" \\t\\n\\r \"}",
                "Field 'message' must not be empty."},
        BadBody{"{\"severity\":\"info\",\"message\":\"\xE3\x80\x80\xC2\xA0\"}",
                "Field 'message' must not be empty."},
        // Parsers disagree on which of two values wins: refused, not guessed.
        BadBody{R"({"severity":"info","severity":"error","message":"x"})",
                "Field 'severity' appears more than once; send each field once."},
        BadBody{R"({"message":"x","severity":"info","message":"y"})",
                "Field 'message' appears more than once; send each field once."},
        BadBody{R"({"severity":"info","sever\u0069ty":"error","message":"x"})",
                "Field 'severity' appears more than once; send each field once."},
        BadBody{R"({"severity":"info","message":"x","message":5})",
                "Field 'message' appears more than once; send each field once."}),
    [](const ::testing::TestParamInfo<BadBody>& param) {
      return "case" + std::to_string(param.index);
    });

TEST(IngestRequest, AcceptsTheOriginalExample) {
  auto r = ParseIngestRequest(R"({"severity": "error", "message": "Database connection timeout"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().severity, Severity::kError);
  EXPECT_EQ(r.value().message, "Database connection timeout");
}

TEST(IngestRequest, RepeatsOfIgnoredFieldsAreIgnored) {
  auto r = ParseIngestRequest(R"({"severity":"info","tag":1,"message":"m","tag":{"a":2}})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().message, "m");
}

TEST(IngestRequest, SeverityInAnyLetterCase) {
  for (auto [name, want] : {std::pair{"INFO", Severity::kInfo},
                            {"Warning", Severity::kWarning},
                            {"eRRoR", Severity::kError},
                            {"info", Severity::kInfo}}) {
    auto r = ParseIngestRequest(std::string("{\"severity\":\"") + name + "\",\"message\":\"m\"}");
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ(r.value().severity, want) << name;
  }
}

TEST(IngestRequest, TrimsMessageAndIgnoresOtherFields) {
  auto r = ParseIngestRequest(
      "{\"extra\":[1,{\"a\":null}],\"severity\":\"info\",\"message\":\"\\t  hello  world \\n\"}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().message, "hello  world");
  // Unicode white space (U+3000, U+00A0) is trimmed too, as Python's str.strip() does.
  r = ParseIngestRequest("{\"severity\":\"info\",\"message\":\"\xE3\x80\x80x\xC2\xA0\"}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().message, "x");
}

TEST(IngestRequest, LengthCountsCodePointsNotBytes) {
  const std::string e_acute = "\xC3\xA9";  // é: 2 bytes, 1 code point
  auto body = [](const std::string& msg) {
    return "{\"severity\":\"info\",\"message\":\"" + msg + "\"}";
  };
  auto ok = ParseIngestRequest(body(Repeat(e_acute, 10000)));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(utf8::CountCodePoints(ok.value().message), 10000u);

  auto too_long = ParseIngestRequest(body(Repeat(e_acute, 10001)));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().message(),
            "Field 'message' is 10001 characters long; the limit is 10000.");

  // The limit applies after trimming.
  EXPECT_TRUE(ParseIngestRequest(body("   " + Repeat("a", 10000) + "   ")).ok());
  // Emoji are one code point each (4 bytes).
  EXPECT_TRUE(ParseIngestRequest(body(Repeat("\xF0\x9F\x98\x80", 10000))).ok());
  EXPECT_FALSE(ParseIngestRequest(body(Repeat("\xF0\x9F\x98\x80", 10001))).ok());
}

TEST(IngestRequest, EscapedContentIsDecoded) {
  auto r = ParseIngestRequest(R"({"severity":"info","message":"a\"b\\c\u00e9\ud83d\ude00"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().message, "a\"b\\c\xC3\xA9\xF0\x9F\x98\x80");
}

// ---- UTF-8 ------------------------------------------------------------------

TEST(Utf8, CountsCodePoints) {
  EXPECT_EQ(utf8::CountCodePoints(""), 0u);
  EXPECT_EQ(utf8::CountCodePoints("abc"), 3u);
  EXPECT_EQ(utf8::CountCodePoints("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), 3u);  // é € 😀
}

TEST(Utf8, TrimsOnlyTheEnds) {
  EXPECT_EQ(utf8::TrimWhitespace("  a b  "), "a b");
  EXPECT_EQ(utf8::TrimWhitespace("\xE2\x80\xA8x\xE2\x80\x83"), "x");  // U+2028, U+2003
  EXPECT_EQ(utf8::TrimWhitespace("\xC3\xA9"), "\xC3\xA9");            // é is not space
  EXPECT_EQ(utf8::TrimWhitespace("\x1F"
                                 "a\x1C"),
            "a");
  EXPECT_EQ(utf8::TrimWhitespace("   "), "");
  EXPECT_EQ(utf8::TrimWhitespace("\xE2\x80\x8B"),
            "\xE2\x80\x8B");  // zero-width space is not White_Space
}

// ---- JSON encoding ----------------------------------------------------------

std::string Encode(std::string_view s) {
  std::string out;
  json::AppendString(&out, s);
  return out;
}

// Encodes `s` and parses it back with simdjson: must be the same string.
void ExpectRoundTrip(const std::string& s) {
  std::string encoded = Encode(s);
  for (unsigned char c : encoded) ASSERT_LT(c, 0x80) << "output must be ASCII: " << encoded;
  simdjson::dom::parser parser;
  std::string_view back;
  ASSERT_EQ(parser.parse(encoded).get(back), simdjson::SUCCESS) << encoded;
  EXPECT_EQ(back, s) << encoded;
}

TEST(JsonWriter, RoundTripsEveryKindOfCharacter) {
  for (const std::string& s :
       {std::string("plain"), std::string("quote \" and backslash \\"),
        std::string("newline\n tab\t cr\r bs\b ff\f"), std::string("\x01 U+0001 and \x1F and \x7F"),
        std::string("emoji \xF0\x9F\x98\x80 and \xC3\xA9 and \xE2\x82\xAC"),
        std::string("</script><script>alert(1)</script> & more"), std::string("nul\0byte", 8),
        std::string("\xE2\x80\xA8 line separator"), std::string("")}) {
    ExpectRoundTrip(s);
  }
}

TEST(JsonWriter, EscapesAsPythonJsonDumpsDoes) {
  EXPECT_EQ(Encode("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Encode("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(Encode(std::string("\x01\x1F", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(Encode("\xC3\xA9"), R"("\u00e9")");
  EXPECT_EQ(Encode("\xF0\x9F\x98\x80"), R"("\ud83d\ude00")");
  EXPECT_EQ(Encode("</script>"), R"("\u003c/script\u003e")");
  EXPECT_EQ(Encode("&"), R"("\u0026")");
}

TEST(JsonWriter, ReplacesInvalidUtf8) {
  EXPECT_EQ(Encode("a\xFF"
                   "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(Encode("\xC3"), R"("\ufffd")");                      // truncated sequence
  EXPECT_EQ(Encode("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // a UTF-16 surrogate
  EXPECT_EQ(Encode("\xC0\xAF"), R"("\ufffd\ufffd")");            // overlong '/'
}

TEST(JsonWriter, Integers) {
  std::string out;
  json::AppendInt(&out, 1706356800000);
  json::AppendInt(&out, -5);
  EXPECT_EQ(out, "1706356800000-5");
}

// ---- UUIDs ------------------------------------------------------------------

TEST(Uuid, IsVersion4WithRfcVariant) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto b = uuid::NewV4();
    EXPECT_EQ(b[6] >> 4, 4) << "version nibble";
    EXPECT_EQ(b[8] >> 6, 2) << "variant bits 10";
    std::string s = uuid::Format(b);
    ASSERT_EQ(s.size(), 36u);
    for (size_t k = 0; k < s.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        ASSERT_EQ(s[k], '-');
      } else {
        ASSERT_TRUE(std::isxdigit(static_cast<unsigned char>(s[k])) && !std::isupper(s[k])) << s;
      }
    }
    EXPECT_EQ(s[14], '4');
    EXPECT_NE(std::string("89ab").find(s[19]), std::string::npos) << s;
    EXPECT_TRUE(seen.insert(s).second) << "duplicate " << s;
  }
}

TEST(Uuid, ParsesBothCasesAndRejectsMalformed) {
  auto b = uuid::NewV4();
  std::string s = uuid::Format(b);
  EXPECT_EQ(uuid::Parse(s), b);
  std::string upper = s;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(uuid::Parse(upper), b);
  EXPECT_FALSE(uuid::Parse(""));
  EXPECT_FALSE(uuid::Parse(s.substr(1)));
  EXPECT_FALSE(uuid::Parse(s + "0"));
  EXPECT_FALSE(uuid::Parse("zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz"));
  std::string moved_dash = s;
  std::swap(moved_dash[8], moved_dash[9]);
  EXPECT_FALSE(uuid::Parse(moved_dash));
}

// ---- datetime ---------------------------------------------------------------

TEST(Datetime, FormatsIso8601UtcWithMilliseconds) {
  EXPECT_EQ(FormatIso8601Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(1706356800000), "2024-01-27T12:00:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(1769516100000), "2026-01-27T12:15:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(1582934400123), "2020-02-29T00:00:00.123Z");
  EXPECT_EQ(FormatIso8601Millis(4102444799999), "2099-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Millis(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Millis(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Datetime, NowIsTheSystemClock) {
  int64_t now = NowUnixMillis();
  EXPECT_GT(now, 1767225600000);  // after 2026-01-01
  EXPECT_LT(now, 4102444800000);  // before 2100
}

// Base64: RFC 4648 section 10's test vectors, both alphabets, and refusals.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(base64::Encode(bytes, base64::Alphabet::kStandard), text);
    std::string unpadded(text.substr(0, text.find('=')));
    EXPECT_EQ(base64::Encode(bytes, base64::Alphabet::kUrl), unpadded);
    for (auto alphabet : {base64::Alphabet::kStandard, base64::Alphabet::kEither}) {
      std::string out;
      EXPECT_TRUE(base64::Decode(text, alphabet, &out)) << text;
      EXPECT_EQ(out, bytes);
    }
    for (auto alphabet : {base64::Alphabet::kUrl, base64::Alphabet::kEither}) {
      std::string out;
      EXPECT_TRUE(base64::Decode(unpadded, alphabet, &out)) << unpadded;
      EXPECT_EQ(out, bytes);
    }
  }
  // 0xfb 0xff: '+' and '/' in the standard alphabet, '-' and '_' in the URL one.
  EXPECT_EQ(base64::Encode("\xfb\xff", base64::Alphabet::kStandard), "+/8=");
  EXPECT_EQ(base64::Encode("\xfb\xff", base64::Alphabet::kUrl), "-_8");
  std::string out;
  EXPECT_FALSE(base64::Decode("-_8=", base64::Alphabet::kStandard, &out));
  EXPECT_FALSE(base64::Decode("+/8", base64::Alphabet::kUrl, &out));
  EXPECT_FALSE(base64::Decode("Zm9vYg==", base64::Alphabet::kUrl, &out));       // no padding there
  EXPECT_FALSE(base64::Decode("Zm9vYg", base64::Alphabet::kStandard, &out));    // padding missing
  EXPECT_FALSE(base64::Decode("Zm9vY", base64::Alphabet::kEither, &out));       // no such length
  EXPECT_FALSE(base64::Decode("Zm9vYh==", base64::Alphabet::kStandard, &out));  // bits left over
  EXPECT_FALSE(base64::Decode("Zm9v Yg==", base64::Alphabet::kStandard, &out));
  EXPECT_FALSE(base64::Decode("Zg=", base64::Alphabet::kStandard, &out));
}

}  // namespace
}  // namespace logsvc
