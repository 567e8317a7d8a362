#include "core/base64.h"

#include <cstdint>

namespace logsvc::base64 {
namespace {

constexpr char kStandardChars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The value of c in the alphabet, or -1.
int ValueOf(char c, Alphabet alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  const bool standard = alphabet != Alphabet::kUrl;
  const bool url = alphabet != Alphabet::kStandard;
  if ((c == '+' && standard) || (c == '-' && url)) return 62;
  if ((c == '/' && standard) || (c == '_' && url)) return 63;
  return -1;
}

}  // namespace

void Append(std::string_view bytes, Alphabet alphabet, std::string* out) {
  const char* chars = alphabet == Alphabet::kUrl ? kUrlChars : kStandardChars;
  out->reserve(out->size() + (bytes.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out->push_back(chars[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out->push_back(chars[(acc << (6 - bits)) & 63]);
  if (alphabet == Alphabet::kStandard) {
    for (size_t n = (bytes.size() + 2) / 3 * 3 - bytes.size(); n > 0; --n) out->push_back('=');
  }
}

std::string Encode(std::string_view bytes, Alphabet alphabet) {
  std::string out;
  Append(bytes, alphabet, &out);
  return out;
}

bool Decode(std::string_view text, Alphabet alphabet, std::string* out) {
  size_t padding = 0;
  if (alphabet != Alphabet::kUrl) {
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
      ++padding;
    }
  }
  if (alphabet == Alphabet::kStandard || padding > 0) {
    if (text.size() % 4 != 0) return false;  // padded: whole groups of four
  }
  text.remove_suffix(padding);
  if (text.size() % 4 == 1) return false;  // no byte string encodes to this length
  out->reserve(out->size() + text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = ValueOf(c, alphabet);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return (acc & ((1u << bits) - 1)) == 0;
}

}  // namespace logsvc::base64
