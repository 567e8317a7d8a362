#include "core/ingest_request.h"

#include "core/ascii.h"
#include "core/ingest_entry.h"

namespace logsvc {

bool ParseSeverity(std::string_view name, Severity* out) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kError}) {
    if (ascii::EqualsIgnoreCase(name, SeverityName(s))) {
      *out = s;
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
  if (Status s = ingest::ParseEntryObject(object.value(), ingest::TimestampField::kIgnored, &entry);
      !s.ok()) {
    return s;
  }
  return IngestRequest{entry.severity, std::string(entry.message)};
}

}  // namespace logsvc
