// Unit tests of src/aws and src/net: what the AWS tools read from the
// environment, endpoint URLs, the HTTP client against a loopback server in the
// test, and DynamoDB's error bodies.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/dynamodb_client.h"
#include "aws/environment.h"
#include "net/http_client.h"
#include "temp_dir.h"

namespace logsvc {
namespace {

using testing::TempDir;

// ---- environment ----------------------------------------------------------------

// A getenv over a map; the map outlives every call.
class FakeEnv {
 public:
  FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}
  aws::Getenv Getenv() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kOtherSecret = "ZZsecretOfTheWorkProfileZZ";

const std::string kCredentialsFile = std::string() +
                                     "# a comment\n"
                                     "; another comment\n"
                                     "[default]\n"
                                     "aws_access_key_id = AKIDEXAMPLE\n"
                                     "aws_secret_access_key=" +
                                     kSecret +
                                     "\n"
                                     "\n"
                                     "[work]\r\n"
                                     "  # indented comment\n"
                                     "aws_access_key_id   =   AKIDWORK  \r\n"
                                     "aws_secret_access_key\t=\t" +
                                     kOtherSecret +
                                     "\r\n"
                                     "aws_session_token = FwoGZXIvYXdzEXAMPLE==\n"
                                     "region = eu-west-1\n"
                                     "\n"
                                     "[no-secret]\n"
                                     "aws_access_key_id = AKIDHALF\n"
                                     ";aws_secret_access_key = " +
                                     kSecret + "\n";

TEST(CredentialsFile, ReadsTheDefaultProfile) {
  auto c = aws::ParseCredentialsFile(kCredentialsFile, "default");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c.value().access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(c.value().secret_access_key, kSecret);
  EXPECT_EQ(c.value().session_token, "");
}

TEST(CredentialsFile, ReadsANamedProfileWithSpacesCrLfAndSessionToken) {
  auto c = aws::ParseCredentialsFile(kCredentialsFile, "work");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c.value().access_key_id, "AKIDWORK");
  EXPECT_EQ(c.value().secret_access_key, kOtherSecret);
  EXPECT_EQ(c.value().session_token, "FwoGZXIvYXdzEXAMPLE==");
}

TEST(CredentialsFile, KeysOfOtherProfilesDoNotLeakIn) {
  // [default] comes first, [work] after: neither takes the other's keys.
  auto d = aws::ParseCredentialsFile(kCredentialsFile, "default");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.value().session_token, "");
  const std::string reversed =
      "[work]\naws_access_key_id=A\naws_secret_access_key=B\n"
      "aws_session_token=T\n[default]\naws_access_key_id=C\n"
      "aws_secret_access_key=D\n";
  auto r = aws::ParseCredentialsFile(reversed, "default");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().access_key_id, "C");
  EXPECT_EQ(r.value().secret_access_key, "D");
  EXPECT_EQ(r.value().session_token, "");
}

TEST(CredentialsFile, ValuesMayContainEqualsSigns) {
  auto c = aws::ParseCredentialsFile(
      "[default]\naws_access_key_id=A\naws_secret_access_key=ab=c=\n", "default");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value().secret_access_key, "ab=c=");
}

TEST(CredentialsFile, MissingProfileIsInvalidArgumentWithoutSecrets) {
  auto c = aws::ParseCredentialsFile(kCredentialsFile, "nope");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("nope"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find(kSecret), std::string::npos);
  EXPECT_EQ(c.status().message().find(kOtherSecret), std::string::npos);
}

TEST(CredentialsFile, ProfileWithoutBothKeysIsInvalidArgumentWithoutSecrets) {
  // The secret is only in a commented-out line.
  auto c = aws::ParseCredentialsFile(kCredentialsFile, "no-secret");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("no-secret"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find(kSecret), std::string::npos);

  // A secret without an access key id: the message still does not quote it.
  auto d = aws::ParseCredentialsFile(std::string("[default]\naws_secret_access_key=") + kSecret,
                                     "default");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(d.status().message().find(kSecret), std::string::npos) << d.status().message();
}

