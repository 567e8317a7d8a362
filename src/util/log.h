// The service's own log: one JSON object per line on stderr, ready for
// journald or CloudWatch. Usage, one line per full expression:
//   log::Info("listening").Str("listen", addr).Int("threads", 2);
// The line is written when the temporary is destroyed, with one write(2)
// under a mutex, so lines from different threads never interleave.
// Never pass credentials or request bodies to it.
#ifndef LOGSVC_UTIL_LOG_H_
#define LOGSVC_UTIL_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace logsvc::log {

class Line {
 public:
  Line(std::string_view level, std::string_view msg);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Str(std::string_view key, std::string_view value);
  Line& Int(std::string_view key, int64_t value);
  Line& Bool(std::string_view key, bool value);

 private:
  std::string buf_;
};

inline Line Info(std::string_view msg) { return Line("info", msg); }
inline Line Warn(std::string_view msg) { return Line("warn", msg); }
inline Line Error(std::string_view msg) { return Line("error", msg); }

}  // namespace logsvc::log

#endif  // LOGSVC_UTIL_LOG_H_
