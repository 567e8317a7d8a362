// libFuzzer target: Loki push bodies (src/formats/loki_push.h) on arbitrary
// bytes. Byte 0 picks what the rest is:
//   0: a protobuf PushRequest (uncompressed)        -> ParseLokiProtobuf
//   1: the same, snappy-compressed here, then undone by DecodeSnappyBlock
//      (must give the bytes back) and parsed
//   2: a snappy block as a client sent it (bounded to 64 KiB once decoded)
//   3: a Prometheus label set                        -> ParsePrometheusLabels
//   4: a JSON PushRequest                            -> ParseLokiJson
// Beyond "no crash, no sanitizer report", every result keeps the contract:
// at most kMaxBatchEntries entries, each a UTF-8 message of at most
// kMaxShippedMessageBytes, a time in [0, now + kMaxTimestampAheadMs], sorted
// unique attributes within the limits; every refusal is kInvalidArgument
// with a sentence.
#include <simdjson.h>
#include <snappy.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "api/content_coding.h"
#include "core/ingest_batch.h"
#include "formats/loki_push.h"
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

void CheckResult(const Result<std::vector<LogEntry>>& r) {
  if (!r.ok()) {
    Check(r.status().code() == Status::Code::kInvalidArgument, "a refusal is kInvalidArgument");
    Check(!r.status().message().empty(), "a refusal says why");
    return;
  }
  Check(r.value().size() <= kMaxBatchEntries, "at most kMaxBatchEntries lines");
  for (const LogEntry& e : r.value()) {
    Check(e.message.size() <= kMaxShippedMessageBytes, "a message within the limit");
    Check(simdjson::validate_utf8(e.message.data(), e.message.size()), "a UTF-8 message");
    Check(e.timestamp_ms >= 0 && e.timestamp_ms <= kNow + kMaxTimestampAheadMs, "a time in range");
    Check(e.attributes.size() <= kMaxAttributes, "at most kMaxAttributes");
    for (size_t i = 0; i < e.attributes.size(); ++i) {
      const Attribute& a = e.attributes[i];
      Check(!a.key.empty() && a.key.size() <= kMaxAttributeKeyBytes, "a key within the limit");
      Check(a.value.size() <= kMaxAttributeValueBytes, "a value within the limit");
      Check(i == 0 || e.attributes[i - 1].key < a.key, "keys sorted and unique");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
      CheckResult(formats::ParseLokiProtobuf(body, kNow));
      break;
    case 1: {
      std::string compressed, out;
      snappy::Compress(body.data(), body.size(), &compressed);
      auto error = api::DecodeSnappyBlock(compressed, body.size(), &out);
      Check(!error && out == body, "a snappy block made here decodes back");
      if (body.size() > 0) {
        auto small = api::DecodeSnappyBlock(compressed, body.size() - 1, &out);
        Check(small && small->status == 413, "one byte over the limit is a 413");
      }
      CheckResult(formats::ParseLokiProtobuf(out, kNow));
      break;
    }
    case 2: {
      std::string out;
      constexpr size_t kMax = 64 << 10;
      if (auto error = api::DecodeSnappyBlock(body, kMax, &out)) {
        Check(error->status == 400 || error->status == 413, "a refusal is 400 or 413");
        Check(!error->message.empty(), "a refusal says why");
      } else {
        Check(out.size() <= kMax, "never more than the limit once decoded");
        CheckResult(formats::ParseLokiProtobuf(out, kNow));
      }
      break;
    }
    case 3: {
      auto r = formats::ParsePrometheusLabels(body);
      if (!r.ok()) {
        Check(!r.status().message().empty(), "a refusal says why");
      } else {
        Check(r.value().size() <= 4 * kMaxAttributes, "a bounded label count");
        for (const auto& l : r.value()) Check(!l.name.empty(), "a label has a name");
      }
      break;
    }
    case 4:
      CheckResult(formats::ParseLokiJson(body, kNow));
      break;
  }
  return 0;
}