TEST(CredentialsFile, EmptyTextIsInvalidArgument) {
  auto c = aws::ParseCredentialsFile("", "default");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
}

TEST(LoadCredentials, EnvironmentVariablesWinOverTheFile) {
  TempDir dir;
  const std::string file = dir.path() + "/creds";
  WriteFile(file, kCredentialsFile);
  FakeEnv env{{"AWS_ACCESS_KEY_ID", "AKIDENV"},
              {"AWS_SECRET_ACCESS_KEY", "envsecret"},
              {"AWS_SESSION_TOKEN", "envtoken"},
              {"AWS_SHARED_CREDENTIALS_FILE", file},
              {"HOME", dir.path()}};
  auto c = aws::LoadCredentials(env.Getenv());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c.value().access_key_id, "AKIDENV");
  EXPECT_EQ(c.value().secret_access_key, "envsecret");
  EXPECT_EQ(c.value().session_token, "envtoken");
}

TEST(LoadCredentials, EnvironmentWithoutSessionToken) {
  FakeEnv env{{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "envsecret"}};
  auto c = aws::LoadCredentials(env.Getenv());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c.value().access_key_id, "AKIDENV");
  EXPECT_EQ(c.value().session_token, "");
}

TEST(LoadCredentials, HalfAPairInTheEnvironmentIsAnError) {
  // As botocore: half a pair is reported, not silently replaced by the file's.
  TempDir dir;
  const std::string file = dir.path() + "/creds";
  WriteFile(file, kCredentialsFile);
  for (const char* set : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}) {
    FakeEnv env{{set, "ONLYHALF"}, {"AWS_SHARED_CREDENTIALS_FILE", file}};
    auto c = aws::LoadCredentials(env.Getenv());
    ASSERT_FALSE(c.ok()) << set;
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find("partial"), std::string::npos);
    EXPECT_EQ(c.status().message().find("ONLYHALF"), std::string::npos);
  }
}

TEST(LoadCredentials, SharedCredentialsFileAndProfile) {
  TempDir dir;
  const std::string file = dir.path() + "/somewhere-else";
  WriteFile(file, kCredentialsFile);
  {
    FakeEnv env{{"AWS_SHARED_CREDENTIALS_FILE", file}};
    auto c = aws::LoadCredentials(env.Getenv());
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c.value().access_key_id, "AKIDEXAMPLE");
  }
  {
    FakeEnv env{{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "work"}};
    auto c = aws::LoadCredentials(env.Getenv());
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c.value().access_key_id, "AKIDWORK");
    EXPECT_EQ(c.value().secret_access_key, kOtherSecret);
    EXPECT_EQ(c.value().session_token, "FwoGZXIvYXdzEXAMPLE==");
  }
  {
    FakeEnv env{{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "nope"}};
    auto c = aws::LoadCredentials(env.Getenv());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find("nope"), std::string::npos) << c.status().message();
    EXPECT_EQ(c.status().message().find(kSecret), std::string::npos);
    EXPECT_EQ(c.status().message().find(kOtherSecret), std::string::npos);
  }
}

TEST(LoadCredentials, SharedCredentialsFileWinsOverHome) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/.aws");
  WriteFile(dir.path() + "/.aws/credentials",
            "[default]\naws_access_key_id=AKIDHOME\naws_secret_access_key=home\n");
  const std::string file = dir.path() + "/creds";
  WriteFile(file, kCredentialsFile);
  FakeEnv env{{"AWS_SHARED_CREDENTIALS_FILE", file}, {"HOME", dir.path()}};
  auto c = aws::LoadCredentials(env.Getenv());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c.value().access_key_id, "AKIDEXAMPLE");
}

TEST(LoadCredentials, FallsBackToHomeDotAws) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/.aws");
  WriteFile(dir.path() + "/.aws/credentials", kCredentialsFile);
  FakeEnv env{{"HOME", dir.path()}, {"AWS_PROFILE", "work"}};
  auto c = aws::LoadCredentials(env.Getenv());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c.value().access_key_id, "AKIDWORK");
}

