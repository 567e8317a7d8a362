// libFuzzer target: the request-body validator and the JSON string encoder.
// Beyond "no crash, no sanitizer report", it checks the validator's promises:
// an accepted message is non-empty, trimmed, within the length limit, and
// survives JSON encoding and decoding unchanged.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/ingest_request.h"
#include "core/json_writer.h"
#include "core/utf8.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    __builtin_printf("invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto r = logsvc::ParseIngestRequest(body);
  if (!r.ok()) {
    Check(r.status().code() == logsvc::Status::Code::kInvalidArgument, "errors are 400s");
    Check(!r.status().message().empty(), "errors say what is wrong");
    return 0;
  }
  const std::string& msg = r.value().message;
  Check(!msg.empty(), "message non-empty");
  Check(logsvc::utf8::TrimWhitespace(msg) == msg, "message trimmed");
  Check(logsvc::utf8::CountCodePoints(msg) <= logsvc::kMaxMessageCodePoints, "length limit");
  Check(simdjson::validate_utf8(msg.data(), msg.size()), "message is valid UTF-8");

  std::string encoded;
  logsvc::json::AppendString(&encoded, msg);
  for (unsigned char c : encoded) Check(c < 0x80, "encoder output is ASCII");
  simdjson::dom::parser parser;
  std::string_view back;
  Check(parser.parse(encoded).get(back) == simdjson::SUCCESS, "encoder output parses");
  Check(back == msg, "encoding round-trips");
  return 0;
}
