// libFuzzer target: search's parsers and matcher on arbitrary bytes. Beyond
// "no crash, no sanitizer report", it checks their promises:
//   - the whole input as a query string: GET /logs and /logs/stats parameters
//     either parse within their bounds or fail with a 400 sentence;
//   - up to the first '\n' as `q`, the rest as a message: an accepted query
//     re-parses from its rendering to the same terms, a term and its negation
//     never agree on the message, and the matcher agrees with a naive one;
//   - the message's words are 1..256 bytes of valid UTF-8, numbered 0, 1, ...,
//     in increasing byte ranges; each word, as a query, matches the message,
//     its negation does not, and neither does a phrase of two adjacent words.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/query.h"
#include "core/text_query.h"
#include "core/words.h"

namespace {

using namespace logsvc;

void Check(bool ok, const char* what) {
  if (!ok) {
    __builtin_printf("invariant broken: %s\n", what);
    std::abort();
  }
}

constexpr int64_t kNow = 1'796'083'200'000;

void CheckError(const Status& s) {
  Check(s.code() == Status::Code::kInvalidArgument, "errors are 400s");
  Check(!s.message().empty(), "errors say what is wrong");
}

void CheckFilter(const Filter& f) {
  Check(f.from_ms >= kTimeMinMs && f.from_ms <= f.to_ms && f.to_ms <= kTimeMaxMs, "range");
  Check(!f.severities.empty(), "some severity");
  Check(f.text.terms.size() <= kMaxQueryTerms, "term count");
}

void Params(std::string_view raw) {
  Result<SearchRequest> search = ParseSearchParams(raw, kNow);
  if (search.ok()) {
    const SearchRequest& r = search.value();
    CheckFilter(r.filter);
    Check(r.limit >= 1 && r.limit <= kMaxSearchLimit, "limit");
    Check(r.cursor.size() <= kMaxCursorBytes, "cursor size");
    Check(r.any_parameter || raw.find_first_not_of('&') == std::string_view::npos, "any");
  } else {
    CheckError(search.status());
  }
  Result<StatsRequest> stats = ParseStatsParams(raw, kNow);
  if (stats.ok()) {
    const StatsRequest& r = stats.value();
    if (r.cursor.empty()) {
      CheckFilter(r.filter);
      Check(r.step_ms >= 1000, "step");
      Check(StatsBucketCount(r.filter.from_ms, r.filter.to_ms, r.step_ms) <= kMaxStatsBuckets,
            "bucket count");
    } else {  // the cursor carries the filter and the step (api/cursor.h decodes it)
      Check(r.cursor.size() <= kMaxCursorBytes, "cursor size");
    }
  } else {
    CheckError(stats.status());
  }
}

TextQuery One(const TextTerm& term) { return TextQuery{{term}}; }

// The matcher's oracle: every word of the message in a vector, each term
// tried at every position (Matches does one pass with bit-parallel states).
bool NaiveMatches(const TextQuery& query, std::string_view message) {
  std::vector<std::string> all;
  words::WordReader reader(message);
  words::Word w;
  while (reader.Next(&w)) all.emplace_back(w.text);
  for (const TextTerm& t : query.terms) {
    bool found = false;
    for (size_t start = 0; !found && start + t.words.size() <= all.size(); ++start) {
      found = true;
      for (size_t j = 0; found && j < t.words.size(); ++j) {
        const std::string& have = all[start + j];
        bool last_prefix = t.prefix && j + 1 == t.words.size();
        found = last_prefix ? have.starts_with(t.words[j]) : have == t.words[j];
      }
    }
    if (found == t.negated) return false;
  }
  return true;
}

void Text(std::string_view q, std::string_view message) {
  Result<TextQuery> parsed = ParseText(q);
  if (!parsed.ok()) {
    CheckError(parsed.status());
    return;
  }
  const TextQuery& query = parsed.value();
  Check(!query.empty() && query.terms.size() <= kMaxQueryTerms, "term count");
  for (const TextTerm& t : query.terms) {
    Check(!t.words.empty() && t.words.size() <= kMaxPhraseWords, "phrase length");
    for (const std::string& w : t.words) {
      Check(!w.empty() && w.size() <= words::kMaxWordBytes, "word size");
    }
    TextTerm flipped = t;
    flipped.negated = !t.negated;
    Check(Matches(One(t), message) != Matches(One(flipped), message), "negation flips");
  }
  std::string rendered = RenderText(query);
  if (rendered.size() <= kMaxQueryBytes) {
    Result<TextQuery> again = ParseText(rendered);
    Check(again.ok(), "the rendering parses");
    Check(again.value() == query, "the rendering round-trips");
  }
  Check(Matches(query, message) == NaiveMatches(query, message),
        "the matcher agrees with a naive one");
}

void Words(std::string_view message) {
  words::WordReader reader(message);
  words::Word w;
  uint32_t expected_position = 0;
  size_t last_end = 0;
  std::string previous;
  while (reader.Next(&w)) {
    Check(w.position == expected_position++, "positions count up");
    Check(!w.text.empty() && w.text.size() <= words::kMaxWordBytes, "word size");
    Check(simdjson::validate_utf8(w.text.data(), w.text.size()), "words are UTF-8");
    Check(w.begin >= last_end && w.begin < w.end && w.end <= message.size(), "byte ranges");
    last_end = w.end;
    std::string word(w.text);
    Check(Matches(One(TextTerm{{word}}), message), "a word of the message matches it");
    Check(!Matches(One(TextTerm{{word}, false, true}), message), "its negation does not");
    Result<TextQuery> q = ParseText(word);
    Check(q.ok() && q.value().terms.size() == 1 && q.value().terms[0].words[0] == word,
          "a folded word parses to itself");
    if (!previous.empty()) {
      Check(Matches(One(TextTerm{{previous, word}}), message), "adjacent words are a phrase");
    }
    previous = std::move(word);
    if (w.position >= 64) break;  // enough for one input
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Params(input);
  size_t newline = input.find('\n');
  std::string_view q = input.substr(0, newline);
  std::string_view message = newline == std::string_view::npos ? input : input.substr(newline + 1);
  Text(q, message);
  Words(message);
  return 0;
}
