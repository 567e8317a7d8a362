#include "util/log.h"

#include <unistd.h>

#include <mutex>

#include "core/datetime.h"
#include "core/json_writer.h"

namespace logsvc::log {
namespace {
std::mutex g_write_mu;
}  // namespace

Line::Line(std::string_view level, std::string_view msg) {
  buf_.reserve(256);
  buf_.append("{\"time\":\"");
  buf_.append(FormatIso8601Millis(NowUnixMillis()));
  buf_.append("\",\"level\":\"");
  buf_.append(level);
  buf_.append("\",\"msg\":");
  json::AppendString(&buf_, msg);
}

Line::~Line() {
  buf_.append("}\n");
  std::lock_guard lock(g_write_mu);
  size_t off = 0;
  while (off < buf_.size()) {
    ssize_t n = ::write(STDERR_FILENO, buf_.data() + off, buf_.size() - off);
    if (n <= 0) break;  // stderr closed or broken: dropping the line is all we can do
    off += static_cast<size_t>(n);
  }
}

Line& Line::Str(std::string_view key, std::string_view value) {
  buf_.push_back(',');
  json::AppendString(&buf_, key);
  buf_.push_back(':');
  json::AppendString(&buf_, value);
  return *this;
}

Line& Line::Int(std::string_view key, int64_t value) {
  buf_.push_back(',');
  json::AppendString(&buf_, key);
  buf_.push_back(':');
  json::AppendInt(&buf_, value);
  return *this;
}

Line& Line::Bool(std::string_view key, bool value) {
  buf_.push_back(',');
  json::AppendString(&buf_, key);
  buf_.append(value ? ":true" : ":false");
  return *this;
}

}  // namespace logsvc::log
