// libFuzzer target: POST /logs batch bodies (core/ingest_batch.h), each input
// parsed as a JSON array and as NDJSON. Beyond "no crash, no sanitizer
// report", it checks the batch parser's promises: errors are 400s with a
// sentence; an accepted batch has 1..kMaxBatchEntries entries, each with a
// valid message and a timestamp from 1970 to ten minutes past now; and each
// accepted entry is one that ParseIngestRequest accepts alone, with the same
// severity and message (one validator for both).
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingest_batch.h"
#include "core/ingest_request.h"
#include "core/utf8.h"
#include "logsvc/log_store.h"

namespace {

constexpr int64_t kNow = 1'796'083'200'000;  // 2026-12-01T00:00:00Z

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);  // unbuffered: abort() drops stdout
    std::abort();
  }
}

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == s.npos; }

// The entry as a single POST /logs body would give it.
void CheckSameAsSingle(std::string_view single_body, const logsvc::BatchEntry& entry) {
  auto single = logsvc::ParseIngestRequest(single_body);
  Check(single.ok(), "an entry a batch takes is one a single body takes");
  Check(single.value().severity == entry.severity, "same severity as a single body");
  Check(single.value().message == entry.message, "same message as a single body");
}

void CheckBatch(const logsvc::Result<std::vector<logsvc::BatchEntry>>& r) {
  if (!r.ok()) {
    Check(r.status().code() == logsvc::Status::Code::kInvalidArgument, "errors are 400s");
    Check(!r.status().message().empty(), "errors say what is wrong");
    return;
  }
  const std::vector<logsvc::BatchEntry>& entries = r.value();
  Check(!entries.empty() && entries.size() <= logsvc::kMaxBatchEntries, "entry count");
  for (const logsvc::BatchEntry& e : entries) {
    Check(!e.message.empty(), "message non-empty");
    Check(logsvc::utf8::TrimWhitespace(e.message) == e.message, "message trimmed");
    Check(logsvc::utf8::CountCodePoints(e.message) <= logsvc::kMaxMessageCodePoints,
          "length limit");
    Check(simdjson::validate_utf8(e.message.data(), e.message.size()), "message is valid UTF-8");
    Check(e.timestamp_ms >= 0, "no timestamp before 1970");
    Check(e.timestamp_ms <= kNow + logsvc::kMaxTimestampAheadMs, "no timestamp too far ahead");
  }
}

void FuzzArray(std::string_view body) {
  auto r = logsvc::ParseIngestBatch(body, logsvc::BodyForm::kArray, kNow);
  CheckBatch(r);
  if (!r.ok()) return;
  // Each element, written out alone, is a single body that says the same.
  simdjson::dom::parser parser;  // not the library's: its documents outlive this one
  simdjson::dom::array array;
  Check(parser.parse(body.data(), body.size()).get(array) == simdjson::SUCCESS,
        "an accepted array parses");
  Check(array.size() == r.value().size(), "one entry per element");
  size_t i = 0;
  for (simdjson::dom::element element : array) {
    CheckSameAsSingle(simdjson::minify(element), r.value()[i++]);
  }
}

void FuzzNdjson(std::string_view body) {
  auto r = logsvc::ParseIngestBatch(body, logsvc::BodyForm::kNdjson, kNow);
  CheckBatch(r);
  if (!r.ok()) return;
  // Each line that is not blank is a single body that says the same.
  size_t i = 0;
  for (std::string_view rest = body;;) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    if (!IsBlank(line)) {
      Check(i < r.value().size(), "one entry per line");
      CheckSameAsSingle(line, r.value()[i++]);
    }
    if (end == rest.npos) break;
    rest.remove_prefix(end + 1);
  }
  Check(i == r.value().size(), "one entry per line, no more");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  size_t first = body.find_first_not_of(" \t\r\n");
  bool array = first != body.npos && body[first] == '[';
  Check((logsvc::BatchFormOf("application/json", body) == logsvc::BodyForm::kArray) == array,
        "an array is a body that starts with '['");
  Check(logsvc::BatchFormOf("application/x-ndjson", body) == logsvc::BodyForm::kNdjson,
        "NDJSON is what its Content-Type says");
  FuzzArray(body);
  FuzzNdjson(body);
  return 0;
}
