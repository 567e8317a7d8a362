// API keys (src/api/api_keys.h): the keys file, finding a key, the ways a
// request presents one, new keys. The Api's 401 and 403: api_test.cc.
#include "api/api_keys.h"

#include <gtest/gtest.h>

#include <set>

#include "core/base64.h"
#include "key_lines.h"

namespace logsvc::api {
namespace {

using testing::KeyLine;

TEST(KeyRingTest, ParsesLinesCommentsAndBlankLines) {
  const std::string text = "# keys\n\n" + KeyLine("alpha", "scopes=ingest name=app1") + "  \t\n" +
                           KeyLine("beta", "\tscopes=read,admin  ") +
                           KeyLine("gamma", "name=x scopes=ingest,read,admin");
  auto ring = KeyRing::Parse(text);
  ASSERT_TRUE(ring.ok()) << ring.status().message();
  EXPECT_EQ(ring.value().size(), 3u);
  const ApiKey* alpha = ring.value().Find("alpha");
  ASSERT_NE(alpha, nullptr);
  EXPECT_EQ(alpha->scopes, unsigned{kScopeIngest});
  EXPECT_EQ(alpha->name, "app1");
  const ApiKey* beta = ring.value().Find("beta");
  ASSERT_NE(beta, nullptr);
  EXPECT_EQ(beta->scopes, unsigned{kScopeRead | kScopeAdmin});
  EXPECT_EQ(beta->name, "");
  EXPECT_EQ(ring.value().Find("gamma")->scopes, unsigned{kScopeIngest | kScopeRead | kScopeAdmin});
  EXPECT_EQ(ring.value().Find("delta"), nullptr);
  EXPECT_EQ(ring.value().Find(""), nullptr);
  EXPECT_EQ(ring.value().Find("alph"), nullptr);
  EXPECT_EQ(ring.value().Find(std::string(10000, 'a')), nullptr);
  // A hash that differs from the key's in any one digit is another key's.
  const std::string line = KeyLine("omega", "scopes=read");
  for (size_t i : {7u, 40u, 70u}) {
    std::string changed = line;
    changed[i] = changed[i] == '0' ? '1' : '0';
    EXPECT_EQ(KeyRing::Parse(changed).value().Find("omega"), nullptr) << changed;
  }
  EXPECT_NE(KeyRing::Parse(line).value().Find("omega"), nullptr);
  EXPECT_TRUE(KeyRing::Parse("").value().empty());
  EXPECT_TRUE(KeyRing::Parse("# nothing yet\n").value().empty());
}

TEST(KeyRingTest, RefusesMalformedLinesNamingThem) {
  const std::string good = KeyLine("alpha", "scopes=ingest");
  const std::pair<std::string, std::string> cases[] = {
      {"alpha scopes=ingest\n", "line 1: must begin with sha256:"},
      {good + "sha256:abcd scopes=read\n", "line 2: must begin with sha256:"},
      {good + KeyLine("beta", ""), "line 2: no scopes="},
      {KeyLine("beta", "scopes=write"), "unknown scope \"write\""},
      {KeyLine("beta", "scopes="), "unknown scope \"\""},
      {KeyLine("beta", "scopes=read,"), "unknown scope \"\""},
      {KeyLine("beta", "scopes=read name=a/b"), "name= takes"},
      {KeyLine("beta", "scopes=read rate=5"), "unknown or repeated field \"rate\" (field 3)"},
      {KeyLine("beta", "scopes=read scopes=ingest"), "unknown or repeated field"},
      {good + good, "line 2: the same key is listed twice"},
  };
  for (const auto& [text, error] : cases) {
    auto ring = KeyRing::Parse(text);
    ASSERT_FALSE(ring.ok()) << text;
    EXPECT_NE(ring.status().message().find(error), std::string::npos)
        << ring.status().message() << " / wanted: " << error;
  }
  // A key pasted where a field goes is not repeated in the error (it is logged).
  const std::string pasted =
      KeyLine("beta", "scopes=read lsk_AAAAsecretsecretsecretsecretsecretsecret");
  const Status pasted_error = KeyRing::Parse(pasted).status();
  EXPECT_EQ(pasted_error.message().find("secretsecret"), std::string::npos)
      << pasted_error.message();
  // Upper-case hex is a hash too.
  std::string upper = KeyLine("alpha", "scopes=read");
  for (size_t i = 7; i < 71; ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_NE(KeyRing::Parse(upper).value().Find("alpha"), nullptr);
}

TEST(PresentedSecretsTest, BearerBasicApiKeyAndXApiKey) {
  const auto secrets = [](std::vector<HeaderField> fields) {
    return PresentedSecrets(RequestHeaders(fields));
  };
  EXPECT_EQ(secrets({{"Authorization", "Bearer lsk_abc"}}), std::vector<std::string>{"lsk_abc"});
  EXPECT_EQ(secrets({{"authorization", "bearer   lsk_abc  "}}),
            std::vector<std::string>{"lsk_abc"});
  const std::string basic = "Basic " + base64::Encode("loki:lsk_abc", base64::Alphabet::kStandard);
  EXPECT_EQ(secrets({{"Authorization", basic}}), std::vector<std::string>{"lsk_abc"});
  // A password with a colon: the user name ends at the first one.
  EXPECT_EQ(
      secrets({{"Authorization", "Basic " + base64::Encode(":a:b", base64::Alphabet::kStandard)}}),
      std::vector<std::string>{"a:b"});
  EXPECT_TRUE(secrets({{"Authorization", "Basic !!!"}}).empty());
  EXPECT_TRUE(secrets({{"Authorization",
                        "Basic " + base64::Encode("nocolon", base64::Alphabet::kStandard)}})
                  .empty());
  const std::string es = base64::Encode("id1:lsk_abc", base64::Alphabet::kStandard);
  EXPECT_EQ(secrets({{"Authorization", "ApiKey " + es}}),
            (std::vector<std::string>{es, "lsk_abc"}));
  EXPECT_EQ(secrets({{"Authorization", "ApiKey lsk_abc"}}), std::vector<std::string>{"lsk_abc"});
  EXPECT_EQ(secrets({{"X-API-Key", "lsk_abc"}}), std::vector<std::string>{"lsk_abc"});
  EXPECT_EQ(secrets({{"Authorization", "Bearer one"}, {"X-Api-Key", "two"}}),
            (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(secrets({{"Authorization", "Digest x"}}).empty());
  EXPECT_TRUE(secrets({{"Authorization", "Bearer"}}).empty());
  EXPECT_TRUE(secrets({}).empty());
}

TEST(CreateKeyTest, RandomKeysWhoseLinesParse) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto key = CreateKey(kScopeIngest | kScopeRead, "app-1");
    ASSERT_TRUE(key.ok());
    const std::string& secret = key.value().secret;
    EXPECT_EQ(secret.size(), 4u + 43u);
    EXPECT_EQ(secret.substr(0, 4), "lsk_");
    EXPECT_TRUE(seen.insert(secret).second);
    EXPECT_EQ(key.value().line.find(secret), std::string::npos) << "the key itself is never stored";
    auto ring = KeyRing::Parse(key.value().line);
    ASSERT_TRUE(ring.ok()) << key.value().line;
    const ApiKey* found = ring.value().Find(secret);
    ASSERT_NE(found, nullptr);
    EXPECT_EQ(found->scopes, unsigned{kScopeIngest | kScopeRead});
    EXPECT_EQ(found->name, "app-1");
  }
  EXPECT_FALSE(CreateKey(0, "x").ok());
  EXPECT_FALSE(CreateKey(kScopeRead, "a b").ok());
  EXPECT_FALSE(CreateKey(kScopeRead, std::string(65, 'a')).ok());
  EXPECT_TRUE(CreateKey(kScopeAdmin, "").ok());
}

TEST(KeyRingTest, RateLimitsPerKey) {
  auto ring = KeyRing::Parse(KeyLine("a", "scopes=read requests-per-second=50") +
                             KeyLine("b",
                                     "scopes=read entries-per-second=20000 "
                                     "requests-per-second=7") +
                             KeyLine("c", "scopes=read"));
  ASSERT_TRUE(ring.ok()) << ring.status().message();
  EXPECT_EQ(ring.value().Find("a")->limits.requests_per_second, 50);
  EXPECT_EQ(ring.value().Find("a")->limits.entries_per_second, 0);
  EXPECT_EQ(ring.value().Find("b")->limits.requests_per_second, 7);
  EXPECT_EQ(ring.value().Find("b")->limits.entries_per_second, 20000);
  EXPECT_TRUE(ring.value().Find("c")->limits.none());
  for (const char* bad : {"requests-per-second=0", "requests-per-second=1.5",
                          "entries-per-second=-3", "entries-per-second=1000000001",
                          "requests-per-second=", "requests-per-second=5 requests-per-second=6"}) {
    EXPECT_FALSE(KeyRing::Parse(KeyLine("a", std::string("scopes=read ") + bad)).ok()) << bad;
  }
  auto key = CreateKey(kScopeIngest, "", RateLimits{10, 5000});
  ASSERT_TRUE(key.ok());
  EXPECT_NE(key.value().line.find("requests-per-second=10  entries-per-second=5000"),
            std::string::npos)
      << key.value().line;
  EXPECT_EQ(
      KeyRing::Parse(key.value().line).value().Find(key.value().secret)->limits.entries_per_second,
      5000);
  EXPECT_FALSE(CreateKey(kScopeIngest, "", RateLimits{0.5, 0}).ok());
}

// RateLimiter on a clock the test moves.
class RateLimiterTest : public ::testing::Test {
 protected:
  double now_ = 1000;
  RateLimiter limiter_{3, [this] { return now_; }};
};

TEST_F(RateLimiterTest, RequestsBucketHoldsOneSecondAndRefills) {
  const RateLimits limits{5, 0};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter_.TakeRequest("a", limits), 0) << i;
  EXPECT_NEAR(limiter_.TakeRequest("a", limits), 0.2, 1e-9);
  EXPECT_NEAR(limiter_.TakeRequest("a", limits), 0.2, 1e-9);  // refused requests take nothing
  EXPECT_EQ(limiter_.refused(), 2u);
  now_ += 0.2;
  EXPECT_EQ(limiter_.TakeRequest("a", limits), 0);
  EXPECT_GT(limiter_.TakeRequest("a", limits), 0);
  // Another subject has its own bucket.
  EXPECT_EQ(limiter_.TakeRequest("b", limits), 0);
  // Idle for long: back to a second's worth, never more.
  now_ += 60;
  int allowed = 0;
  while (limiter_.TakeRequest("a", limits) == 0) ++allowed;
  EXPECT_EQ(allowed, 5);
  // No limit: never refused, nothing kept.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter_.TakeRequest("a", RateLimits{}), 0);
}

TEST_F(RateLimiterTest, EntriesMayGoIntoDebtOnceThenWait) {
  const RateLimits limits{0, 100};
  EXPECT_EQ(limiter_.TakeEntries("a", limits, 250), 0);  // a batch larger than the burst
  const double wait = limiter_.TakeEntries("a", limits, 1);
  EXPECT_NEAR(wait, 1.51, 1e-9);  // the debt of 150, then one entry's worth
  now_ += 1.4;
  EXPECT_GT(limiter_.TakeEntries("a", limits, 1), 0);
  now_ += 0.2;
  EXPECT_EQ(limiter_.TakeEntries("a", limits, 1), 0);
  EXPECT_EQ(limiter_.TakeEntries("b", limits, 100), 0);
  EXPECT_GT(limiter_.TakeEntries("b", limits, 1), 0);
}

TEST_F(RateLimiterTest, MemoryIsBoundedWhateverTheNumberOfSubjects) {
  const RateLimits limits{1, 0};
  for (int i = 0; i < 1000; ++i) limiter_.TakeRequest("client-" + std::to_string(i), limits);
  EXPECT_EQ(limiter_.subjects(), 3u);
  // Past the bound new subjects share one bucket: the second is refused.
  now_ += 0.01;
  EXPECT_GT(limiter_.TakeRequest("client-1000", limits), 0);
  // Once the buckets have refilled, they are cleared for new subjects.
  now_ += 5;
  EXPECT_EQ(limiter_.TakeRequest("late-1", limits), 0);
  EXPECT_EQ(limiter_.TakeRequest("late-2", limits), 0);
  EXPECT_LE(limiter_.subjects(), 3u);
  EXPECT_GT(limiter_.TakeRequest("late-1", limits), 0);  // its own bucket again
}

}  // namespace
}  // namespace logsvc::api
