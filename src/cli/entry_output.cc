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
  row += message;
  simdjson::dom::object attributes;
  if (!e["attributes"].get(attributes)) {
    for (auto [key, value] : attributes) {
      std::string_view v;
      if (value.get(v)) continue;
      row += colour ? "  \x1b[2m" : "  ";
      row.append(key).append("=").append(v);
      if (colour) row += "\x1b[0m";
    }
  }
  std::puts(row.c_str());
}

bool UseColour() { return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr; }

}  // namespace logsvc::cli
