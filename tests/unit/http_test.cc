// The response head the server writes, read back by Beast's parser: what a
// client sees must be a valid HTTP/1.x response with the right framing.
#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

#include "http/response_head.h"

namespace logsvc::http {
namespace {

namespace bhttp = boost::beast::http;

api::Response Created() {
  api::Response r;
  r.status = 201;
  r.headers.push_back({"Content-Type", "application/json"});
  r.headers.push_back({"Access-Control-Allow-Origin", "*"});
  r.headers.push_back({"Location", "/logs/0b6f5f5e-8c1a-4f5e-9d1c-3c1f2a9b7e10"});
  r.body = R"({"statusCode":201})";
  return r;
}

// Parses head + body as a client would; fails the test on a framing error.
bhttp::response<bhttp::string_body> Parse(const std::string& wire) {
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  boost::system::error_code ec;
  size_t used = parser.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message() << " in:\n" << wire;
  EXPECT_EQ(used, wire.size());
  EXPECT_TRUE(parser.is_done()) << wire;
  return parser.release();
}

TEST(ResponseHead, ExactBytes) {
  api::Response r;
  r.status = 404;
  r.headers.push_back({"Content-Type", "application/json"});
  r.body = "{}";
  std::string head;
  FormatResponseHead(r, 11, true, &head);
  EXPECT_EQ(head,
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\n\r\n");
}

TEST(ResponseHead, Http11KeepAliveCarriesHeadersAndLength) {
  api::Response r = Created();
  std::string head;
  FormatResponseHead(r, 11, true, &head);
  auto res = Parse(head + r.body);
  EXPECT_EQ(res.result_int(), 201);
  EXPECT_EQ(res.reason(), "Created");
  EXPECT_EQ(res.version(), 11u);
  EXPECT_TRUE(res.keep_alive());
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  EXPECT_EQ(res[bhttp::field::access_control_allow_origin], "*");
  EXPECT_EQ(res[bhttp::field::location], "/logs/0b6f5f5e-8c1a-4f5e-9d1c-3c1f2a9b7e10");
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(r.body.size()));
  EXPECT_EQ(res.body(), r.body);
}

TEST(ResponseHead, Http11CloseSaysSo) {
  api::Response r = Created();
  std::string head;
  FormatResponseHead(r, 11, false, &head);
  auto res = Parse(head + r.body);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(res[bhttp::field::connection], "close");
}

TEST(ResponseHead, Http10KeepsAliveOnlyWhenAsked) {
  api::Response r = Created();
  std::string head;
  FormatResponseHead(r, 10, true, &head);
  auto kept = Parse(head + r.body);
  EXPECT_EQ(kept.version(), 10u);
  EXPECT_TRUE(kept.keep_alive());

  FormatResponseHead(r, 10, false, &head);
  auto closed = Parse(head + r.body);
  EXPECT_FALSE(closed.keep_alive());
  EXPECT_EQ(closed.count(bhttp::field::connection), 0u);
}

TEST(ResponseHead, NoContentStatusesHaveNoLength) {
  for (int status : {204, 304}) {
    api::Response r;
    r.status = status;
    r.headers.push_back({"Allow", "GET, OPTIONS"});
    std::string head;
    FormatResponseHead(r, 11, true, &head);
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    auto res = Parse(head);
    EXPECT_EQ(res.result_int(), status);
    EXPECT_EQ(res[bhttp::field::allow], "GET, OPTIONS");
  }
}

TEST(ResponseHead, LengthOfASharedBody) {
  api::Response r;
  r.status = 200;
  r.shared_body = std::make_shared<const std::string>(R"({"statusCode":200,"count":0,"logs":[]})");
  std::string head;
  FormatResponseHead(r, 11, true, &head);
  auto res = Parse(head + *r.shared_body);
  EXPECT_EQ(res[bhttp::field::content_length], std::to_string(r.shared_body->size()));
  EXPECT_EQ(res.body(), *r.shared_body);
}

TEST(ResponseHead, ReusesTheBufferWithoutLeftovers) {
  std::string head = "stale bytes from an earlier reply";
  api::Response r = Created();
  FormatResponseHead(r, 11, true, &head);
  EXPECT_EQ(head.rfind("HTTP/1.1 201 Created\r\n", 0), 0u);
}

}  // namespace
}  // namespace logsvc::http
