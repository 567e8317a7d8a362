#include "core/words.h"

#include <algorithm>

namespace logsvc::words {
namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;
};

// Every stride-th code point from first to last folds to itself plus delta.
struct FoldRange {
  char32_t first;
  char32_t last;
  int32_t delta;
  uint32_t stride;
};

#include "core/unicode_tables.inc"

// Marks a byte that does not start a valid UTF-8 sequence.
constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes the non-ASCII sequence at p[0..n) (n >= 1, p[0] >= 0x80) strictly:
// no overlong forms, surrogates or code points above U+10FFFF. Sets `len` to
// the bytes used; an invalid sequence uses one byte and yields kInvalid, so
// that the next byte is looked at again (it may start a valid character).
char32_t DecodeNonAscii(const unsigned char* p, size_t n, size_t& len) {
  len = 1;
  unsigned char c = p[0];
  // The valid range of the second byte depends on the first (RFC 3629).
  unsigned char lo = 0x80, hi = 0xBF;
  size_t need;
  char32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // overlong below
    if (c == 0xED) hi = 0x9F;  // surrogates above
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;  // overlong below
    if (c == 0xF4) hi = 0x8F;  // beyond U+10FFFF above
  } else {
    return kInvalid;  // a continuation byte, C0, C1, F5..FF
  }
  if (n < need + 1 || p[1] < lo || p[1] > hi) return kInvalid;
  for (size_t k = 1; k <= need; ++k) {
    if (k > 1 && (p[k] & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (p[k] & 0x3F);
  }
  len = need + 1;
  return cp;
}

size_t EncodeUtf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

// The last table entry whose `first` is at most cp, or nullptr.
template <typename Range, size_t N>
const Range* Floor(const Range (&table)[N], char32_t cp) {
  const Range* it = std::upper_bound(std::begin(table), std::end(table), cp,
                                     [](char32_t v, const Range& r) { return v < r.first; });
  return it == std::begin(table) ? nullptr : it - 1;
}

bool IsWordCharNonAscii(char32_t cp) {
  const CodePointRange* r = Floor(kWordRanges, cp);
  return r != nullptr && cp <= r->last;
}

char32_t FoldNonAscii(char32_t cp) {
  const FoldRange* r = Floor(kFoldRanges, cp);
  if (r == nullptr || cp > r->last || (cp - r->first) % r->stride != 0) return cp;
  return static_cast<char32_t>(static_cast<int32_t>(cp) + r->delta);
}

}  // namespace

bool IsWordChar(char32_t cp) { return cp < 0x80 ? kAsciiFold[cp] != 0 : IsWordCharNonAscii(cp); }

char32_t FoldCase(char32_t cp) {
  if (cp < 0x80) return kAsciiFold[cp] != 0 ? kAsciiFold[cp] : cp;
  return IsWordCharNonAscii(cp) ? FoldNonAscii(cp) : cp;
}

bool WordReader::Next(Word* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  size_t i = pos_;
  size_t begin = 0, end = 0, len = 0;
  bool in_word = false;
  // Set once a character did not fit: the word is cut there, and a shorter
  // character further on must not be appended after the gap.
  bool full = false;
  while (i < n) {
    unsigned char c = p[i];
    size_t size = 1;
    char32_t cp = c;
    bool word;
    if (c < 0x80) {  // the common case: one table lookup, no decoding
      word = kAsciiFold[c] != 0;
      if (word && !full) {
        if (len < kMaxWordBytes) {
          buf_[len++] = static_cast<char>(kAsciiFold[c]);
        } else {
          full = true;
        }
      }
    } else {
      cp = DecodeNonAscii(p + i, n - i, size);
      word = cp != kInvalid && IsWordCharNonAscii(cp);
      if (word && !full) {
        char tmp[4];
        size_t k = EncodeUtf8(FoldNonAscii(cp), tmp);
        if (len + k <= kMaxWordBytes) {
          std::copy(tmp, tmp + k, buf_ + len);
          len += k;
        } else {
          full = true;
        }
      }
    }
    if (word) {
      if (!in_word) begin = i;
      in_word = true;
      i += size;
      end = i;
    } else {
      i += size;
      if (in_word) break;
    }
  }
  pos_ = i;
  if (!in_word) return false;
  *out = Word{std::string_view(buf_, len), next_position_++, begin, end};
  return true;
}

}  // namespace logsvc::words