TEST(LoadCredentials, NothingFoundIsInvalidArgument) {
  {
    FakeEnv env{};
    auto c = aws::LoadCredentials(env.Getenv());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(c.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos)
        << c.status().message();
  }
  {
    TempDir dir;  // a HOME without .aws/credentials
    FakeEnv env{{"HOME", dir.path()}};
    auto c = aws::LoadCredentials(env.Getenv());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  }
  {
    TempDir dir;
    FakeEnv env{{"AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/missing"}};
    auto c = aws::LoadCredentials(env.Getenv());
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(ResolveRegion, FlagThenAwsRegionThenAwsDefaultRegion) {
  FakeEnv both{{"AWS_REGION", "eu-west-1"}, {"AWS_DEFAULT_REGION", "us-east-2"}};
  FakeEnv only_default{{"AWS_DEFAULT_REGION", "us-east-2"}};
  FakeEnv empty_region{{"AWS_REGION", ""}, {"AWS_DEFAULT_REGION", "us-east-2"}};

  auto r = aws::ResolveRegion("ap-south-1", both.Getenv());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "ap-south-1");

  r = aws::ResolveRegion("", both.Getenv());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "eu-west-1");

  r = aws::ResolveRegion("", only_default.Getenv());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "us-east-2");

  r = aws::ResolveRegion("", empty_region.Getenv());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "us-east-2");
}

TEST(ResolveRegion, NoneIsInvalidArgument) {
  FakeEnv none{{"HOME", "/root"}};
  auto r = aws::ResolveRegion("", none.Getenv());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(r.status().message().empty());
}

TEST(ResolveDynamoDbEndpoint, Precedence) {
  FakeEnv all{{"AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000"},
              {"AWS_ENDPOINT_URL", "http://localhost:4566"}};
  FakeEnv general{{"AWS_ENDPOINT_URL", "http://localhost:4566"}};
  FakeEnv none{};
  EXPECT_EQ(aws::ResolveDynamoDbEndpoint("http://flag:1", "eu-west-1", all.Getenv()),
            "http://flag:1");
  EXPECT_EQ(aws::ResolveDynamoDbEndpoint("", "eu-west-1", all.Getenv()), "http://localhost:8000");
  EXPECT_EQ(aws::ResolveDynamoDbEndpoint("", "eu-west-1", general.Getenv()),
            "http://localhost:4566");
  EXPECT_EQ(aws::ResolveDynamoDbEndpoint("", "eu-west-1", none.Getenv()),
            "https://dynamodb.eu-west-1.amazonaws.com");
}

// ---- ParseEndpoint -------------------------------------------------------------

TEST(ParseEndpoint, SchemesAndDefaultPorts) {
  auto e = net::ParseEndpoint("http://localhost");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_FALSE(e.value().tls);
  EXPECT_EQ(e.value().host, "localhost");
  EXPECT_EQ(e.value().port, "80");
  EXPECT_EQ(e.value().host_header, "localhost");

  e = net::ParseEndpoint("https://dynamodb.eu-west-1.amazonaws.com");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e.value().tls);
  EXPECT_EQ(e.value().host, "dynamodb.eu-west-1.amazonaws.com");
  EXPECT_EQ(e.value().port, "443");
  EXPECT_EQ(e.value().host_header, "dynamodb.eu-west-1.amazonaws.com");
}

TEST(ParseEndpoint, ExplicitPorts) {
  auto e = net::ParseEndpoint("http://localhost:8000");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().host, "localhost");
  EXPECT_EQ(e.value().port, "8000");
  EXPECT_EQ(e.value().host_header, "localhost:8000");

  // The scheme's default port, written out, is left out of Host.
  e = net::ParseEndpoint("https://example.com:443");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().port, "443");
  EXPECT_EQ(e.value().host_header, "example.com");
  e = net::ParseEndpoint("http://example.com:80");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().host_header, "example.com");

  // The other scheme's default port is not this one's.
  e = net::ParseEndpoint("https://example.com:80");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e.value().tls);
  EXPECT_EQ(e.value().port, "80");
  EXPECT_EQ(e.value().host_header, "example.com:80");
  e = net::ParseEndpoint("http://example.com:443");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().host_header, "example.com:443");
}

