#include "cli/entry_output.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace logsvc::cli {

namespace {

std::string LocalTime(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm local;
  localtime_r(&seconds, &local);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &local);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03d", static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

const char* SeverityColour(std::string_view s) {
  if (s == "fatal" || s == "error") return "\x1b[31m";  // red
  if (s == "warning") return "\x1b[33m";                // yellow
  if (s == "debug" || s == "trace") return "\x1b[2m";   // dim
  return "\x1b[32m";                                    // info: green
}

// `s` with its control characters shown, not obeyed: a message with a line
// break stays one row, and one with terminal escapes (anyone may post
// entries) cannot move the cursor or change colours.
void AppendVisible(std::string* out, std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->push_back(' ');
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out->append(hex);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

}  // namespace

// One table row: local time, severity (padded), message, attributes.
void PrintRow(simdjson::dom::element e, bool colour) {
  int64_t ts = 0;
  std::string_view severity, message;
  if (e["timestamp"].get(ts) || e["severity"].get(severity) || e["message"].get(message)) {
    return;  // not an entry
  }
  std::string row = LocalTime(ts) + "  ";
  if (colour) row += SeverityColour(severity);
  row += severity;
  if (colour) row += "\x1b[0m";
  row.append(severity.size() < 7 ? 7 - severity.size() : 0, ' ');
  row += "  ";
  AppendVisible(&row, message);
  simdjson::dom::object attributes;
  if (!e["attributes"].get(attributes)) {
    for (auto [key, value] : attributes) {
      std::string_view v;
      if (value.get(v)) continue;
      row += colour ? "  \x1b[2m" : "  ";
      AppendVisible(&row, key);
      row += '=';
      AppendVisible(&row, v);
      if (colour) row += "\x1b[0m";
    }
  }
  std::puts(row.c_str());
}

bool UseColour() { return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr; }

}  // namespace logsvc::cli
