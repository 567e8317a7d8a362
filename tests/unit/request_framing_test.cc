// CheckFraming: the Host and Transfer-Encoding rules that decide whether a
// request's body can be found (RFC 9112 sections 3.2, 6 and 7).
#include "http/request_framing.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

namespace logsvc::http {
namespace {

namespace bhttp = boost::beast::http;

bhttp::request_header<> Header(unsigned version,
                               std::initializer_list<std::pair<bhttp::field, const char*>> fields) {
  bhttp::request_header<> h;
  h.version(version);
  h.method(bhttp::verb::post);
  h.target("/logs");
  for (const auto& [name, value] : fields) h.insert(name, value);
  return h;
}

constexpr auto kHost = bhttp::field::host;
constexpr auto kTe = bhttp::field::transfer_encoding;

int StatusOf(const bhttp::request_header<>& h, bool chunked = true) {
  auto error = CheckFraming(h, chunked);
  if (error) {
    EXPECT_GE(error->error.size(), 20u) << "a sentence saying what is wrong";
  }
  return error ? error->status : 0;
}

TEST(CheckFraming, PlainRequestsPass) {
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}}), false), 0);
  EXPECT_EQ(StatusOf(Header(10, {}), false), 0);  // HTTP/1.0 needs no Host
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, "chunked"}})), 0);
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, " Chunked "}})), 0);
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, ", chunked,"}})), 0);  // empty elements
}

TEST(CheckFraming, HostExactlyOnce) {
  EXPECT_EQ(StatusOf(Header(11, {}), false), 400);
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kHost, "b"}}), false), 400);
  EXPECT_EQ(StatusOf(Header(10, {{kHost, "a"}, {kHost, "a"}}), false), 400);
  EXPECT_NE(CheckFraming(Header(11, {{kHost, "a"}, {kHost, "b"}}), false)->error.find("2"),
            std::string::npos);
}

TEST(CheckFraming, TransferEncodingMustEndInChunked) {
  for (const char* te :
       {"identity", "xchunked", "chunked, identity", "", ",", "gzip", "chunked x", "chunked, ;"}) {
    EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, te}}), false), 400) << te;
  }
  // Beast would take the body as empty here; the lines are one list.
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, "chunked"}, {kTe, "identity"}}), false), 400);
}

// Each rule alone: as if the parser had taken these bodies as chunked (Beast
// does not for "chunked, chunked", which the last check would refuse anyway).
TEST(CheckFraming, ChunkedOnceWithoutParameters) {
  auto twice = CheckFraming(Header(11, {{kHost, "a"}, {kTe, "chunked, chunked"}}), true);
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->status, 400);
  EXPECT_NE(twice->error.find("more than once"), std::string::npos) << twice->error;
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, "chunked"}, {kTe, "chunked"}})), 400);
  auto parameters = CheckFraming(Header(11, {{kHost, "a"}, {kTe, "chunked;q=1"}}), true);
  ASSERT_TRUE(parameters);
  EXPECT_EQ(parameters->status, 400);
  EXPECT_NE(parameters->error.find("parameters"), std::string::npos) << parameters->error;
}

TEST(CheckFraming, OtherCodingsAreNotImplemented) {
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, "gzip, chunked"}})), 501);
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, "gzip"}, {kTe, "chunked"}})), 501);
  auto error = CheckFraming(Header(11, {{kHost, "a"}, {kTe, "deflate,chunked"}}), true);
  ASSERT_TRUE(error);
  EXPECT_NE(error->error.find("'deflate'"), std::string::npos) << error->error;
}

TEST(CheckFraming, NoTransferEncodingInHttp10) {
  EXPECT_EQ(StatusOf(Header(10, {{kTe, "chunked"}})), 400);
}

TEST(CheckFraming, ChunkedThatBeastDidNotReadAsChunkedIsRefused) {
  EXPECT_EQ(StatusOf(Header(11, {{kHost, "a"}, {kTe, "chunked"}}), false), 400);
}

TEST(OverflowIsTrailer, TellsTheTrailerFromALongSizeLine) {
  EXPECT_TRUE(OverflowIsTrailer("0\r\nX-Big: bbbb"));
  EXPECT_TRUE(OverflowIsTrailer("\r\n000;ext=1\r\nX-Big: bbbb"));
  EXPECT_FALSE(OverflowIsTrailer("5;aaaaaaaaaaaa"));
  EXPECT_FALSE(OverflowIsTrailer("0;aaaaaaaaaaaa"));  // the last chunk's own line is too long
  EXPECT_FALSE(OverflowIsTrailer("\r\n10\r\n"));
  EXPECT_FALSE(OverflowIsTrailer(";aaaa\r\n"));
  EXPECT_FALSE(OverflowIsTrailer(""));
}

}  // namespace
}  // namespace logsvc::http