TEST(ParseEndpoint, Ipv6) {
  auto e = net::ParseEndpoint("http://[::1]:8000");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e.value().host, "::1");
  EXPECT_EQ(e.value().port, "8000");
  EXPECT_EQ(e.value().host_header, "[::1]:8000");

  e = net::ParseEndpoint("https://[2001:db8::7]");
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e.value().host, "2001:db8::7");
  EXPECT_EQ(e.value().port, "443");
  EXPECT_EQ(e.value().host_header, "[2001:db8::7]");
}

TEST(ParseEndpoint, PathQueryAndFragmentAreIgnored) {
  for (const char* url : {"http://127.0.0.1:9000/", "http://127.0.0.1:9000/some/path",
                          "http://127.0.0.1:9000?x=1", "http://127.0.0.1:9000#f"}) {
    auto e = net::ParseEndpoint(url);
    ASSERT_TRUE(e.ok()) << url << ": " << e.status().message();
    EXPECT_EQ(e.value().host, "127.0.0.1") << url;
    EXPECT_EQ(e.value().port, "9000") << url;
    EXPECT_EQ(e.value().host_header, "127.0.0.1:9000") << url;
  }
  auto e = net::ParseEndpoint("https://h.example/a:b");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e.value().host, "h.example");
  EXPECT_EQ(e.value().port, "443");
}

TEST(ParseEndpoint, RejectsBadUrls) {
  for (const char* url :
       {"", "localhost:8000", "ftp://example.com", "http:/example.com", "//example.com", "http://",
        "https://", "http:///path", "http://:8000", "http://host:0", "http://host:65536",
        "http://host:99999999999", "http://host:80x", "http://host:-1", "http://host: 80",
        "http://[::1", "http://[::1]x", "http://[]:80"}) {
    auto e = net::ParseEndpoint(url);
    EXPECT_FALSE(e.ok()) << "'" << url << "' was accepted";
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument) << url;
    }
  }
  auto e = net::ParseEndpoint("http://host:65535");
  EXPECT_TRUE(e.ok());
}

// ---- HttpClient against a loopback server ----------------------------------------

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// A tiny blocking HTTP/1.1 server on 127.0.0.1 with a port of its own. It
// follows a script: for each entry, accept one connection and answer that many
// requests on it (each with a fixed response naming the connection and request
// number), then close it. It records what it received.
class LoopbackServer {
 public:
  struct Received {
    int connection;
    std::string method, target, host, body, x_test;
  };

  explicit LoopbackServer(std::vector<int> script) : acceptor_(ioc_) {
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    listen_fd_ = acceptor_.native_handle();
    thread_ = std::thread([this, script = std::move(script)] { Run(script); });
  }

