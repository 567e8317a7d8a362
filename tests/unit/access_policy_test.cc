// Unit tests of src/api/access_policy.h and content_coding.h: which Host
// and Origin headers a server answers, and which bodies it takes.
#include "api/access_policy.h"

#include <gtest/gtest.h>

#include <vector>

#include "api/content_coding.h"

namespace logsvc::api {
namespace {

HostPolicy Hosts(std::string_view listen, std::string_view allowed) {
  auto p = HostPolicy::ForServer(listen, allowed);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? p.value() : HostPolicy::AnyHost();
}

CorsPolicy Origins(std::string_view list) {
  auto p = CorsPolicy::Parse(list);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? p.value() : CorsPolicy::SameOriginOnly();
}

Access Check(const AccessPolicy& policy, std::vector<HeaderField> fields,
             std::string_view method = "GET") {
  return policy.Check(method, RequestHeaders(fields));
}

TEST(HostPolicy, LoopbackServerAnswersAddressesLocalhostAndItsListenHostOnly) {
  HostPolicy p = Hosts("127.0.0.1", "");
  for (std::string_view host :
       {"127.0.0.1", "127.0.0.1:8080", "localhost", "localhost:8080", "LOCALHOST:9999",
        "localhost.:8080", "[::1]", "[::1]:8080", "10.1.2.3:80", "[2001:db8::1]:8080", ""}) {
    EXPECT_TRUE(p.Allows(host)) << host;
  }
  for (std::string_view host :
       {"attacker.example", "attacker.example:8080", "localhost.attacker.example",
        "127.0.0.1.attacker.example", "1.2.3.4.5", "1.2.3", "1.2.3.256", "1..2.3", "1.2.3.1000",
        "[::1", "[localhost]:80", "::1", "localhost:80x", "localhost:99999", "local host",
        ":8080"}) {
    EXPECT_FALSE(p.Allows(host)) << host;
  }
  EXPECT_EQ(p.Describe(), "IP addresses,localhost");
}

TEST(HostPolicy, ListenNameAndAllowedHostsAddNames) {
  HostPolicy p = Hosts("Logs.Internal", " logs.example.com, Other.Example. ,,");
  for (std::string_view host : {"logs.internal:8080", "LOGS.EXAMPLE.COM", "other.example:1",
                                "localhost", "192.168.1.5:8080"}) {
    EXPECT_TRUE(p.Allows(host)) << host;
  }
  EXPECT_FALSE(p.Allows("example.com"));
  EXPECT_FALSE(p.Allows("sub.logs.example.com"));
  EXPECT_EQ(p.Describe(), "IP addresses,localhost,logs.example.com,other.example,logs.internal");
}

TEST(HostPolicy, WildcardListenAnswersAnyHostUnlessNamesAreGiven) {
  for (std::string_view wildcard : {"0.0.0.0", "::", "0:0::0"}) {
    HostPolicy any = Hosts(wildcard, "");
    EXPECT_TRUE(any.Allows("attacker.example")) << wildcard;
    EXPECT_EQ(any.Describe(), "*");
    HostPolicy named = Hosts(wildcard, "logs.example.com");
    EXPECT_TRUE(named.Allows("logs.example.com:8080"));
    EXPECT_TRUE(named.Allows("192.168.1.5:8080"));
    EXPECT_FALSE(named.Allows("attacker.example")) << wildcard;
  }
  EXPECT_TRUE(Hosts("127.0.0.1", "*").Allows("attacker.example"));
  EXPECT_TRUE(HostPolicy::AnyHost().Allows("anything at all"));
}

TEST(HostPolicy, RefusesEntriesThatAreNotHostNames) {
  for (std::string_view bad : {"logs.example.com:8080", "http://logs.example.com", "a/b",
                               "bad name", "*,logs.example.com", "[::1"}) {
    auto p = HostPolicy::ForServer("127.0.0.1", bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("--allowed-hosts"), std::string::npos);
  }
  EXPECT_NE(HostPolicy::ForServer("127.0.0.1", "ok.example,x:1").status().message().find("'x:1'"),
            std::string::npos);
}

TEST(CorsPolicy, ParsesAndNormalizesOrigins) {
  EXPECT_EQ(Origins("").Describe(), "");
  EXPECT_EQ(Origins(" * ").Describe(), "*");
  EXPECT_TRUE(Origins("*").any());
  CorsPolicy p = Origins(
      "HTTPS://App.Example.com/, http://localhost:3000,https://x.example:443, "
      "http://[::1]:80,http://a.example:8443");
  EXPECT_EQ(p.Describe(),
            "https://app.example.com,http://localhost:3000,https://x.example,http://[::1],"
            "http://a.example:8443");
  EXPECT_EQ(p.Find("https://app.example.com"), "https://app.example.com");
  EXPECT_EQ(p.Find("http://app.example.com"), "");
  EXPECT_EQ(p.Find("https://app.example.com:8443"), "");
  for (std::string_view bad :
       {"app.example.com", "ftp://app.example.com", "https://app.example.com/path",
        "https://user@app.example.com", "https://", "null", "https://a.example:0",
        "https://a.example:65536", "*,https://a.example", "https://a.example?x"}) {
    auto r = CorsPolicy::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--cors-origins"), std::string::npos);
  }
}

TEST(AccessPolicy, SameOriginOnlyRefusesForeignOriginsAndCrossSiteFetches) {
  AccessPolicy policy{.hosts = Hosts("127.0.0.1", ""), .cors = CorsPolicy::SameOriginOnly()};
  // curl and shippers: no Origin, no Sec-Fetch-*.
  Access a = Check(policy, {{"Host", "127.0.0.1:8080"}, {"Content-Type", "application/json"}});
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.allow_origin, "");
  // The server's own pages.
  EXPECT_EQ(Check(policy, {{"host", "localhost:8080"}, {"origin", "http://localhost:8080"}}).status,
            0);
  EXPECT_EQ(Check(policy, {{"Host", "127.0.0.1:8080"},
                           {"Origin", "HTTP://127.0.0.1:8080"},
                           {"Sec-Fetch-Site", "same-origin"}})
                .status,
            0);
  // Another port of the same host is another origin; so is https.
  for (std::string_view origin : {"http://127.0.0.1:3000", "https://127.0.0.1:8080",
                                  "http://localhost:8080", "null", "https://evil.example"}) {
    Access refused = Check(policy, {{"Host", "127.0.0.1:8080"}, {"Origin", origin}}, "POST");
    EXPECT_EQ(refused.status, 403) << origin;
    EXPECT_NE(refused.error.find("'" + std::string(origin) + "'"), std::string::npos);
    EXPECT_NE(refused.error.find("--cors-origins"), std::string::npos);
  }
  // No Host to compare with: an Origin cannot be same-origin.
  EXPECT_EQ(Check(policy, {{"Origin", "http://127.0.0.1:8080"}}).status, 403);
  EXPECT_EQ(Check(policy, {{"Origin", "http://a.example"}, {"Origin", "http://a.example"}}).status,
            403);
  // <img>, <script>: no Origin, but the browser says where it comes from.
  for (std::string_view site : {"cross-site", "same-site", "Cross-Site"}) {
    Access refused = Check(policy, {{"Host", "127.0.0.1:8080"},
                                    {"Sec-Fetch-Site", site},
                                    {"Sec-Fetch-Mode", "no-cors"},
                                    {"Sec-Fetch-Dest", "script"}});
    EXPECT_EQ(refused.status, 403) << site;
    EXPECT_NE(refused.error.find("Sec-Fetch-Site"), std::string::npos);
  }
  // A link the user follows is a navigation: the other site cannot read it.
  const std::vector<HeaderField> navigation = {{"Sec-Fetch-Site", "cross-site"},
                                               {"Sec-Fetch-Mode", "navigate"},
                                               {"Sec-Fetch-Dest", "document"}};
  EXPECT_EQ(Check(policy, navigation, "GET").status, 0);
  EXPECT_EQ(Check(policy, navigation, "POST").status, 403);
  EXPECT_EQ(Check(policy, {{"Sec-Fetch-Site", "cross-site"},
                           {"Sec-Fetch-Mode", "navigate"},
                           {"Sec-Fetch-Dest", "iframe"}})
                .status,
            403);
  for (std::string_view site : {"same-origin", "none"}) {
    EXPECT_EQ(Check(policy, {{"Sec-Fetch-Site", site}}).status, 0) << site;
  }
}

TEST(AccessPolicy, HostIsCheckedFirstAndEveryHostFieldCounts) {
  AccessPolicy policy{.hosts = Hosts("127.0.0.1", ""), .cors = CorsPolicy::AnyOrigin()};
  Access a = Check(policy, {{"Host", "attacker.example:8080"}, {"Origin", "https://x.example"}});
  EXPECT_EQ(a.status, 421);
  EXPECT_EQ(a.error,
            "This server does not answer to the Host 'attacker.example:8080'; add that name to "
            "--allowed-hosts to allow it.");
  EXPECT_EQ(Check(policy, {{"Host", "localhost"}, {"Host", "attacker.example"}}).status, 421);
  EXPECT_EQ(Check(policy, {}).status, 0) << "HTTP/1.0 without Host";
  std::string long_host(5000, 'a');
  Access cut = Check(policy, {{"Host", long_host}});
  EXPECT_EQ(cut.status, 421);
  EXPECT_LT(cut.error.size(), 250u) << "a client's value is cut in the sentence";
}

TEST(AccessPolicy, ListedAndAnyOrigins) {
  AccessPolicy listed{.cors = Origins("https://app.example,http://localhost:3000")};
  Access a = Check(listed, {{"Origin", "https://app.example"}, {"Sec-Fetch-Site", "cross-site"}});
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.allow_origin, "https://app.example");
  EXPECT_EQ(Check(listed, {{"Origin", "http://localhost:3000"}}).allow_origin,
            "http://localhost:3000");
  EXPECT_EQ(Check(listed, {{"Origin", "https://evil.example"}}).status, 403);
  EXPECT_EQ(Check(listed, {{"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Dest", "image"}}).status,
            403);

