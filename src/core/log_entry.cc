#include "logsvc/log_entry.h"

namespace logsvc {

int SeverityRank(Severity s) {
  for (size_t i = 0; i < kSeveritiesByRank.size(); ++i) {
    if (kSeveritiesByRank[i] == s) return static_cast<int>(i);
  }
  return 2;  // not reached for a valid Severity
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kTrace:
      return "trace";
    case Severity::kDebug:
      return "debug";
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
    case Severity::kFatal:
      return "fatal";
  }
  return "info";
}

}  // namespace logsvc
