// The search text (the `q` parameter of GET /logs and /logs/stats): its parser
// and the reference matcher that both stores use. Pure functions, no I/O,
// thread-safe. Words are compared as src/core/words.h splits and folds them;
// docs/search.md describes the syntax for users.
//
// Syntax: terms separated by white space (what message trimming strips), all
// of which must match:
//   timeout          a word: some word of the message is "timeout", any case
//   timeo*           a prefix: some word begins with "timeo" (at least
//                    kMinPrefixChars letters or digits before the '*')
//   "conn timeout"   a phrase: these words, adjacent, in this order (by word
//                    position: punctuation between them does not matter, so it
//                    matches "Conn: timeout!"); may end in a prefix: "conn tim*"
//   -retry -"a b"    any of the above after '-': must not match
// A term that splits into several words is the phrase of them: user_id=42 is
// "user_id 42", 10.0.0.1 is "10 0 0 1", timeo-ut* is "timeo ut*". Inside
// quotes, other punctuation, '-' included, only separates words.
// A query of only '-' terms is valid (see HasPositiveTerm).
#ifndef LOGSVC_CORE_TEXT_QUERY_H_
#define LOGSVC_CORE_TEXT_QUERY_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/status.h"

namespace logsvc {

inline constexpr size_t kMaxQueryBytes = 1024;  // of `q`, once percent-decoded
inline constexpr size_t kMaxQueryTerms = 16;
inline constexpr size_t kMaxPhraseWords = 16;
inline constexpr size_t kMinPrefixChars = 2;  // code points of the folded prefix

struct TextTerm {
  enum class Kind { kWord, kPrefix, kPhrase };

  std::vector<std::string> words;  // folded (words::WordReader), 1..kMaxPhraseWords
  bool prefix = false;             // the last word matches any word it begins
  bool negated = false;            // the term must not match

  // kPhrase for two or more words (the last may be a prefix).
  Kind kind() const;
  bool operator==(const TextTerm&) const = default;
};

struct TextQuery {
  std::vector<TextTerm> terms;  // 0..kMaxQueryTerms; none: every message matches

  bool empty() const { return terms.empty(); }
  // False when every term is negated: an index of words cannot narrow such a
  // query down, the store has to scan (as for a query with no `q`).
  bool HasPositiveTerm() const;
  bool operator==(const TextQuery&) const = default;
};

// Parses `q`. Errors are kInvalidArgument, one sentence naming 'q': not valid
// UTF-8, empty (or white space only), longer than kMaxQueryBytes, more than
// kMaxQueryTerms terms or kMaxPhraseWords words in a phrase, a '"' without its
// closing '"' or inside a term, text right after a closing '"', a '-' with
// nothing after it, a '*' that is not at the end of a term or not right after
// a word character, a term with no word character, a prefix shorter than
// kMinPrefixChars.
Result<TextQuery> ParseText(std::string_view q);

// A canonical spelling of `query`: ParseText(RenderText(query)) == query for
// every query ParseText returns (unless folding made it longer than
// kMaxQueryBytes). Words single, phrases quoted, e.g. `timeout -"conn re*"`.
std::string RenderText(const TextQuery& query);

// Whether `message` matches: every positive term matches and no negated one
// does. `query` comes from ParseText (or is empty); `message` may be any bytes.
// No heap allocation; one pass over the message's words, which stops early
// once the answer is known.
bool Matches(const TextQuery& query, std::string_view message);

}  // namespace logsvc

#endif  // LOGSVC_CORE_TEXT_QUERY_H_
