// Words: how a log message, and a search term, is split into the words that
// search compares. The one tokenizer of logsvc: the search matcher, the query
// parser and (later) the index builders all call it, so a term and a message
// always split the same way. Pure functions, no I/O; thread-safe (a
// WordReader is one caller's cursor).
//
// A word is a maximal run of word characters: Unicode letters (general
// category L*), decimal digits (Nd), letter-numbers (Nl: Roman numerals,
// U+3007 IDEOGRAPHIC NUMBER ZERO) and '_'. Everything else separates words:
// punctuation, symbols, emoji, white space, controls, other numbers (No:
// superscripts, fractions, circled digits: typographic forms nobody types into
// a search box), combining marks (M*), and every byte that is not part of valid
// UTF-8. Each word is folded with Unicode simple case folding (one code point
// to one; no normalization), so "ÉCOLE" and "école", "ΣΟΦΟΣ" and "σοφος" are
// the same word. Unicode 14.0.0, from scripts/gen_unicode_tables.py.
//
//   "user_id=42 from 10.0.0.1: Timeout!"  ->  user_id 42 from 10 0 0 1 timeout
//
// A folded word longer than kMaxWordBytes is cut to its longest prefix of whole
// code points that fits (it still counts as one word): long tokens such as
// hashes or base64 blobs are found by their first 256 bytes.
#ifndef LOGSVC_CORE_WORDS_H_
#define LOGSVC_CORE_WORDS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace logsvc::words {

// The longest folded word, in bytes of UTF-8 (index keys are built from words).
inline constexpr size_t kMaxWordBytes = 256;

// Whether `cp` is a word character (see above).
bool IsWordChar(char32_t cp);

// The simple case folding of a word character; any other code point unchanged.
char32_t FoldCase(char32_t cp);

struct Word {
  std::string_view text;  // folded UTF-8, 1..kMaxWordBytes bytes
  uint32_t position;      // 0 for the first word of the text, then 1, 2, ...
  size_t begin;           // the byte range of the word in the text read
  size_t end;
};

// Reads the words of `text`, in order. `text` should be valid UTF-8; invalid
// bytes separate words (never a crash). No allocation: the folded word is built
// in a buffer inside the reader.
class WordReader {
 public:
  // `text` must outlive the reader.
  explicit WordReader(std::string_view text) : text_(text) {}

  // The next word, or false at the end of the text. out->text points into the
  // reader and is valid until the next call to Next().
  bool Next(Word* out);

 private:
  std::string_view text_;
  size_t pos_ = 0;
  uint32_t next_position_ = 0;
  char buf_[kMaxWordBytes];
};

}  // namespace logsvc::words

#endif  // LOGSVC_CORE_WORDS_H_
