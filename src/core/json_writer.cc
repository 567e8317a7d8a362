#include "core/json_writer.h"

#include <array>
#include <charconv>

namespace logsvc::json {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU16Escape(std::string* out, uint32_t unit) {
  char buf[6] = {'\\',
                 'u',
                 kHex[(unit >> 12) & 0xF],
                 kHex[(unit >> 8) & 0xF],
                 kHex[(unit >> 4) & 0xF],
                 kHex[unit & 0xF]};
  out->append(buf, sizeof buf);
}

// An ASCII character that must be escaped (a control, '"', '\\', and the
// characters AppendString escapes for HTML), escaped: the short form JSON
// has for it, else \u00XX.
void AppendAsciiEscape(std::string* out, unsigned char c) {
  switch (c) {
    case '"':
      out->append("\\\"");
      break;
    case '\\':
      out->append("\\\\");
      break;
    case '\n':
      out->append("\\n");
      break;
    case '\r':
      out->append("\\r");
      break;
    case '\t':
      out->append("\\t");
      break;
    case '\b':
      out->append("\\b");
      break;
    case '\f':
      out->append("\\f");
      break;
    default:
      AppendU16Escape(out, c);
      break;  // other controls, DEL, < > &
  }
}

// Characters below 0x80 that need no escaping.
constexpr std::array<bool, 128> MakeSafeTable() {
  std::array<bool, 128> t{};
  for (int c = 0x20; c < 0x7F; ++c) t[c] = true;
  t['"'] = t['\\'] = t['<'] = t['>'] = t['&'] = false;
  return t;
}
constexpr std::array<bool, 128> kSafe = MakeSafeTable();

// Decodes one UTF-8 sequence at s[i]; returns the code point and its length,
// or 0xFFFD with length 1 for a byte that does not start a valid sequence.
uint32_t Decode(std::string_view s, size_t i, size_t& len) {
  auto b0 = static_cast<unsigned char>(s[i]);
  int extra;
  uint32_t cp, min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    extra = 1;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    extra = 2;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    extra = 3;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    len = 1;
    return 0xFFFD;
  }
  if (i + extra >= s.size()) {
    len = 1;
    return 0xFFFD;
  }  // truncated sequence
  for (int k = 1; k <= extra; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      len = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    len = 1;
    return 0xFFFD;
  }
  len = static_cast<size_t>(extra) + 1;
  return cp;
}

}  // namespace

void AppendString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs no escaping in one append.
    size_t run = i;
    while (run < s.size() && static_cast<unsigned char>(s[run]) < 0x80 &&
           kSafe[static_cast<unsigned char>(s[run])]) {
      ++run;
    }
    out->append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;

    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      AppendAsciiEscape(out, c);
      ++i;
      continue;
    }
    size_t len = 1;
    uint32_t cp = Decode(s, i, len);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      AppendU16Escape(out, 0xD800 + (cp >> 10));
      AppendU16Escape(out, 0xDC00 + (cp & 0x3FF));
    } else {
      AppendU16Escape(out, cp);
    }
    i += len;
  }
  out->push_back('"');
}

void AppendStringAsIs(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || c == '"' || c == '\\') {
      AppendAsciiEscape(out, u);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

}  // namespace logsvc::json
