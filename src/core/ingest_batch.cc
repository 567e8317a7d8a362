#include "core/ingest_batch.h"

#include <simdjson.h>

#include "core/ascii.h"
#include "core/datetime.h"
#include "core/ingest_entry.h"
#include "core/time_bound.h"
#include "logsvc/log_store.h"

namespace logsvc {
namespace {

constexpr std::string_view kJsonWhitespace = " \t\r\n";

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(kJsonWhitespace) == std::string_view::npos;
}

Status EmptyBatch() {
  return Status::InvalidArgument(
      "The batch is empty: send at least one entry with 'severity' and 'message'.");
}

Status TooManyEntries() {
  const std::string limit = std::to_string(kMaxBatchEntries);
  return Status::InvalidArgument("The batch has more than " + limit + " entries: send at most " +
                                 limit + " per request.");
}

// `status` with `where` ("Entry 3: ") in front of its sentence.
Status At(std::string where, const Status& status) {
  return Status::InvalidArgument(std::move(where) + status.message());
}

std::string EntryLabel(size_t index) { return "Entry " + std::to_string(index) + ": "; }

// The entry's time: its "timestamp", checked, or now_ms.
Result<int64_t> EntryTime(const ingest::EntryFields& fields, int64_t now_ms) {
  if (!fields.has_timestamp) return now_ms;
  using T = simdjson::dom::element_type;
  const simdjson::dom::element& value = fields.timestamp;
  int64_t ms = 0;
  switch (value.type()) {
    case T::INT64:
      ms = value.get_int64().value_unsafe();
      break;
    case T::UINT64:  // above INT64_MAX: far in the future
      ms = INT64_MAX;
      break;
    case T::DOUBLE:
      return Status::InvalidArgument(
          "Field 'timestamp' must be a whole number of Unix milliseconds, without a fraction "
          "or an exponent.");
    case T::STRING: {
      Result<int64_t> parsed = ParseRfc3339("Field 'timestamp'", value.get_string().value_unsafe(),
                                            /*in_url=*/false);
      if (!parsed.ok()) return parsed;
      ms = parsed.value();
      break;
    }
    default:
      return Status::InvalidArgument(
          std::string("Field 'timestamp' must be Unix milliseconds (an integer) or an RFC 3339 "
                      "time (a string), not ") +
          ingest::JsonTypeName(value.type()) + ".");
  }
  // The store's keys hold non-negative milliseconds.
  if (ms < 0) {
    return Status::InvalidArgument(
        "Field 'timestamp' is before 1970-01-01T00:00:00Z, the earliest time an entry can have.");
  }
  if (ms - now_ms > kMaxTimestampAheadMs) {
    return Status::InvalidArgument(
        "Field 'timestamp' is more than " + std::to_string(kMaxTimestampAheadMs / 60'000) +
        " minutes in the future (the server's time is " + FormatIso8601Millis(now_ms) + ").");
  }
  return ms;
}

// Validates one entry of a batch and appends it to `entries`.
Status AppendEntry(simdjson::dom::element value, int64_t now_ms, std::vector<BatchEntry>* entries) {
  auto object = ingest::AsObject(value, "An entry");
  if (!object.ok()) return object.status();
  ingest::EntryFields fields;
  if (Status s = ingest::ParseEntryObject(object.value(), ingest::EntryContract::kBatch, &fields);
      !s.ok()) {
    return s;
  }
  Result<int64_t> time = EntryTime(fields, now_ms);
  if (!time.ok()) return time.status();
  entries->push_back(BatchEntry{fields.severity, std::string(fields.message), time.value(),
                                std::move(fields.attributes)});
  return Status::Ok();
}

Result<std::vector<BatchEntry>> ParseArray(std::string_view body, int64_t now_ms) {
  auto doc = ingest::ParseJson(body, "Request body");
  if (!doc.ok()) return doc.status();
  simdjson::dom::array array;
  if (doc.value().get(array) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("Request body must be a JSON array, not ") +
                                   ingest::JsonTypeName(doc.value().type()) + ".");
  }
  // The count is O(1) (simdjson keeps it, saturating at 2^24 - 1: still
  // over the limit).
  const size_t count = array.size();
  if (count == 0) return EmptyBatch();
  if (count > kMaxBatchEntries) return TooManyEntries();
  std::vector<BatchEntry> entries;
  entries.reserve(count);
  for (simdjson::dom::element value : array) {
    if (Status s = AppendEntry(value, now_ms, &entries); !s.ok()) {
      return At(EntryLabel(entries.size()), s);
    }
  }
  return entries;
}

// The lines of an NDJSON body that are not blank, with their numbers
// (counted from 1, blank lines too). A line ends at LF; the CR of a CRLF stays
// on it, as JSON white space.
class EntryLines {
 public:
  explicit EntryLines(std::string_view body) : rest_(body) {}

  bool Next(std::string_view* line, size_t* number) {
    while (!done_) {
      const size_t end = rest_.find('\n');
      std::string_view candidate = rest_.substr(0, end);
      if (end == std::string_view::npos) {
        done_ = true;
      } else {
        rest_.remove_prefix(end + 1);
      }
      ++number_;
      if (!IsBlank(candidate)) {
        *line = candidate;
        *number = number_;
        return true;
      }
    }
    return false;
  }

 private:
  std::string_view rest_;
  size_t number_ = 0;
  bool done_ = false;
};

Result<std::vector<BatchEntry>> ParseNdjson(std::string_view body, int64_t now_ms) {
  std::string_view line;
  size_t number = 0;
  // Counted first, so that a batch over the limit is refused as a whole (as
  // an array is) and the entries are allocated once.
  size_t count = 0;
  for (EntryLines lines(body); lines.Next(&line, &number);) {
    if (++count > kMaxBatchEntries) return TooManyEntries();
  }
  if (count == 0) return EmptyBatch();
  std::vector<BatchEntry> entries;
  entries.reserve(count);
  for (EntryLines lines(body); lines.Next(&line, &number);) {
    auto where = [&] {
      return "Line " + std::to_string(number) + " (entry " + std::to_string(entries.size()) + "): ";
    };
    auto value = ingest::ParseJson(line, "The line");
    if (!value.ok()) return At(where(), value.status());
    if (Status s = AppendEntry(value.value(), now_ms, &entries); !s.ok()) return At(where(), s);
  }
  return entries;
}

}  // namespace

BodyForm BatchFormOf(std::string_view content_type, std::string_view body) {
  std::string_view media_type = ascii::TrimOws(content_type.substr(0, content_type.find(';')));
  if (ascii::EqualsIgnoreCase(media_type, "application/x-ndjson") ||
      ascii::EqualsIgnoreCase(media_type, "application/jsonl")) {
    return BodyForm::kNdjson;
  }
  const size_t first = body.find_first_not_of(kJsonWhitespace);
  return first != std::string_view::npos && body[first] == '[' ? BodyForm::kArray
                                                               : BodyForm::kSingle;
}

Result<std::vector<BatchEntry>> ParseIngestBatch(std::string_view body, BodyForm form,
                                                 int64_t now_ms) {
  switch (form) {
    case BodyForm::kArray:
      return ParseArray(body, now_ms);
    case BodyForm::kNdjson:
      return ParseNdjson(body, now_ms);
    case BodyForm::kSingle:
      break;
  }
  return Status::Internal(
      "ParseIngestBatch takes arrays and NDJSON; a single entry is "
      "ParseIngestRequest's.");
}

}  // namespace logsvc
