// libFuzzer target: Elasticsearch bulk bodies (src/formats/es_bulk.h) on
// arbitrary bytes. Byte 0 picks the field names (defaults, or _msg_field /
// _time_field / _level_field lists), the rest is the body, parsed for the
// path index "idx". Beyond "no crash, no sanitizer report":
//   - at most kMaxBatchEntries items; one entry per item without an error,
//     in order; each entry within the message, time and attribute limits;
//   - every refused item has status 400 and an error type and reason;
//   - the reply is valid JSON with one item per action and "errors" true
//     exactly when an item was refused;
//   - a refusal of the whole request is kInvalidArgument with a sentence.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/ingest_batch.h"
#include "formats/es_bulk.h"
#include "logsvc/log_store.h"

namespace {

using namespace logsvc;

constexpr int64_t kNow = 1'800'000'000'000;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static constexpr std::string_view kQueries[] = {
      "", "_msg_field=msg,message&_time_field=ts,@timestamp", "_level_field=level,log.level",
      "_msg_field=a.b&_time_field=a&_level_field=a.c"};
  auto fields = formats::ParseEsFieldParams(kQueries[data[0] % std::size(kQueries)]);
  Check(fields.ok(), "the queries here are valid");
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto r = formats::ParseEsBulk(body, "idx", fields.value(), kNow);
  if (!r.ok()) {
    Check(r.status().code() == Status::Code::kInvalidArgument, "a refusal is kInvalidArgument");
    Check(!r.status().message().empty(), "a refusal says why");
    return 0;
  }
  const formats::EsBulk& bulk = r.value();
  Check(!bulk.items.empty() && bulk.items.size() <= kMaxBatchEntries, "1..10000 items");
  size_t next = 0;
  bool errors = false;
  for (const formats::EsBulkItem& item : bulk.items) {
    Check(!item.index.empty(), "every item has an index");
    if (item.entry) {
      Check(*item.entry == next++, "entries in item order");
      continue;
    }
    errors = true;
    Check(item.status == 400 && !item.error_type.empty() && !item.error_reason.empty(),
          "a refused item says why");
  }
  Check(next == bulk.entries.size(), "one entry per stored item");
  for (const LogEntry& e : bulk.entries) {
    Check(e.message.size() <= kMaxShippedMessageBytes, "a message within the limit");
    Check(simdjson::validate_utf8(e.message.data(), e.message.size()), "a UTF-8 message");
    Check(e.timestamp_ms >= 0 && e.timestamp_ms <= kNow + kMaxTimestampAheadMs, "a time in range");
    Check(e.attributes.size() <= kMaxAttributes, "at most kMaxAttributes");
    for (size_t i = 1; i < e.attributes.size(); ++i) {
      Check(e.attributes[i - 1].key < e.attributes[i].key, "keys sorted and unique");
    }
  }
  std::vector<std::string> ids(bulk.entries.size(), "00000000-0000-4000-8000-000000000000");
  const std::string reply = formats::EsBulkReply(bulk, ids, 1);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  Check(parser.parse(reply).get(doc) == simdjson::SUCCESS, "the reply is JSON");
  simdjson::dom::array items;
  Check(doc["items"].get(items) == simdjson::SUCCESS && items.size() == bulk.items.size(),
        "one reply item per action");
  bool said_errors = false;
  Check(doc["errors"].get(said_errors) == simdjson::SUCCESS && said_errors == errors,
        "errors is true exactly when an item was refused");
  return 0;
}