  AccessPolicy any{.cors = CorsPolicy::AnyOrigin()};
  for (std::vector<HeaderField> fields : std::vector<std::vector<HeaderField>>{
           {}, {{"Origin", "null"}}, {{"Sec-Fetch-Site", "cross-site"}}}) {
    Access r = Check(any, fields);
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.allow_origin, "*");
  }
}

TEST(ContentCoding, GzipZstdAndIdentityAreSupported) {
  auto unsupported = [](std::vector<HeaderField> fields) {
    return UnsupportedContentCoding(RequestHeaders(fields));
  };
  EXPECT_EQ(unsupported({}), std::nullopt);
  EXPECT_EQ(unsupported({{"Content-Encoding", "identity"}}), std::nullopt);
  EXPECT_EQ(unsupported({{"content-encoding", " IDENTITY , identity"}}), std::nullopt);
  EXPECT_EQ(unsupported({{"Content-Encoding", ""}}), std::nullopt);
  EXPECT_EQ(unsupported({{"Content-Encoding", "GZIP, x-gzip, Zstd"}}), std::nullopt);
  EXPECT_EQ(unsupported({{"Content-Encoding", "identity, br"}}), "br");
  EXPECT_EQ(unsupported({{"Content-Encoding", "gzip"}, {"CONTENT-ENCODING", "deflate, br"}}),
            "deflate");
}

TEST(RequestHeaders, LooksUpNamesInAnyLetterCase) {
  std::vector<HeaderField> fields = {{"Host", "a"}, {"X-Twice", "1"}, {"x-twice", "2"}};
  RequestHeaders headers(fields);
  EXPECT_EQ(headers.Get("host"), "a");
  EXPECT_EQ(headers.Get("X-TWICE"), "1");
  EXPECT_EQ(headers.Get("Origin"), std::nullopt);
  std::vector<std::string_view> seen;
  headers.ForEach("x-Twice", [&](std::string_view v) { seen.push_back(v); });
  EXPECT_EQ(seen, (std::vector<std::string_view>{"1", "2"}));
}

}  // namespace
}  // namespace logsvc::api
