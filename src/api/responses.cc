#include "api/responses.h"

#include "core/datetime.h"
#include "core/json_writer.h"

namespace logsvc::api {
namespace {

void AppendStatusCode(std::string* out, int status) {
  out->append("{\"statusCode\":");
  json::AppendInt(out, status);
}

// Whether an entry's "attributes" are written: GET /logs without parameters
// keeps the original design's five fields; searches and GET /logs/{id} add
// them (only on entries that have any).
enum class WithAttributes { kNo, kYes };

// The fields of an entry, without braces.
void AppendEntryFields(std::string* out, const LogEntry& e, WithAttributes with) {
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
  if (with == WithAttributes::kNo || e.attributes.empty()) return;
  out->append(",\"attributes\":{");
  for (size_t i = 0; i < e.attributes.size(); ++i) {
    if (i) out->push_back(',');
    json::AppendString(out, e.attributes[i].key);
    out->push_back(':');
    json::AppendString(out, e.attributes[i].value);
  }
  out->push_back('}');
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

namespace {

// {"statusCode":200,"count":N,"logs":[...] without the closing brace.
std::string EntryListStart(const std::vector<LogEntry>& entries, WithAttributes with) {
  std::string out;
  size_t estimate = 48;
  for (const auto& e : entries) {
    estimate += 128 + e.message.size();
    if (with == WithAttributes::kYes) {
      for (const auto& a : e.attributes) estimate += 8 + a.key.size() + a.value.size();
    }
  }
  out.reserve(estimate + 160);  // room for a cursor
  AppendStatusCode(&out, 200);
  out.append(",\"count\":");
  json::AppendInt(&out, static_cast<int64_t>(entries.size()));
  out.append(",\"logs\":[");
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out.push_back(',');
    out.push_back('{');
    AppendEntryFields(&out, entries[i], with);
    out.push_back('}');
  }
  out.push_back(']');
  return out;
}

void AppendNext(std::string* out, std::string_view next_cursor) {
  out->append(",\"next\":");
  if (next_cursor.empty()) {
    out->append("null");
  } else {
    json::AppendString(out, next_cursor);
  }
}

}  // namespace

std::string EntryListBody(const std::vector<LogEntry>& entries) {
  std::string out = EntryListStart(entries, WithAttributes::kNo);
  out.push_back('}');
  return out;
}

std::string SearchBody(const std::vector<LogEntry>& entries, std::string_view next_cursor) {
  std::string out = EntryListStart(entries, WithAttributes::kYes);
  AppendNext(&out, next_cursor);
  out.push_back('}');
  return out;
}

std::string StatsBody(const std::vector<std::array<int64_t, kSeverityCount>>& counts,
                      int64_t first_start, int64_t step_ms, std::string_view next_cursor) {
  const auto sum = [](const std::array<int64_t, kSeverityCount>& b) {
    int64_t n = 0;
    for (int64_t c : b) n += c;
    return n;
  };
  int64_t total = 0;
  for (const auto& b : counts) total += sum(b);
  std::string out;
  out.reserve(64 + counts.size() * 96);
  AppendStatusCode(&out, 200);
  out.append(",\"total\":");
  json::AppendInt(&out, total);
  out.append(",\"step\":");
  json::AppendInt(&out, step_ms);
  out.append(",\"buckets\":[");
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i) out.push_back(',');
    out.append("{\"start\":");
    json::AppendInt(&out, first_start + static_cast<int64_t>(i) * step_ms);
    out.append(",\"count\":");
    json::AppendInt(&out, sum(counts[i]));
    out.append(",\"severity\":{");
    // Least grave first: trace, debug, info, warning, error, fatal.
    for (Severity s : kSeveritiesByRank) {
      if (s != kSeveritiesByRank.front()) out.push_back(',');
      out.push_back('"');
      out.append(SeverityName(s));
      out.append("\":");
      json::AppendInt(&out, counts[i][static_cast<size_t>(s)]);
    }
    out.append("}}");
  }
  out.push_back(']');
  AppendNext(&out, next_cursor);
  out.push_back('}');
  return out;
}

std::string BatchCreatedBody(const std::vector<std::string>& ids) {
  std::string out;
  out.reserve(48 + ids.size() * 39);
  AppendStatusCode(&out, 201);
  out.append(",\"count\":");
  json::AppendInt(&out, static_cast<int64_t>(ids.size()));
  out.append(",\"logIds\":[");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out.push_back(',');
    json::AppendString(&out, ids[i]);
  }
  out.append("]}");
  return out;
}

std::string EntryBody(const LogEntry& e) {
  std::string out;
  AppendStatusCode(&out, 200);
  out.push_back(',');
  AppendEntryFields(&out, e, WithAttributes::kYes);
  out.push_back('}');
  return out;
}

void AppendTailEvent(std::string* out, const LogEntry& e, std::string_view id) {
  out->append("id: ");
  out->append(id);
  out->append("\ndata: {");
  AppendEntryFields(out, e, WithAttributes::kYes);
  out->append("}\n\n");
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
