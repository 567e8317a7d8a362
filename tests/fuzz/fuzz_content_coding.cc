// libFuzzer target: request bodies in gzip and zstd (api/content_coding.h) on
// arbitrary bytes. Byte 0 picks the Content-Encoding, byte 1 the size limit,
// the rest is the body. Beyond "no crash, no sanitizer report":
//   - a decoded body is never larger than the limit, and an error is 400 or
//     413 with a sentence;
//   - the body compressed here (tests/unit/compress.h) decodes back to itself when it
//     fits in the limit, and is a 413 when it does not.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../unit/compress.h"
#include "api/content_coding.h"

namespace {

using namespace logsvc;
using testing::Gzip;
using testing::Zstd;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// As the Api calls it; *decoded is whether a coding was undone (identity
// leaves the body to the transport's limit).
std::optional<api::ContentDecodeError> Decode(std::string_view coding, std::string_view body,
                                              size_t max, std::string* out, bool* decoded) {
  std::vector<api::HeaderField> fields = {{"Content-Encoding", coding}};
  auto error = api::DecodeContent(api::RequestHeaders(fields), body, max, out, decoded);
  if (!error && !*decoded) *out = std::string(body);
  return error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static constexpr std::string_view kCodings[] = {"gzip",       "zstd",   "gzip, zstd",
                                                  "zstd, gzip", "x-gzip", "identity"};
  const std::string_view coding = kCodings[data[0] % std::size(kCodings)];
  const size_t max = size_t{1} << (4 + data[1] % 14);  // 16 B to 128 KiB
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::string out;
  bool decoded = false;
  if (auto error = Decode(coding, body, max, &out, &decoded)) {
    Check(error->status == 400 || error->status == 413, "a refusal is 400 or 413");
    Check(!error->message.empty(), "a refusal says why");
  } else {
    Check(!decoded || out.size() <= max, "never more than the limit once decoded");
    Check(decoded || coding == "identity", "gzip or zstd is undone");
  }

  // Round trips: the body itself, compressed here.
  for (const auto& [name, packed] :
       {std::pair<std::string_view, std::string>{"gzip", Gzip(body)}, {"zstd", Zstd(body)}}) {
    std::string back;
    bool undone = false;
    auto error = Decode(name, packed, max, &back, &undone);
    if (body.size() <= max) {
      Check(!error, "a body within the limit decodes");
      Check(back == body, "it decodes to itself");
    } else {
      Check(error && error->status == 413, "a body over the limit is 413");
    }
  }
  return 0;
}
