#include "core/ingest_request.h"

#include "core/ascii.h"
#include "core/ingest_entry.h"

namespace logsvc {

bool ParseSeverity(std::string_view name, Severity* out) {
  for (Severity s : kSeveritiesByRank) {
    if (ascii::EqualsIgnoreCase(name, SeverityName(s))) {
      *out = s;
      return true;
    }
  }
  return false;
}

bool ParseLevelName(std::string_view name, Severity* out) {
  if (ParseSeverity(name, out)) return true;
  // OpenTelemetry's short names with a number (INFO2, WARN4): the base name.
  while (!name.empty() && name.back() >= '1' && name.back() <= '4' && name.size() > 3) {
    name.remove_suffix(1);
  }
  struct Alias {
    std::string_view name;
    Severity severity;
  };
  static constexpr Alias kAliases[] = {
      {"trace", Severity::kTrace},     {"trc", Severity::kTrace},
      {"debug", Severity::kDebug},     {"dbug", Severity::kDebug},
      {"dbg", Severity::kDebug},       {"info", Severity::kInfo},
      {"inf", Severity::kInfo},        {"informational", Severity::kInfo},
      {"notice", Severity::kInfo},     {"warn", Severity::kWarning},
      {"wrn", Severity::kWarning},     {"warning", Severity::kWarning},
      {"error", Severity::kError},     {"err", Severity::kError},
      {"eror", Severity::kError},      {"critical", Severity::kFatal},
      {"crit", Severity::kFatal},      {"fatal", Severity::kFatal},
      {"panic", Severity::kFatal},     {"emerg", Severity::kFatal},
      {"emergency", Severity::kFatal}, {"alert", Severity::kFatal},
  };
  for (const Alias& a : kAliases) {
    if (ascii::EqualsIgnoreCase(name, a.name)) {
      *out = a.severity;
      return true;
    }
  }
  return false;
}

Result<IngestRequest> ParseIngestRequest(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument(
        "Request body is empty: send a JSON object with 'severity' and 'message'.");
  }
  auto doc = ingest::ParseJson(body, "Request body");
  if (!doc.ok()) return doc.status();
  auto object = ingest::AsObject(doc.value(), "Request body");
  if (!object.ok()) return object.status();
  ingest::EntryFields entry;
  if (Status s = ingest::ParseEntryObject(object.value(), ingest::EntryContract::kSingle, &entry);
      !s.ok()) {
    return s;
  }
  return IngestRequest{entry.severity, std::string(entry.message), std::move(entry.attributes)};
}

}  // namespace logsvc