  // Unblocks the server if a test failed half-way, then waits for it.
  ~LoopbackServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      ::shutdown(listen_fd_, SHUT_RDWR);
      if (conn_fd_ >= 0) ::shutdown(conn_fd_, SHUT_RDWR);
    }
    thread_.join();
  }

  unsigned short port() const { return port_; }

  // Waits until the server has closed `n` connections (false after 5 s).
  bool WaitClosed(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return closed_ >= n; });
  }

  std::vector<Received> received() {
    std::lock_guard lock(mu_);
    return received_;
  }
  int accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }

 private:
  void Run(const std::vector<int>& script) {
    for (size_t c = 0; c < script.size(); ++c) {
      boost::system::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      {
        std::lock_guard lock(mu_);
        if (ec || stopping_) return;
        ++accepted_;
        conn_fd_ = socket.native_handle();
      }
      boost::beast::flat_buffer buffer;
      for (int r = 0; r < script[c]; ++r) {
        bhttp::request<bhttp::string_body> req;
        bhttp::read(socket, buffer, req, ec);
        if (ec) break;
        {
          std::lock_guard lock(mu_);
          received_.push_back({static_cast<int>(c) + 1, std::string(req.method_string()),
                               std::string(req.target()), std::string(req[bhttp::field::host]),
                               req.body(), std::string(req["X-Test"])});
        }
        bhttp::response<bhttp::string_body> res(bhttp::status::created, 11);
        res.set("X-Served-By", "loopback");
        res.set(bhttp::field::content_type, "text/plain");
        res.body() = "connection " + std::to_string(c + 1) + " request " + std::to_string(r + 1);
        res.keep_alive(true);  // even on the last one: the close comes unannounced
        res.prepare_payload();
        bhttp::write(socket, res, ec);
        if (ec) break;
      }
      {
        std::lock_guard lock(mu_);
        conn_fd_ = -1;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
      {
        std::lock_guard lock(mu_);
        ++closed_;
      }
      cv_.notify_all();
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  int listen_fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int conn_fd_ = -1;
  int accepted_ = 0;
  int closed_ = 0;
  std::vector<Received> received_;
  std::thread thread_;
};

net::HttpClientOptions LoopbackOptions(unsigned short port) {
  auto ep = net::ParseEndpoint("http://127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(ep.ok());
  net::HttpClientOptions o;
  o.endpoint = ep.value();
  o.connect_timeout = std::chrono::milliseconds(500);
  o.request_timeout = std::chrono::milliseconds(1000);
  return o;
}

net::HttpRequest MakeRequest(std::string method, std::string target, std::string body,
                             std::string x_test) {
  net::HttpRequest req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::move(body);
  req.headers = {{"X-Test", std::move(x_test)}};
  return req;
}

// Send, waiting at most `limit`: a client that never answers (say, one that
// retries for ever) fails the test instead of hanging it.
Result<net::HttpResponse> SendWithin(net::HttpClient& client, net::HttpRequest request,
                                     std::chrono::milliseconds limit) {
  auto promise = std::make_shared<std::promise<Result<net::HttpResponse>>>();
  auto future = promise->get_future();
  client.Send(std::move(request),
              [promise](Result<net::HttpResponse> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(limit) != std::future_status::ready) {
    return Status::Internal("the test gave up waiting for an answer");
  }
  return future.get();
}

TEST(HttpClient, RoundTripsAndReusesTheConnection) {
  LoopbackServer server({2});
  net::HttpClient client(LoopbackOptions(server.port()));

  auto r1 = net::SendAndWait(client, MakeRequest("POST", "/first?x=1", "hello", "one"));
  ASSERT_TRUE(r1.ok()) << r1.status().message();
  EXPECT_EQ(r1.value().status, 201);
  EXPECT_EQ(r1.value().body, "connection 1 request 1");
  EXPECT_EQ(r1.value().Header("x-served-by"), "loopback");
  EXPECT_EQ(r1.value().Header("Content-Type"), "text/plain");
  EXPECT_EQ(r1.value().Header("X-Absent"), "");

  auto r2 = net::SendAndWait(client, MakeRequest("GET", "/second", "", "two"));
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ(r2.value().status, 201);
  EXPECT_EQ(r2.value().body, "connection 1 request 2");  // the same connection

  ASSERT_TRUE(server.WaitClosed(1));
  EXPECT_EQ(server.accepted(), 1);
  auto got = server.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/first?x=1");
  EXPECT_EQ(got[0].host, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(got[0].body, "hello");
  EXPECT_EQ(got[0].x_test, "one");
  EXPECT_EQ(got[1].connection, 1);
  EXPECT_EQ(got[1].method, "GET");
  EXPECT_EQ(got[1].target, "/second");
  EXPECT_EQ(got[1].body, "");
  EXPECT_EQ(got[1].x_test, "two");
}

TEST(HttpClient, RetriesOnAFreshConnectionWhenTheIdleOneWasClosed) {
  // The server answers one request per connection, keep-alive, then closes.
  LoopbackServer server({1, 1});
  net::HttpClient client(LoopbackOptions(server.port()));

  auto r1 = net::SendAndWait(client, MakeRequest("GET", "/a", "", "one"));
  ASSERT_TRUE(r1.ok()) << r1.status().message();
  EXPECT_EQ(r1.value().body, "connection 1 request 1");
  ASSERT_TRUE(server.WaitClosed(1));  // the client's idle connection is now dead

  const auto start = std::chrono::steady_clock::now();
  auto r2 = SendWithin(client, MakeRequest("GET", "/b", "", "two"), std::chrono::seconds(2));
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_EQ(r2.value().status, 201);
  EXPECT_EQ(r2.value().body, "connection 2 request 1");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));

  ASSERT_TRUE(server.WaitClosed(2));
  EXPECT_EQ(server.accepted(), 2);
  auto got = server.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].target, "/b");
  EXPECT_EQ(got[1].connection, 2);
}

TEST(HttpClient, ClosedPortIsUnavailableQuickly) {
  unsigned short port;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  net::HttpClient client(LoopbackOptions(port));
  const auto start = std::chrono::steady_clock::now();
  auto r = net::SendAndWait(client, MakeRequest("GET", "/", "", "x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_FALSE(r.status().message().empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
}

TEST(HttpClient, ServerThatClosesWithoutAnswerOnAFreshConnectionIsUnavailable) {
  // A fresh connection that fails is not retried: one accept, no answer.
  LoopbackServer server({0});
  net::HttpClient client(LoopbackOptions(server.port()));
  auto r = SendWithin(client, MakeRequest("GET", "/", "", "x"), std::chrono::seconds(2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  ASSERT_TRUE(server.WaitClosed(1));
  EXPECT_EQ(server.accepted(), 1);
}

// ---- DynamoDB errors -----------------------------------------------------------

TEST(DynamoDbError, TypeAfterTheHashAndMessage) {
  auto e = aws::ParseDynamoDbError(
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"slow down"})");
  EXPECT_EQ(e.type, "ThrottlingException");
  EXPECT_EQ(e.message, "slow down");

  e = aws::ParseDynamoDbError(
      R"({"__type":"com.amazon.coral.validate#ValidationException","Message":"bad key"})");
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message, "bad key");

  e = aws::ParseDynamoDbError(R"({"__type":"ResourceNotFoundException"})");
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "");
}

TEST(DynamoDbError, NotAnErrorBodyGivesEmptyStrings) {
  for (const char* body : {"", "<html>502 Bad Gateway</html>", "{", "[1,2]", "{}",
                           R"({"__type":42,"message":7})", "null"}) {
    auto e = aws::ParseDynamoDbError(body);
    EXPECT_EQ(e.type, "") << body;
    EXPECT_EQ(e.message, "") << body;
  }
}

TEST(DynamoDbError, Retryable) {
  EXPECT_TRUE(aws::IsRetryable(500, ""));
  EXPECT_TRUE(aws::IsRetryable(503, ""));
  EXPECT_TRUE(aws::IsRetryable(500, "InternalServerError"));
  EXPECT_TRUE(aws::IsRetryable(400, "ProvisionedThroughputExceededException"));
  EXPECT_TRUE(aws::IsRetryable(400, "ThrottlingException"));
  EXPECT_TRUE(aws::IsRetryable(400, "RequestLimitExceeded"));

  EXPECT_FALSE(aws::IsRetryable(400, "ValidationException"));
  EXPECT_FALSE(aws::IsRetryable(400, "ResourceNotFoundException"));
  EXPECT_FALSE(aws::IsRetryable(400, "ConditionalCheckFailedException"));
  EXPECT_FALSE(aws::IsRetryable(400, "AccessDeniedException"));
  EXPECT_FALSE(aws::IsRetryable(403, ""));
  EXPECT_FALSE(aws::IsRetryable(404, ""));
  EXPECT_FALSE(aws::IsRetryable(400, ""));
  EXPECT_FALSE(aws::IsRetryable(200, ""));
}

}  // namespace
}  // namespace logsvc
