// Unit tests of search's pure logic: the `q` parser and the matcher
// (src/core/text_query.h), time bounds and steps (time_bound.h), the query
// string (query_string.h) and the search and stats parameters (query.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/query.h"
#include "core/query_string.h"
#include "core/text_query.h"
#include "core/time_bound.h"

namespace logsvc {
namespace {

using Kind = TextTerm::Kind;
using V = std::vector<std::string>;

TextQuery Parse(std::string_view q) {
  Result<TextQuery> r = ParseText(q);
  EXPECT_TRUE(r.ok()) << q << ": " << r.status().message();
  return r.ok() ? r.value() : TextQuery{};
}

std::string TextError(std::string_view q) {
  Result<TextQuery> r = ParseText(q);
  EXPECT_FALSE(r.ok()) << q;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

bool M(std::string_view q, std::string_view message) { return Matches(Parse(q), message); }

// ---- ParseText: every term kind ---------------------------------------------

TEST(ParseText, EveryTermKind) {
  TextQuery q = Parse(
      "Timeout timeo* \"Connection  TIMEOUT\" -retry -\"conn reset\" -re* "
      "\"conn tim*\"");
  ASSERT_EQ(q.terms.size(), 7u);
  EXPECT_EQ(q.terms[0], (TextTerm{V{"timeout"}, false, false}));
  EXPECT_EQ(q.terms[0].kind(), Kind::kWord);
  EXPECT_EQ(q.terms[1], (TextTerm{V{"timeo"}, true, false}));
  EXPECT_EQ(q.terms[1].kind(), Kind::kPrefix);
  EXPECT_EQ(q.terms[2], (TextTerm{V{"connection", "timeout"}, false, false}));
  EXPECT_EQ(q.terms[2].kind(), Kind::kPhrase);
  EXPECT_EQ(q.terms[3], (TextTerm{V{"retry"}, false, true}));
  EXPECT_EQ(q.terms[4], (TextTerm{V{"conn", "reset"}, false, true}));
  EXPECT_EQ(q.terms[5], (TextTerm{V{"re"}, true, true}));
  EXPECT_EQ(q.terms[6], (TextTerm{V{"conn", "tim"}, true, false}));
  EXPECT_EQ(q.terms[6].kind(), Kind::kPhrase);
  EXPECT_TRUE(q.HasPositiveTerm());
}

TEST(ParseText, ATermOfSeveralWordsIsAPhrase) {
  EXPECT_EQ(Parse("user_id=42").terms, (std::vector<TextTerm>{{V{"user_id", "42"}}}));
  EXPECT_EQ(Parse("10.0.0.1").terms, (std::vector<TextTerm>{{V{"10", "0", "0", "1"}}}));
  EXPECT_EQ(Parse("Timeout!").terms, (std::vector<TextTerm>{{V{"timeout"}}}));
  EXPECT_EQ(Parse("-a-b").terms, (std::vector<TextTerm>{{V{"a", "b"}, false, true}}));
}

TEST(ParseText, QuotesAroundOneWordMakeAWord) {
  EXPECT_EQ(Parse("\"Timeout\"").terms, (std::vector<TextTerm>{{V{"timeout"}}}));
  EXPECT_EQ(Parse("\"-x-\"").terms, (std::vector<TextTerm>{{V{"x"}}}));  // '-' inside: punctuation
}

TEST(ParseText, WhiteSpaceIsWhatTrimmingStrips) {
  TextQuery q = Parse(" \ta\nb\u00A0c\u3000d\u2003e ");
  ASSERT_EQ(q.terms.size(), 5u);
  EXPECT_EQ(q.terms[4].words, V{"e"});
  // Inside quotes white space only separates the phrase's words.
  EXPECT_EQ(Parse("\"a\u3000b\"").terms[0].words, (V{"a", "b"}));
}

TEST(ParseText, UnicodeTermsAreFolded) {
  EXPECT_EQ(Parse("ÉCOLE").terms[0].words, V{"école"});
  EXPECT_EQ(Parse("ΣΟΦΟΣ").terms[0].words, V{"σοφοσ"});
  EXPECT_EQ(Parse("東京*").terms[0], (TextTerm{V{"東京"}, true, false}));
}

TEST(ParseText, OnlyNegatedTermsAreAllowed) {
  TextQuery q = Parse("-healthcheck -\"GET /ping\"");
  ASSERT_EQ(q.terms.size(), 2u);
  EXPECT_FALSE(q.HasPositiveTerm());
}

TEST(ParseText, Limits) {
  std::string sixteen, seventeen;
  for (int i = 0; i < 16; ++i) sixteen += "w" + std::to_string(i) + " ";
  EXPECT_EQ(Parse(sixteen).terms.size(), 16u);
  EXPECT_EQ(TextError(sixteen + "w16"), "Parameter 'q' has more than 16 terms.");
  std::string phrase16 = "\"a b c d e f g h i j k l m n o p\"";
  EXPECT_EQ(Parse(phrase16).terms[0].words.size(), 16u);
  EXPECT_EQ(TextError("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"),
            "Parameter 'q' has the term 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q', of more than 16 "
            "words.");
  EXPECT_TRUE(ParseText(std::string(1024, 'a')).ok());
  EXPECT_EQ(TextError(std::string(1025, 'a')), "Parameter 'q' is longer than 1024 bytes.");
  EXPECT_TRUE(ParseText("ab*").ok());
  EXPECT_TRUE(ParseText("éé*").ok());
}

struct BadText {
  std::string q;
  std::string error;
};

class RejectsText : public ::testing::TestWithParam<BadText> {};

TEST_P(RejectsText, WithItsSentence) { EXPECT_EQ(TextError(GetParam().q), GetParam().error); }

INSTANTIATE_TEST_SUITE_P(
    EveryRule, RejectsText,
    ::testing::Values(
        BadText{"", "Parameter 'q' is empty: give one or more words to search for."},
        BadText{" \t\u3000 ", "Parameter 'q' is empty: give one or more words to search for."},
        BadText{"caf\xC3", "Parameter 'q' is not valid UTF-8."},
        BadText{"\"connection timeout",
                "Parameter 'q' has a '\"' without its closing '\"' (in '\"connection "
                "timeout'): a phrase is written \"connection timeout\"."},
        BadText{"a \"b\" \"c",
                "Parameter 'q' has a '\"' without its closing '\"' (in '\"c'): a phrase is "
                "written \"connection timeout\"."},
        BadText{"time\"out\"",
                "Parameter 'q' has a '\"' inside the term 'time\"out\"': quotes go around a "
                "whole phrase, as in \"connection timeout\"."},
        BadText{"\"a b\"c d",
                "Parameter 'q' has text right after a closing '\"' (in '\"a b\"c'): put white "
                "space between terms."},
        BadText{"\"a b\"*",
                "Parameter 'q' has text right after a closing '\"' (in '\"a b\"*'): put white "
                "space between terms."},
        BadText{"a - b",
                "Parameter 'q' has a '-' with nothing after it: write -word to exclude a word."},
        BadText{"a -",
                "Parameter 'q' has a '-' with nothing after it: write -word to exclude a "
                "word."},
        BadText{"ti*me",
                "Parameter 'q' has a '*' inside the term 'ti*me': a '*' may only end "
                "a term, as in timeo*."},
        BadText{"time**",
                "Parameter 'q' has a '*' inside the term 'time**': a '*' may only "
                "end a term, as in timeo*."},
        BadText{"\"a *b\"",
                "Parameter 'q' has a '*' inside the term '\"a *b\"': a '*' may only "
                "end a term, as in timeo*."},
        BadText{"10.0.0.*",
                "Parameter 'q' has the term '10.0.0.*', whose '*' does not follow "
                "a letter or digit: a prefix is written timeo*."},
        BadText{"*",
                "Parameter 'q' has the term '*', which has no letters, digits or '_' to "
                "search for."},
        BadText{"a !!!",
                "Parameter 'q' has the term '!!!', which has no letters, digits or "
                "'_' to search for."},
        BadText{"-🚀",
                "Parameter 'q' has the term '-🚀', which has no letters, digits or "
                "'_' to search for."},
        BadText{"\"\"",
                "Parameter 'q' has the term '\"\"', which has no letters, digits or "
                "'_' to search for."},
        BadText{"t*",
                "Parameter 'q' has the prefix 't*': a prefix needs at least 2 letters "
                "or digits before the '*'."},
        BadText{"é*",
                "Parameter 'q' has the prefix 'é*': a prefix needs at least 2 letters "
                "or digits before the '*'."},
        BadText{"\"conn t*\"",
                "Parameter 'q' has the prefix '\"conn t*\"': a prefix needs at "
                "least 2 letters or digits before the '*'."}));

TEST(ParseText, LongTermsAreCutInErrors) {
  std::string term(100, '!');
  EXPECT_EQ(TextError(term), "Parameter 'q' has the term '" + std::string(40, '!') +
                                 "...', which has no letters, digits or '_' to search for.");
}

TEST(RenderText, RoundTrips) {
  for (std::string_view q :
       {"timeout", "Timeout timeo* \"Connection TIMEOUT\" -retry -\"conn reset\" -re*",
        "user_id=42 10.0.0.1", "\"conn tim*\" -\"a bc*\"", "ÉCOLE ΣΟΦΟΣ 東京*"}) {
    TextQuery parsed = Parse(q);
    std::string rendered = RenderText(parsed);
    EXPECT_EQ(Parse(rendered), parsed) << q << " -> " << rendered;
  }
  EXPECT_EQ(RenderText(Parse("Timeout -\"Conn  Reset\" 10.0.0.1 a.bc*")),
            "timeout -\"conn reset\" \"10 0 0 1\" \"a bc*\"");
}

// ---- Matches ------------------------------------------------------------------

TEST(Matches, Words) {
  EXPECT_TRUE(M("timeout", "Database connection TIMEOUT"));
  EXPECT_TRUE(M("timeout", "Timeout!"));
  EXPECT_FALSE(M("timeout", "timeouts"));
  EXPECT_FALSE(M("timeout", "time out"));
  EXPECT_FALSE(M("out", "timeout"));
  EXPECT_TRUE(M("user_id", "user_id=42"));
  EXPECT_FALSE(M("user", "user_id=42"));  // '_' joins
  EXPECT_TRUE(M("42", "user_id=42"));
}

TEST(Matches, AllTermsMustMatch) {
  EXPECT_TRUE(M("database timeout", "timeout talking to the database"));
  EXPECT_FALSE(M("database timeout", "timeout talking to the cache"));
  EXPECT_TRUE(M("a a", "a"));  // the same term twice
}

TEST(Matches, Prefixes) {
  EXPECT_TRUE(M("timeo*", "connection timed out: TIMEOUTS=3"));
  EXPECT_TRUE(M("timeo*", "timeo"));
  EXPECT_FALSE(M("timeo*", "time out"));
  EXPECT_FALSE(M("imeo*", "timeout"));  // the beginning of a word only
  EXPECT_TRUE(M("東京*", "東京でエラーが発生"));
  EXPECT_FALSE(M("東京", "東京でエラーが発生"));  // a CJK run is one word
}

TEST(Matches, PhrasesAreAdjacentWordsInOrder) {
  EXPECT_TRUE(M("\"connection timeout\"", "Connection: timeout!"));  // punctuation between
  EXPECT_TRUE(M("\"connection timeout\"", "db connection timeout after 5s"));
  EXPECT_FALSE(M("\"connection timeout\"", "connection was a timeout"));
  EXPECT_FALSE(M("\"connection timeout\"", "timeout connection"));
  EXPECT_FALSE(M("\"connection timeout\"", "connection"));
  EXPECT_TRUE(M("\"a a b\"", "a a a b"));  // a partial match restarts correctly
  EXPECT_TRUE(M("\"a b a b c\"", "a b a b a b c"));
  EXPECT_FALSE(M("\"a b c\"", "a b a c b c"));
  EXPECT_TRUE(M("user_id=42", "login user_id: 42"));
  EXPECT_FALSE(M("user_id=42", "user_id=43 42"));
  EXPECT_TRUE(M("10.0.0.1", "from 10.0.0.1:8080"));
  EXPECT_FALSE(M("10.0.0.1", "from 10.0.0.12"));
  EXPECT_TRUE(M("\"conn tim*\"", "conn timed out"));
  EXPECT_FALSE(M("\"conn tim*\"", "conn xtimed out"));
  EXPECT_FALSE(M("\"conn tim*\"", "timed conn"));
  EXPECT_TRUE(M("deploy-done", "deploy🚀done"));  // emoji separate too
}

TEST(Matches, Negation) {
  EXPECT_TRUE(M("timeout -retry", "timeout, giving up"));
  EXPECT_FALSE(M("timeout -retry", "timeout, will RETRY"));
  EXPECT_TRUE(M("timeout -retry", "timeout, retrying"));  // a word, not a prefix
  EXPECT_FALSE(M("timeout -retr*", "timeout, retrying"));
  EXPECT_FALSE(M("timeout -\"will retry\"", "timeout, will retry"));
  EXPECT_TRUE(M("timeout -\"will retry\"", "timeout, retry will"));
  EXPECT_TRUE(M("-healthcheck", "GET /orders 200"));
  EXPECT_FALSE(M("-healthcheck", "GET /healthcheck 200"));
  EXPECT_FALSE(M("-a -b", "b"));
  EXPECT_FALSE(M("ok -x", "ok x"));  // the negated word comes after every positive one
  EXPECT_FALSE(M("ok -x", "x ok"));
}

TEST(Matches, Unicode) {
  EXPECT_TRUE(M("ÉCOLE", "Rentrée à l'école"));
  EXPECT_TRUE(M("école", "L'ÉCOLE EST FERMÉE"));
  EXPECT_FALSE(M("ecole", "école"));  // no accent folding
  EXPECT_TRUE(M("σοφος", "Ο ΣΟΦΟΣ ΛΕΕΙ"));
  EXPECT_TRUE(M("ΣΟΦΟΣ", "ο σοφος"));
  EXPECT_TRUE(M("straße", "STRAẞE"));
  EXPECT_FALSE(M("strasse", "Straße"));  // simple folding: ß is not "ss"
  EXPECT_TRUE(M("ISTANBUL", "istanbul"));
  EXPECT_FALSE(M("ıstanbul", "ISTANBUL"));  // Turkish dotless ı is its own letter
  EXPECT_FALSE(M("İstanbul", "istanbul"));  // İ has no simple folding
  EXPECT_TRUE(M("İstanbul", "İSTANBUL"));
  EXPECT_TRUE(M("ошибка", "ОШИБКА: время истекло"));
  EXPECT_TRUE(M("\"время истекло\"", "ОШИБКА: ВРЕМЯ — ИСТЕКЛО"));
}

TEST(Matches, AnyBytes) {
  EXPECT_TRUE(M("ab cd",
                "ab\xFF"
                "cd"));
  EXPECT_TRUE(M("\"ab cd\"",
                "ab\xC0\xAF"
                "cd"));
  EXPECT_FALSE(M("abcd",
                 "ab\xFF"
                 "cd"));
  EXPECT_TRUE(M("-x", ""));
  EXPECT_FALSE(M("x", ""));
  EXPECT_TRUE(Matches(TextQuery{}, "anything"));
}

TEST(Matches, LongWordsCompareByTheirFirst256Bytes) {
  std::string word(300, 'a');
  EXPECT_TRUE(M(word, word));
  EXPECT_TRUE(M(word, std::string(256, 'a') + "b"));  // the cut: same first 256 bytes
  EXPECT_FALSE(M(word, std::string(255, 'a')));
  EXPECT_TRUE(M(std::string(200, 'a') + "*", word));
}

// ---- time bounds ----------------------------------------------------------------

constexpr int64_t kNow = 1'796'083'200'000;  // 2026-12-01T00:00:00Z

int64_t Time(std::string_view text) {
  Result<int64_t> r = ParseTimeBound("from", text, kNow);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? r.value() : -1;
}

std::string TimeError(std::string_view text) {
  Result<int64_t> r = ParseTimeBound("from", text, kNow);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

TEST(TimeBound, NowDurationsAndMilliseconds) {
  EXPECT_EQ(Time("now"), kNow);
  EXPECT_EQ(Time("90s"), kNow - 90'000);
  EXPECT_EQ(Time("15m"), kNow - 15 * 60'000);
  EXPECT_EQ(Time("2h"), kNow - 2 * 3'600'000);
  EXPECT_EQ(Time("7d"), kNow - 7 * 86'400'000LL);
  EXPECT_EQ(Time("0s"), kNow);
  EXPECT_EQ(Time("1796083200000"), kNow);
  EXPECT_EQ(Time("0"), 0);
  EXPECT_EQ(Time("-1000"), -1000);
  EXPECT_EQ(Time("253402300800000"), kTimeMaxMs);
  EXPECT_EQ(Time("-62167219200000"), kTimeMinMs);
}

TEST(TimeBound, Rfc3339) {
  EXPECT_EQ(Time("2026-12-01T00:00:00Z"), kNow);
  EXPECT_EQ(Time("2026-12-01t00:00:00z"), kNow);
  EXPECT_EQ(Time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Time("2026-12-01T01:00:00+01:00"), kNow);
  EXPECT_EQ(Time("2026-11-30T19:00:00-05:00"), kNow);
  EXPECT_EQ(Time("2026-12-01T05:30:00+05:30"), kNow);
  EXPECT_EQ(Time("2026-12-01T00:00:00-00:00"), kNow);
  EXPECT_EQ(Time("2026-12-01T00:00:00.5Z"), kNow + 500);
  EXPECT_EQ(Time("2026-12-01T00:00:00.123Z"), kNow + 123);
  EXPECT_EQ(Time("2026-12-01T00:00:00.123456789Z"), kNow + 123);  // beyond ms: dropped
  EXPECT_EQ(Time("2026-12-01T00:00:00.999999999+00:00"), kNow + 999);
  EXPECT_EQ(Time("2024-02-29T12:00:00Z"), 1'709'208'000'000);  // a leap year
  EXPECT_EQ(Time("2000-02-29T00:00:00Z"), 951'782'400'000);    // divisible by 400
  EXPECT_EQ(Time("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(Time("0000-01-01T00:00:00Z"), kTimeMinMs);
  EXPECT_EQ(Time("0000-02-29T00:00:00Z"), kTimeMinMs + 59 * 86'400'000LL);  // year 0 leaps
  EXPECT_EQ(Time("9999-12-31T23:59:59.999Z"), kTimeMaxMs - 1);
}

const char kNotATime[] =
    "Unix milliseconds (1796083200000), an RFC 3339 time (2026-12-01T00:00:00Z, "
    "2026-12-01T01:00:00.5+01:00), a duration before now (90s, 15m, 2h, 7d) or now";

TEST(TimeBound, Errors) {
  const std::string range =
      "Parameter 'from' is out of range: times go from 0000-01-01T00:00:00Z to "
      "9999-12-31T23:59:59.999Z.";
  EXPECT_EQ(TimeError(""), std::string("Parameter 'from' is empty: give ") + kNotATime + ".");
  for (std::string_view bad : {"yesterday", "NOW", "1.5h", "90", "2026-12-01", "15 m", "+5", "-",
                               "2026-12-01 00:00:00Z", "1w", "1ms"}) {
    if (bad == "90") continue;  // digits: milliseconds
    EXPECT_EQ(TimeError(bad), "Parameter 'from' is not a time: '" + std::string(bad) + "'. Give " +
                                  kNotATime + ".");
  }
  EXPECT_EQ(TimeError("2023-02-29T00:00:00Z"),
            "Parameter 'from' has the date 2023-02-29, which does not exist.");
  EXPECT_EQ(TimeError("2100-02-29T00:00:00Z"),
            "Parameter 'from' has the date 2100-02-29, which does not exist.");
  EXPECT_EQ(TimeError("2026-02-30T00:00:00Z"),
            "Parameter 'from' has the date 2026-02-30, which does not exist.");
  EXPECT_EQ(TimeError("2026-04-31T00:00:00Z"),
            "Parameter 'from' has the date 2026-04-31, which does not exist.");
  EXPECT_EQ(TimeError("2026-13-01T00:00:00Z"),
            "Parameter 'from' has the date 2026-13-01, which does not exist.");
  EXPECT_EQ(TimeError("2026-00-10T00:00:00Z"),
            "Parameter 'from' has the date 2026-00-10, which does not exist.");
  EXPECT_EQ(TimeError("2026-01-00T00:00:00Z"),
            "Parameter 'from' has the date 2026-01-00, which does not exist.");
  const std::string tod =
      ", which does not exist: hours go from 00 to 23, minutes and seconds from 00 to 59.";
  EXPECT_EQ(TimeError("2026-12-01T24:00:00Z"),
            "Parameter 'from' has the time of day 24:00:00" + tod);
  EXPECT_EQ(TimeError("2026-12-01T23:60:00Z"),
            "Parameter 'from' has the time of day 23:60:00" + tod);
  EXPECT_EQ(TimeError("2016-12-31T23:59:60Z"),
            "Parameter 'from' has the time of day 23:59:60" + tod);  // no leap seconds
  EXPECT_EQ(TimeError("2026-12-01T00:00:00+24:00"),
            "Parameter 'from' has the offset +24:00, which does not exist: hours go from 00 "
            "to 23, minutes from 00 to 59.");
  EXPECT_EQ(TimeError("2026-12-01T00:00:00-01:60"),
            "Parameter 'from' has the offset -01:60, which does not exist: hours go from 00 "
            "to 23, minutes from 00 to 59.");
  EXPECT_EQ(TimeError("2026-12-01T00:00:00 01:00"),
            "Parameter 'from' has a space where the sign of its offset should be: in a URL a "
            "'+' means a space, write it as %2B.");
  const std::string zone =
      "Parameter 'from' is not a time: an RFC 3339 time ends in Z or an offset such as "
      "+01:00 or -05:00, as in 2026-12-01T00:00:00Z.";
  EXPECT_EQ(TimeError("2026-12-01T00:00:00"), zone);
  EXPECT_EQ(TimeError("2026-12-01T00:00:00+0100"), zone);
  EXPECT_EQ(TimeError("2026-12-01T00:00:00+01"), zone);
  EXPECT_EQ(TimeError("2026-12-01T00:00:00ZZ"), zone);
  EXPECT_EQ(TimeError("2026-12-01T00:00:00.Z"),
            "Parameter 'from' has a fraction of a second of 0 digits: give 1 to 9 digits "
            "after the '.'.");
  EXPECT_EQ(TimeError("2026-12-01T00:00:00.1234567890Z"),
            "Parameter 'from' has a fraction of a second of 10 digits: give 1 to 9 digits "
            "after the '.'.");
  EXPECT_EQ(TimeError("0000-01-01T00:00:00+00:01"), range);
  EXPECT_EQ(TimeError("9999-12-31T23:59:59-00:01"), range);
  EXPECT_EQ(TimeError("253402300800001"), range);
  EXPECT_EQ(TimeError("-62167219200001"), range);
  EXPECT_EQ(TimeError("99999999999999999999999"), range);
  EXPECT_EQ(TimeError("999999999d"), range);
}

TEST(Step, Durations) {
  EXPECT_EQ(ParseStep("1s").value(), 1000);
  EXPECT_EQ(ParseStep("30s").value(), 30'000);
  EXPECT_EQ(ParseStep("1m").value(), 60'000);
  EXPECT_EQ(ParseStep("5m").value(), 300'000);
  EXPECT_EQ(ParseStep("1h").value(), 3'600'000);
  EXPECT_EQ(ParseStep("1d").value(), 86'400'000);
  EXPECT_EQ(ParseStep("0s").status().message(),
            "Parameter 'step' is '0s': a step is at least one second (1s).");
  for (std::string_view bad : {"", "1", "1w", "500ms", "1.5h", "-1h", "h", "1H", "1234567890s"}) {
    EXPECT_EQ(ParseStep(bad).status().message(),
              "Parameter 'step' is not a duration: '" + std::string(bad) +
                  "'. Give a whole number of seconds, minutes, hours or days, such as 30s, "
                  "1m, 1h or 1d.");
  }
}

// ---- the query string ---------------------------------------------------------

TEST(QueryString, SplitsAndDecodes) {
  auto r = ParseQueryString("q=a+b%20c%2Bd&&x&y=&%71=%e2%82%ac&");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const auto& p = r.value();
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].name, "q");
  EXPECT_EQ(p[0].value, "a b c+d");
  EXPECT_EQ(p[1].name, "x");
  EXPECT_EQ(p[1].value, "");
  EXPECT_EQ(p[2].name, "y");
  EXPECT_EQ(p[3].name, "q");
  EXPECT_EQ(p[3].value, "€");
  EXPECT_TRUE(ParseQueryString("").value().empty());
  EXPECT_EQ(ParseQueryString("a=b=c").value()[0].value, "b=c");
}

TEST(QueryString, Errors) {
  EXPECT_EQ(ParseQueryString("q=100%").status().message(),
            "Parameter 'q' has an invalid percent-escape '%': write a '%' as %25.");
  EXPECT_EQ(ParseQueryString("q=%4").status().message(),
            "Parameter 'q' has an invalid percent-escape '%4': write a '%' as %25.");
  EXPECT_EQ(ParseQueryString("q=a%zzb").status().message(),
            "Parameter 'q' has an invalid percent-escape '%zz': write a '%' as %25.");
  EXPECT_EQ(ParseQueryString("a%g1=1").status().message(),
            "The query string has a parameter name with an invalid percent-escape '%g1': "
            "write a '%' as %25.");
  std::string many;
  for (int i = 0; i < 65; ++i) many += "a=1&";
  EXPECT_EQ(ParseQueryString(many).status().message(),
            "The query string has more than 64 parameters.");
}

// ---- GET /logs parameters -----------------------------------------------------

SearchRequest Search(std::string_view raw) {
  Result<SearchRequest> r = ParseSearchParams(raw, kNow);
  EXPECT_TRUE(r.ok()) << raw << ": " << r.status().message();
  return r.ok() ? r.value() : SearchRequest{};
}

std::string SearchError(std::string_view raw) {
  Result<SearchRequest> r = ParseSearchParams(raw, kNow);
  EXPECT_FALSE(r.ok()) << raw;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  return r.status().message();
}

TEST(SearchParams, NoParameters) {
  for (std::string_view raw : {"", "&", "&&"}) {
    SearchRequest r = Search(raw);
    EXPECT_FALSE(r.any_parameter);
    EXPECT_EQ(r.filter.severities, SeveritySet::All());
    EXPECT_EQ(r.filter.from_ms, kTimeMinMs);
    EXPECT_EQ(r.filter.to_ms, kTimeMaxMs);
    EXPECT_TRUE(r.filter.text.empty());
    EXPECT_EQ(r.limit, 100u);
    EXPECT_EQ(r.order, Order::kDesc);
    EXPECT_EQ(r.cursor, "");
  }
}

TEST(SearchParams, TheIssueExample) {
  SearchRequest r = Search(
      "severity=error,warning&from=2026-12-01T00:00:00Z&to=now&q=timeout%20-retry&limit=100");
  EXPECT_TRUE(r.any_parameter);
  SeveritySet want;
  want.Add(Severity::kError);
  want.Add(Severity::kWarning);
  EXPECT_EQ(r.filter.severities, want);
  EXPECT_EQ(r.filter.from_ms, kNow);
  EXPECT_EQ(r.filter.to_ms, kNow);
  EXPECT_EQ(RenderText(r.filter.text), "timeout -retry");
  EXPECT_EQ(r.limit, 100u);
}

TEST(SearchParams, EachParameter) {
  EXPECT_EQ(Search("severity=ERROR,%20Info+,error").filter.severities.bits(),
            (1u << static_cast<unsigned>(Severity::kError)) |
                (1u << static_cast<unsigned>(Severity::kInfo)));
  EXPECT_EQ(Search("from=1h").filter.from_ms, kNow - 3'600'000);
  EXPECT_EQ(Search("from=1h").filter.to_ms, kTimeMaxMs);
  EXPECT_EQ(Search("to=1h").filter.from_ms, kTimeMinMs);
  EXPECT_EQ(Search("from=2026-12-01T01:00:00%2B01:00").filter.from_ms, kNow);
  EXPECT_EQ(Search("from=5&to=5").filter.to_ms, 5);  // an empty range is fine
  EXPECT_EQ(Search("limit=1").limit, 1u);
  EXPECT_EQ(Search("limit=1000").limit, 1000u);
  EXPECT_EQ(Search("limit=0042").limit, 42u);
  EXPECT_EQ(Search("order=asc").order, Order::kAsc);
  EXPECT_EQ(Search("order=ASC").order, Order::kAsc);
  EXPECT_EQ(Search("order=Desc").order, Order::kDesc);
  EXPECT_EQ(Search("cursor=abc%2F%00%FF").cursor, std::string("abc/\0\xFF", 6));
  EXPECT_EQ(Search("cursor=" + std::string(1024, 'c')).cursor.size(), 1024u);
  EXPECT_EQ(Search("q=-healthcheck").filter.text.HasPositiveTerm(), false);
  EXPECT_EQ(Search("q=%22connection+timeout%22").filter.text.terms[0].words,
            (V{"connection", "timeout"}));
}

struct BadParams {
  std::string raw;
  std::string error;
};

class RejectsSearch : public ::testing::TestWithParam<BadParams> {};

TEST_P(RejectsSearch, WithItsSentence) { EXPECT_EQ(SearchError(GetParam().raw), GetParam().error); }

const char kSeverityHelp[] =
    "one or more of trace, debug, info, warning, error, fatal, comma-separated (any letter case).";

INSTANTIATE_TEST_SUITE_P(
    EveryRule, RejectsSearch,
    ::testing::Values(
        BadParams{"foo=1",
                  "Unknown parameter 'foo': GET /logs takes q, severity, severity>=, from, to, "
                  "limit, order, cursor and attr.<key>."},
        BadParams{"Q=x",
                  "Unknown parameter 'Q': GET /logs takes q, severity, severity>=, from, to, "
                  "limit, order, cursor and attr.<key>."},
        BadParams{"step=1h",
                  "Unknown parameter 'step': GET /logs takes q, severity, severity>=, from, to, "
                  "limit, order, cursor and attr.<key>."},
        BadParams{"Attr.service.name=checkout",
                  "Unknown parameter 'Attr.service.name': GET /logs takes q, severity, "
                  "severity>=, from, to, limit, order, cursor and attr.<key>."},
        BadParams{"severity%3C=warning",
                  "Unknown parameter 'severity<': GET /logs takes q, severity, severity>=, from, "
                  "to, limit, order, cursor and attr.<key>."},
        BadParams{"q=a&q=b",
                  "Parameter 'q' is given more than once: give it once (severity "
                  "takes a comma-separated list; attr.<key> may repeat)."},
        BadParams{"severity=error&severity=info",
                  "Parameter 'severity' is given more than once: give it once (severity takes "
                  "a comma-separated list; attr.<key> may repeat)."},
        BadParams{"q=", "Parameter 'q' is empty: give one or more words to search for."},
        BadParams{"q", "Parameter 'q' is empty: give one or more words to search for."},
        BadParams{"q=%22a",
                  "Parameter 'q' has a '\"' without its closing '\"' (in '\"a'): a "
                  "phrase is written \"connection timeout\"."},
        BadParams{"q=%FF", "Parameter 'q' is not valid UTF-8."},
        BadParams{"q=%", "Parameter 'q' has an invalid percent-escape '%': write a '%' as %25."},
        BadParams{"severity=verbose",
                  std::string("Parameter 'severity' has 'verbose', which is not "
                              "a severity: give ") +
                      kSeverityHelp},
        BadParams{"severity=error,warn",
                  std::string("Parameter 'severity' has 'warn', which is not a severity: give ") +
                      kSeverityHelp},
        BadParams{"severity=",
                  std::string("Parameter 'severity' has an empty entry: give ") + kSeverityHelp},
        BadParams{"severity=error,,info",
                  std::string("Parameter 'severity' has an empty entry: give ") + kSeverityHelp},
        BadParams{"from=yesterday", std::string("Parameter 'from' is not a time: 'yesterday'. "
                                                "Give ") +
                                        kNotATime + "."},
        BadParams{"to=2026-02-30T00:00:00Z",
                  "Parameter 'to' has the date 2026-02-30, which does not exist."},
        BadParams{"from=2026-12-01T00:00:00+01:00",
                  "Parameter 'from' has a space where the sign of its offset should be: in a "
                  "URL a '+' means a space, write it as %2B."},
        BadParams{"from=now&to=1h",
                  "Parameter 'from' (2026-12-01T00:00:00.000Z) is after 'to' "
                  "(2026-11-30T23:00:00.000Z): 'from' is the first instant of the range, 'to' "
                  "the end."},
        BadParams{"limit=0", "Parameter 'limit' is '0': give a whole number from 1 to 1000."},
        BadParams{"limit=1001", "Parameter 'limit' is '1001': give a whole number from 1 to 1000."},
        BadParams{"limit=-1", "Parameter 'limit' is '-1': give a whole number from 1 to 1000."},
        BadParams{"limit=ten", "Parameter 'limit' is 'ten': give a whole number from 1 to 1000."},
        BadParams{"limit=", "Parameter 'limit' is '': give a whole number from 1 to 1000."},
        BadParams{"limit=99999999999999999999",
                  "Parameter 'limit' is '99999999999999999999': give a whole number from 1 to "
                  "1000."},
        BadParams{"order=newest",
                  "Parameter 'order' is 'newest': give desc (newest first, the default) or asc."},
        BadParams{"cursor=",
                  "Parameter 'cursor' is not a cursor this service gave out: pass "
                  "the previous reply's 'next' unchanged."},
        BadParams{"cursor=" + std::string(kMaxCursorBytes + 1, 'c'),
                  "Parameter 'cursor' is not a cursor this service gave out: pass the previous "
                  "reply's 'next' unchanged."},
        BadParams{"cursor=abc&severity=error",
                  "Parameter 'severity' cannot be given with 'cursor': the cursor carries the "
                  "query it continues (only 'limit' may change)."}));

TEST(SearchParams, ErrorsEchoAtMost40Characters) {
  EXPECT_EQ(SearchError(std::string(100, 'x') + "=1"),
            "Unknown parameter '" + std::string(40, 'x') +
                "...': GET /logs takes q, severity, severity>=, from, to, limit, order, cursor and "
                "attr.<key>.");
}

// ---- GET /logs/stats parameters -------------------------------------------------

StatsRequest Stats(std::string_view raw) {
  Result<StatsRequest> r = ParseStatsParams(raw, kNow);
  EXPECT_TRUE(r.ok()) << raw << ": " << r.status().message();
  return r.ok() ? r.value() : StatsRequest{};
}

constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;

TEST(StatsParams, DefaultsToTheLast24HoursInAbout100Buckets) {
  StatsRequest r = Stats("");
  EXPECT_FALSE(r.any_parameter);
  EXPECT_EQ(r.filter.to_ms, kNow);
  EXPECT_EQ(r.filter.from_ms, kNow - kDay);
  EXPECT_EQ(r.step_ms, 15 * kMinute);
  EXPECT_EQ(StatsBucketCount(r.filter.from_ms, r.filter.to_ms, r.step_ms), 96);
  // Only `to`: the 24 hours before it. Only `from`: up to now.
  EXPECT_EQ(Stats("to=1d").filter.from_ms, kNow - 2 * kDay);
  EXPECT_EQ(Stats("from=2h").filter.to_ms, kNow);
  EXPECT_EQ(Stats("from=2h").step_ms, 2 * kMinute);
}

TEST(StatsParams, AutomaticSteps) {
  auto step = [](std::string_view raw) { return Stats(raw).step_ms; };
  EXPECT_EQ(step("from=100s"), 1'000);
  EXPECT_EQ(step("from=1h"), kMinute);
  EXPECT_EQ(step("from=7d"), 2 * kHour);
  EXPECT_EQ(step("from=30d"), 12 * kHour);
  EXPECT_EQ(step("from=365d"), 4 * kDay);
  EXPECT_EQ(step("from=now"), 1'000);  // an empty range
  EXPECT_EQ(step("from=150s"), 2'000);
  // Whole days: the smallest number that fits, also when the range is an exact
  // multiple of 100 of them (300 days from an instant aligned to 3: 3 days).
  EXPECT_EQ(step("from=0&to=25920000000"), 3 * kDay);
  EXPECT_EQ(step("from=0&to=25920000001"), 4 * kDay);
  for (std::string_view raw :
       {"from=100s", "from=1h", "from=7d", "from=30d", "from=365d", "from=0",
        "from=-62167219200000&to=253402300800000", "from=1796083200001&to=1796083200999"}) {
    StatsRequest r = Stats(raw);
    int64_t n = StatsBucketCount(r.filter.from_ms, r.filter.to_ms, r.step_ms);
    EXPECT_LE(n, 100) << raw;
    EXPECT_GE(n, 1) << raw;
  }
}

TEST(StatsParams, ExplicitSteps) {
  EXPECT_EQ(Stats("step=1h").step_ms, kHour);
  EXPECT_EQ(Stats("step=1m&from=1000m").step_ms, kMinute);
  EXPECT_EQ(ParseStatsParams("step=1m", kNow).status().message(),
            "Parameter 'step' is '1m', which makes 1440 buckets over the range; at most 1000: "
            "give a larger step or a shorter range.");
  EXPECT_EQ(ParseStatsParams("step=1m&from=1001m", kNow).status().message(),
            "Parameter 'step' is '1m', which makes 1001 buckets over the range; at most 1000: "
            "give a larger step or a shorter range.");
  EXPECT_EQ(ParseStatsParams("step=0s", kNow).status().message(),
            "Parameter 'step' is '0s': a step is at least one second (1s).");
  EXPECT_EQ(ParseStatsParams("limit=5", kNow).status().message(),
            "Unknown parameter 'limit': GET /logs/stats takes q, severity, severity>=, from, to, "
            "cursor, step and attr.<key>.");
  EXPECT_EQ(ParseStatsParams("from=1h&to=2h", kNow).status().message(),
            "Parameter 'from' (2026-11-30T23:00:00.000Z) is after 'to' "
            "(2026-11-30T22:00:00.000Z): 'from' is the first instant of the range, 'to' the "
            "end.");
  EXPECT_EQ(ParseStatsParams("from=2026-12-02T00:00:00Z", kNow).status().message(),
            "Parameter 'from' (2026-12-02T00:00:00.000Z) is after 'to' (by default now, "
            "2026-12-01T00:00:00.000Z): 'from' is the first instant of the range, 'to' the "
            "end.");
  EXPECT_EQ(Stats("q=timeout&severity=error").filter.text.terms.size(), 1u);
}

TEST(StatsBuckets, AlignedToTheEpoch) {
  EXPECT_EQ(StatsBucketCount(0, 0, kHour), 0);
  EXPECT_EQ(StatsBucketCount(0, 1, kHour), 1);
  EXPECT_EQ(StatsBucketCount(0, kHour, kHour), 1);
  EXPECT_EQ(StatsBucketCount(0, kHour + 1, kHour), 2);
  EXPECT_EQ(StatsBucketCount(kHour - 1, kHour + 1, kHour), 2);  // straddles a boundary
  EXPECT_EQ(StatsBucketCount(-1, 1, kHour), 2);                 // before 1970 too
  EXPECT_EQ(StatsBucketCount(-kHour, 0, kHour), 1);
}

// ---- the filter -------------------------------------------------------------------

TEST(Filter, SeveritySetsAndMatching) {
  SeveritySet all = SeveritySet::All();
  EXPECT_TRUE(all.Contains(Severity::kInfo));
  EXPECT_TRUE(all.Contains(Severity::kWarning));
  EXPECT_TRUE(all.Contains(Severity::kError));
  EXPECT_TRUE(all.Contains(Severity::kTrace));
  EXPECT_TRUE(all.Contains(Severity::kDebug));
  EXPECT_TRUE(all.Contains(Severity::kFatal));
  EXPECT_EQ(all.bits(), 0b111111u);
  EXPECT_TRUE(SeveritySet().empty());

  Filter f = Search("severity=error&from=100&to=200&q=timeout").filter;
  EXPECT_TRUE(Matches(f, 100, Severity::kError, "Timeout!", {}));
  EXPECT_TRUE(Matches(f, 199, Severity::kError, "Timeout!", {}));
  EXPECT_FALSE(Matches(f, 200, Severity::kError, "Timeout!", {}));  // `to` is exclusive
  EXPECT_FALSE(Matches(f, 99, Severity::kError, "Timeout!", {}));
  EXPECT_FALSE(Matches(f, 150, Severity::kInfo, "Timeout!", {}));
  EXPECT_FALSE(Matches(f, 150, Severity::kError, "time out", {}));
  EXPECT_TRUE(Matches(Filter{}, 0, Severity::kInfo, "", {}));
}

SeveritySet Set(std::initializer_list<Severity> list) {
  SeveritySet s;
  for (Severity v : list) s.Add(v);
  return s;
}

TEST(Filter, MinimumSeverity) {
  using S = Severity;
  EXPECT_EQ(Search("severity>=warning").filter.severities,
            Set({S::kWarning, S::kError, S::kFatal}));
  EXPECT_EQ(Search("severity%3E=Debug").filter.severities,
            Set({S::kDebug, S::kInfo, S::kWarning, S::kError, S::kFatal}));
  EXPECT_EQ(Search("severity>=fatal").filter.severities, Set({S::kFatal}));
  EXPECT_EQ(Search("severity>=trace").filter.severities, SeveritySet::All());
  // With `severity`, both apply; nothing left is an empty result, not an error.
  EXPECT_EQ(Search("severity>=error&severity=info,fatal").filter.severities, Set({S::kFatal}));
  EXPECT_TRUE(Search("severity>=error&severity=info").filter.severities.empty());
  EXPECT_EQ(Stats("severity>=error").filter.severities, Set({S::kError, S::kFatal}));
  EXPECT_EQ(SearchError("severity>=loud"),
            "Parameter 'severity>=' has 'loud', which is not a severity: give one of trace, "
            "debug, info, warning, error, fatal (any letter case): entries that grave or graver "
            "match.");
  EXPECT_NE(SearchError("severity>=warning&severity>=error").find("more than once"),
            std::string::npos);
}

TEST(Filter, AttributeFilters) {
  Filter f = Search("attr.service.name=checkout&attr.http.status=500&attr.empty=").filter;
  ASSERT_EQ(f.attributes.size(), 3u);
  EXPECT_EQ(f.attributes[0], (Attribute{"service.name", "checkout"}));
  EXPECT_EQ(f.attributes[1], (Attribute{"http.status", "500"}));
  EXPECT_EQ(f.attributes[2], (Attribute{"empty", ""}));
  Attributes has = {{"empty", ""}, {"http.status", "500"}, {"service.name", "checkout"}};
  EXPECT_TRUE(Matches(f, 1, Severity::kInfo, "m", has));
  Attributes other = {{"empty", ""}, {"http.status", "500"}, {"service.name", "Checkout"}};
  EXPECT_FALSE(Matches(f, 1, Severity::kInfo, "m", other));  // values are case-sensitive
  EXPECT_FALSE(Matches(f, 1, Severity::kInfo, "m", {{"service.name", "checkout"}}));
  EXPECT_FALSE(Matches(f, 1, Severity::kInfo, "m", {}));
  // The same key twice: both must hold, so only equal values can match.
  Filter twice = Search("attr.a=1&attr.a=2").filter;
  EXPECT_FALSE(Matches(twice, 1, Severity::kInfo, "m", {{"a", "1"}}));
  // Percent-decoded, names too: attr.k%20y is the key "k y".
  EXPECT_EQ(Search("attr.k%20y=v%2Bw").filter.attributes[0], (Attribute{"k y", "v+w"}));
  EXPECT_EQ(Stats("attr.a=b").filter.attributes.size(), 1u);

  EXPECT_NE(SearchError("attr.=x").find("key is empty"), std::string::npos);
  EXPECT_NE(SearchError("attr." + std::string(129, 'k') + "=x").find("128"), std::string::npos);
  EXPECT_NE(SearchError("attr.a%01=x").find("control character"), std::string::npos);
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "attr.k" + std::to_string(i) + "=v&";
  EXPECT_NE(SearchError(nine).find("More than 8 attr.<key> parameters"), std::string::npos);
  EXPECT_NE(SearchError("attr.a=" + std::string(1100, 'v')).find("1024 bytes"), std::string::npos);
  EXPECT_NE(SearchError("cursor=abc&attr.a=b").find("cannot be given with 'cursor'"),
            std::string::npos);
}

}  // namespace
}  // namespace logsvc
