// libFuzzer target: OTLP logs bodies (formats/otlp_logs.h) on arbitrary
// bytes, parsed as binary protobuf and as OTLP/JSON. Beyond "no crash, no
// sanitizer report":
//   - a refusal is kInvalidArgument with a sentence;
//   - what is accepted keeps the rules: at most kMaxBatchEntries entries, each
//     message at most kMaxShippedMessageBytes of UTF-8, a time no further
//     than kMaxTimestampAheadMs ahead, at most kMaxAttributes attributes,
//     sorted, each key once; a rejection count with a reason, and none without;
//   - an input that parses as protobuf parses the same once re-serialized by
//     the generated classes (the entries are equal).
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/ingest_batch.h"
#include "formats/otlp_logs.h"
#include "logsvc/log_store.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace {

using namespace logsvc;

constexpr int64_t kNow = 1'796'000'000'000;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

void CheckParsed(const Result<otlp::ExportedLogs>& r) {
  if (!r.ok()) {
    Check(r.status().code() == Status::Code::kInvalidArgument, "a refusal is kInvalidArgument");
    Check(!r.status().message().empty(), "a refusal says why");
    return;
  }
  const otlp::ExportedLogs& logs = r.value();
  Check(logs.entries.size() <= kMaxBatchEntries, "at most a batch of entries");
  Check((logs.rejected == 0) == logs.first_rejection.empty(), "a rejection has a reason");
  for (const LogEntry& e : logs.entries) {
    Check(e.log_id.empty(), "no id yet");
    Check(e.message.size() <= kMaxShippedMessageBytes, "message limit");
    Check(simdjson::validate_utf8(e.message.data(), e.message.size()), "message is UTF-8");
    Check(e.timestamp_ms <= kNow + kMaxTimestampAheadMs, "time limit");
    Check(e.attributes.size() <= kMaxAttributes, "attribute count");
    for (size_t i = 0; i < e.attributes.size(); ++i) {
      Check(!e.attributes[i].key.empty(), "attribute key not empty");
      Check(e.attributes[i].key.size() <= kMaxAttributeKeyBytes, "attribute key limit");
      Check(e.attributes[i].value.size() <= kMaxAttributeValueBytes, "attribute value limit");
      Check(i == 0 || e.attributes[i - 1].key < e.attributes[i].key, "attributes sorted, unique");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto proto = otlp::ParseExportLogsRequest(body, otlp::Encoding::kProtobuf, kNow);
  CheckParsed(proto);
  CheckParsed(otlp::ParseExportLogsRequest(body, otlp::Encoding::kJson, kNow));
  if (proto.ok()) {
    opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest request;
    Check(request.ParseFromString(std::string(body)), "parses again");
    auto again =
        otlp::ParseExportLogsRequest(request.SerializeAsString(), otlp::Encoding::kProtobuf, kNow);
    Check(again.ok(), "re-serialized parses");
    const auto& a = proto.value();
    const auto& b = again.value();
    Check(a.rejected == b.rejected && a.entries.size() == b.entries.size(), "same outcome");
    for (size_t i = 0; i < a.entries.size(); ++i) {
      Check(a.entries[i].message == b.entries[i].message &&
                a.entries[i].timestamp_ms == b.entries[i].timestamp_ms &&
                a.entries[i].severity == b.entries[i].severity &&
                a.entries[i].attributes == b.entries[i].attributes,
            "same entries");
    }
  }
  return 0;
}
