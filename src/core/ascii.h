// ASCII helpers for protocol text (HTTP header names and tokens, severity
// names): letter case folds A-Z only, never by locale, as HTTP (RFC 9110
// section 5.1) and our JSON values need. Pure functions, thread-safe.
#ifndef LOGSVC_CORE_ASCII_H_
#define LOGSVC_CORE_ASCII_H_

#include <string>
#include <string_view>

namespace logsvc::ascii {

constexpr char ToLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Equal when letter case is ignored (A-Z against a-z only).
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// `bytes` as lower-case hex, two digits a byte (ids, digests).
inline std::string LowerHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

// The value of a hex digit (either case), or -1.
constexpr int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the bytes of hex digits (either case, two a byte); false if `hex`
// is not that (*out then partly written).
inline bool DecodeHex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->reserve(out->size() + hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

// `s` with A-Z lowered.
inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

// `s` without leading and trailing spaces and tabs (HTTP's optional white space).
constexpr std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(item) for each item of a comma-separated list, trimmed of spaces
// and tabs; empty items are skipped (RFC 9110 section 5.6.1 allows them).
template <typename F>
void ForEachListItem(std::string_view list, F&& f) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = TrimOws(list.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace logsvc::ascii

#endif  // LOGSVC_CORE_ASCII_H_
