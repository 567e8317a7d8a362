// Unit tests of src/api/content_coding.h: bodies in gzip and zstd, compressed
// here with zlib and libzstd themselves, decoded within the size limit.
#include "api/content_coding.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "compress.h"

namespace logsvc::api {
namespace {

using testing::Gzip;
using testing::Zstd;

struct Decoded {
  std::optional<ContentDecodeError> error;
  std::string body;
};

Decoded Decode(std::vector<HeaderField> fields, std::string_view body, size_t max = 1 << 20) {
  Decoded d;
  std::string decoded;
  bool used = false;
  d.error = DecodeContent(RequestHeaders(fields), body, max, &decoded, &used);
  d.body = used ? decoded : std::string(body);
  return d;
}

std::string Text(size_t n) {
  std::mt19937 rng(7);
  std::string s;
  while (s.size() < n) s += "entry " + std::to_string(rng() % 1000) + " timeout\n";
  s.resize(n);
  return s;
}

TEST(DecodeContent, GzipAndZstdBodiesComeBackAsSent) {
  const std::string text = Text(300000);  // several of the decoder's 64 KiB chunks
  for (const auto& [coding, body] : std::vector<std::pair<std::string, std::string>>{
           {"gzip", Gzip(text)}, {"x-gzip", Gzip(text)}, {"ZSTD", Zstd(text)}}) {
    SCOPED_TRACE(coding);
    Decoded d = Decode({{"Content-Encoding", coding}}, body);
    ASSERT_FALSE(d.error) << d.error->message;
    EXPECT_EQ(d.body, text);
  }
  // Identity, or nothing: the body as it is.
  for (std::string coding : {"identity", "", " , identity"}) {
    Decoded d = Decode({{"Content-Encoding", coding}}, "plain");
    EXPECT_FALSE(d.error);
    EXPECT_EQ(d.body, "plain");
  }
  EXPECT_EQ(Decode({}, "plain").body, "plain");
}

TEST(DecodeContent, CodingsAreUndoneLastFirstAndMembersAndFramesFollowEachOther) {
  const std::string text = Text(5000);
  // gzip applied first, then zstd: listed in that order, over one or two fields.
  const std::string both = Zstd(Gzip(text));
  EXPECT_EQ(Decode({{"Content-Encoding", "gzip, zstd"}}, both).body, text);
  EXPECT_EQ(Decode({{"Content-Encoding", "gzip"}, {"Content-Encoding", "zstd"}}, both).body, text);
  EXPECT_TRUE(Decode({{"Content-Encoding", "zstd, gzip"}}, both).error) << "the wrong order";
  // Two gzip members (RFC 1952), two zstd frames: one body.
  EXPECT_EQ(Decode({{"Content-Encoding", "gzip"}}, Gzip("ab") + Gzip("cd")).body, "abcd");
  EXPECT_EQ(Decode({{"Content-Encoding", "zstd"}}, Zstd("ab") + Zstd("cd")).body, "abcd");
}

TEST(DecodeContent, AZipBombIs413AndNeverGrowsPastTheLimit) {
  const std::string zeros(64 << 20, '\0');  // 64 MiB, compressed to some KB
  for (const auto& [coding, body] : std::vector<std::pair<std::string, std::string>>{
           {"gzip", Gzip(zeros)}, {"zstd", Zstd(zeros)}}) {
    SCOPED_TRACE(coding);
    ASSERT_LT(body.size(), 200u << 10);
    Decoded d = Decode({{"Content-Encoding", coding}}, body, 1 << 20);
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->status, 413);
    EXPECT_EQ(d.error->message, "The request body is larger than 1048576 bytes once decompressed.");
  }
  // Exactly at the limit is fine; a byte over is not.
  const std::string text = Text(1000);
  EXPECT_FALSE(Decode({{"Content-Encoding", "gzip"}}, Gzip(text), 1000).error);
  Decoded over = Decode({{"Content-Encoding", "zstd"}}, Zstd(text), 999);
  ASSERT_TRUE(over.error);
  EXPECT_EQ(over.error->status, 413);
}

TEST(DecodeContent, BrokenBodiesAre400AndOtherCodings415) {
  const std::string text = Text(5000);
  const std::string gz = Gzip(text), zs = Zstd(text);
  struct Case {
    std::string name, coding, body;
  };
  for (const Case& c : std::vector<Case>{
           {"not gzip at all", "gzip", text},
           {"gzip cut short", "gzip", gz.substr(0, gz.size() / 2)},
           {"gzip without its trailer", "gzip", gz.substr(0, gz.size() - 4)},
           {"gzip and then garbage", "gzip", gz + "garbage"},
           {"empty gzip", "gzip", ""},
           {"not zstd at all", "zstd", text},
           {"zstd cut short", "zstd", zs.substr(0, zs.size() / 2)},
           {"zstd and then garbage", "zstd", zs + "garbage"},
           {"empty zstd", "zstd", ""},
       }) {
    SCOPED_TRACE(c.name);
    Decoded d = Decode({{"Content-Encoding", c.coding}}, c.body);
    ASSERT_TRUE(d.error);
    EXPECT_EQ(d.error->status, 400);
    EXPECT_EQ(d.error->message.rfind("The request body is not valid " + c.coding + ": ", 0), 0u)
        << d.error->message;
  }
  Decoded br = Decode({{"Content-Encoding", "gzip, br"}}, gz);
  ASSERT_TRUE(br.error);
  EXPECT_EQ(br.error->status, 415);
  EXPECT_EQ(br.error->message,
            "Content-Encoding 'br' is not supported; send the body uncompressed, or in gzip or "
            "zstd.");
  Decoded many = Decode({{"Content-Encoding", "gzip, gzip, gzip, gzip, gzip"}}, gz);
  ASSERT_TRUE(many.error);
  EXPECT_EQ(many.error->status, 400);
  EXPECT_EQ(many.error->message, "Content-Encoding names more than 4 codings.");
}

TEST(DecodeContent, AZstdFrameAskingForAHugeWindowIs413) {
  // A frame whose header asks for a 64 MiB window: within zstd's own default
  // limit (128 MiB), over ours for a 1 MiB body (8 MiB); refused before any
  // window is allocated.
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 26);
  ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1);
  const std::string text = Text(1000);
  std::string out(ZSTD_compressBound(text.size()) + 64, '\0');
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  ZSTD_inBuffer i{text.data(), text.size(), 0};
  // Streamed, the size not known in advance: the header carries the window.
  ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(c, &o, &i, ZSTD_e_continue)));
  ZSTD_inBuffer none{nullptr, 0, 0};
  ASSERT_EQ(ZSTD_compressStream2(c, &o, &none, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(c);
  out.resize(o.pos);
  Decoded d = Decode({{"Content-Encoding", "zstd"}}, out);
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->status, 413);
  EXPECT_NE(d.error->message.find("needs a window larger than 8388608 bytes"), std::string::npos)
      << d.error->message;
}

}  // namespace
}  // namespace logsvc::api
