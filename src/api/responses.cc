#include "api/responses.h"

#include "core/datetime.h"
#include "core/json_writer.h"

namespace logsvc::api {
namespace {

void AppendStatusCode(std::string* out, int status) {
  out->append("{\"statusCode\":");
  json::AppendInt(out, status);
}

// The five fields of an entry, without braces.
void AppendEntryFields(std::string* out, const LogEntry& e) {
  out->append("\"logId\":");
  json::AppendString(out, e.log_id);
  out->append(",\"timestamp\":");
  json::AppendInt(out, e.timestamp_ms);
  out->append(",\"datetime\":\"");
  out->append(FormatIso8601Millis(e.timestamp_ms));
  out->append("\",\"severity\":\"");
  out->append(SeverityName(e.severity));
  out->append("\",\"message\":");
  json::AppendString(out, e.message);
}

}  // namespace

std::string CreatedBody(std::string_view log_id, int64_t timestamp_ms) {
  std::string out;
  out.reserve(160);  // the whole reply for a plain id: one allocation
  AppendStatusCode(&out, 201);
  out.append(",\"message\":\"Log entry created successfully\",\"logId\":");
  json::AppendString(&out, log_id);
  out.append(",\"timestamp\":");
  json::AppendInt(&out, timestamp_ms);
  out.push_back('}');
  return out;
}

std::string EntryListBody(const std::vector<LogEntry>& entries) {
  std::string out;
  size_t estimate = 48;
  for (const auto& e : entries) estimate += 128 + e.message.size();
  out.reserve(estimate);
  AppendStatusCode(&out, 200);
  out.append(",\"count\":");
  json::AppendInt(&out, static_cast<int64_t>(entries.size()));
  out.append(",\"logs\":[");
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('{');
    AppendEntryFields(&out, entries[i]);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

std::string EntryBody(const LogEntry& e) {
  std::string out;
  AppendStatusCode(&out, 200);
  out.push_back(',');
  AppendEntryFields(&out, e);
  out.push_back('}');
  return out;
}

std::string ErrorBody(int status, std::string_view error) {
  std::string out;
  AppendStatusCode(&out, status);
  out.append(",\"error\":");
  json::AppendString(&out, error);
  out.push_back('}');
  return out;
}

std::string QuotedExcerpt(std::string_view value) {
  constexpr size_t kMax = 100;
  std::string out = "'";
  out.append(value.substr(0, kMax));
  if (value.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

}  // namespace logsvc::api
