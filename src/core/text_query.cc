#include "core/text_query.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/quoted.h"
#include "core/utf8.h"
#include "core/words.h"

namespace logsvc {
namespace {

// The matcher keeps one bit per term and per phrase word.
static_assert(kMaxQueryTerms <= 32 && kMaxPhraseWords <= 32);

Status Invalid(std::string sentence) {
  return Status::InvalidArgument("Parameter 'q' " + sentence);
}

// Byte length of the (valid UTF-8) code point that starts with `lead`.
size_t CodePointLength(unsigned char lead) {
  return lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
}

// Whether a white space character starts at q[i]; sets `len` to its length.
// White space is what message trimming strips: one rule for both.
bool IsSpaceAt(std::string_view q, size_t i, size_t& len) {
  len = std::min(CodePointLength(static_cast<unsigned char>(q[i])), q.size() - i);
  return utf8::TrimWhitespace(q.substr(i, len)).empty();
}

// The end of the run of non-space characters that starts at q[i].
size_t TermEnd(std::string_view q, size_t i) {
  size_t len = 0;
  while (i < q.size() && !IsSpaceAt(q, i, len)) i += len;
  return i;
}

// One term: `body` is what is left after the '-' and the quotes.
Result<TextTerm> ParseTerm(std::string_view term, std::string_view body, bool negated) {
  TextTerm t;
  t.negated = negated;
  if (!body.empty() && body.back() == '*') {
    t.prefix = true;
    body.remove_suffix(1);
  }
  if (body.find('*') != std::string_view::npos) {
    return Invalid("has a '*' inside the term " + Quoted(term) +
                   ": a '*' may only end a term, as in timeo*.");
  }
  words::WordReader reader(body);
  words::Word w;
  size_t last_end = 0;
  while (reader.Next(&w)) {
    if (t.words.size() == kMaxPhraseWords) {
      return Invalid("has the term " + Quoted(term) + ", of more than " +
                     std::to_string(kMaxPhraseWords) + " words.");
    }
    t.words.emplace_back(w.text);
    last_end = w.end;
  }
  if (t.words.empty()) {
    return Invalid("has the term " + Quoted(term) +
                   ", which has no letters, digits or '_' to search for.");
  }
  if (t.prefix && last_end != body.size()) {
    return Invalid("has the term " + Quoted(term) +
                   ", whose '*' does not follow a letter or digit: a prefix is written timeo*.");
  }
  if (t.prefix && utf8::CountCodePoints(t.words.back()) < kMinPrefixChars) {
    return Invalid("has the prefix " + Quoted(term) + ": a prefix needs at least " +
                   std::to_string(kMinPrefixChars) + " letters or digits before the '*'.");
  }
  return t;
}

void AppendWords(std::string* out, const TextTerm& t) {
  for (size_t j = 0; j < t.words.size(); ++j) {
    if (j > 0) out->push_back(' ');
    out->append(t.words[j]);
  }
  if (t.prefix) out->push_back('*');
}

// Whether message word `w` matches word `j` of term `t`.
bool WordMatches(const TextTerm& t, size_t j, std::string_view w) {
  const std::string& want = t.words[j];
  if (t.prefix && j + 1 == t.words.size()) return w.starts_with(want);
  return w == want;
}

}  // namespace

TextTerm::Kind TextTerm::kind() const {
  if (words.size() > 1) return Kind::kPhrase;
  return prefix ? Kind::kPrefix : Kind::kWord;
}

bool TextQuery::HasPositiveTerm() const {
  for (const TextTerm& t : terms) {
    if (!t.negated) return true;
  }
  return false;
}

Result<TextQuery> ParseText(std::string_view q) {
  if (!simdjson::validate_utf8(q.data(), q.size())) return Invalid("is not valid UTF-8.");
  if (q.size() > kMaxQueryBytes) {
    return Invalid("is longer than " + std::to_string(kMaxQueryBytes) + " bytes.");
  }
  TextQuery query;
  size_t i = 0, len = 0;
  while (true) {
    while (i < q.size() && IsSpaceAt(q, i, len)) i += len;
    if (i == q.size()) break;
    const size_t start = i;
    const bool negated = q[i] == '-';
    if (negated) ++i;
    std::string_view body;
    if (i < q.size() && q[i] == '"') {
      size_t close = q.find('"', i + 1);
      if (close == std::string_view::npos) {
        return Invalid("has a '\"' without its closing '\"' (in " + Quoted(q.substr(start)) +
                       "): a phrase is written \"connection timeout\".");
      }
      body = q.substr(i + 1, close - i - 1);
      i = close + 1;
      if (i < q.size() && !IsSpaceAt(q, i, len)) {
        return Invalid("has text right after a closing '\"' (in " +
                       Quoted(q.substr(start, TermEnd(q, i) - start)) +
                       "): put white space between terms.");
      }
    } else {
      i = TermEnd(q, i);
      body = q.substr(start + negated, i - start - negated);
      if (body.find('"') != std::string_view::npos) {
        return Invalid("has a '\"' inside the term " + Quoted(q.substr(start, i - start)) +
                       ": quotes go around a whole phrase, as in \"connection timeout\".");
      }
      if (negated && body.empty()) {
        return Invalid("has a '-' with nothing after it: write -word to exclude a word.");
      }
    }
    if (query.terms.size() == kMaxQueryTerms) {
      return Invalid("has more than " + std::to_string(kMaxQueryTerms) + " terms.");
    }
    Result<TextTerm> term = ParseTerm(q.substr(start, i - start), body, negated);
    if (!term.ok()) return term.status();
    query.terms.push_back(std::move(term).value());
  }
  if (query.terms.empty()) return Invalid("is empty: give one or more words to search for.");
  return query;
}

std::string RenderText(const TextQuery& query) {
  std::string out;
  for (const TextTerm& t : query.terms) {
    if (!out.empty()) out.push_back(' ');
    if (t.negated) out.push_back('-');
    bool quote = t.words.size() > 1;
    if (quote) out.push_back('"');
    AppendWords(&out, t);
    if (quote) out.push_back('"');
  }
  return out;
}

bool Matches(const TextQuery& query, std::string_view message) {
  const size_t n = query.terms.size();
  if (n == 0) return true;
  if (n > kMaxQueryTerms) return false;  // not from ParseText
  uint32_t open_positive = 0;            // positive terms not matched yet
  uint32_t open_negated = 0;             // negated terms (a match ends the search)
  for (size_t t = 0; t < n; ++t) {
    const TextTerm& term = query.terms[t];
    if (term.words.empty() || term.words.size() > kMaxPhraseWords) return false;
    (term.negated ? open_negated : open_positive) |= 1u << t;
  }
  // Shift-And over the message's words: bit j of state[t] says that the last
  // j+1 words matched words 0..j of term t. A term matches when its last
  // word's bit is set, i.e. all its words matched at adjacent positions.
  std::array<uint32_t, kMaxQueryTerms> state{};
  words::WordReader reader(message);
  words::Word w;
  while ((open_positive | open_negated) != 0 && reader.Next(&w)) {
    for (uint32_t open = open_positive | open_negated; open != 0; open &= open - 1) {
      const size_t t = static_cast<size_t>(__builtin_ctz(open));
      const TextTerm& term = query.terms[t];
      uint32_t hits = 0;
      for (size_t j = 0; j < term.words.size(); ++j) {
        hits |= static_cast<uint32_t>(WordMatches(term, j, w.text)) << j;
      }
      state[t] = ((state[t] << 1) | 1u) & hits;
      if ((state[t] >> (term.words.size() - 1)) & 1u) {
        if (term.negated) return false;
        open_positive &= ~(1u << t);
        // All positive terms found and nothing to exclude: no need to read on.
        if (open_positive == 0 && open_negated == 0) return true;
      }
    }
  }
  return open_positive == 0;
}

}  // namespace logsvc
