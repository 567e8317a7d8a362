// ReplyBudget: response bodies held for clients, bounded in total, a shared
// body counted once; and IdleConnections, the oldest-first list of idle ones.
#include "http/reply_budget.h"

#include <gtest/gtest.h>

#include <vector>

#include "http/idle_connections.h"

namespace logsvc::http {
namespace {

TEST(ReplyBudget, OwnedBodiesAddUpToTheLimit) {
  ReplyBudget budget(100);
  ReplyBudget::Claim a, b, c;
  EXPECT_TRUE(budget.TryClaim(60, &a));
  EXPECT_TRUE(budget.TryClaim(40, &b));
  EXPECT_EQ(budget.held(), 100u);
  EXPECT_FALSE(budget.TryClaim(1, &c));
  EXPECT_EQ(budget.held(), 100u);  // a refused claim holds nothing
  a.Release();
  EXPECT_EQ(budget.held(), 40u);
  EXPECT_TRUE(budget.TryClaim(60, &c));
}

TEST(ReplyBudget, OneReplyOfAnySizeWhenNothingIsHeld) {
  ReplyBudget budget(100);
  ReplyBudget::Claim big, small;
  EXPECT_TRUE(budget.TryClaim(1000, &big));
  EXPECT_FALSE(budget.TryClaim(1, &small));
  big = ReplyBudget::Claim();  // released by being replaced
  EXPECT_EQ(budget.held(), 0u);
  EXPECT_TRUE(budget.TryClaim(1, &small));
}

TEST(ReplyBudget, ASharedBodyCountsOnce) {
  ReplyBudget budget(100);
  auto body = std::make_shared<const std::string>(80, 'x');
  std::vector<ReplyBudget::Claim> claims(50);
  for (auto& claim : claims) EXPECT_TRUE(budget.TryClaim(body, &claim));
  EXPECT_EQ(budget.held(), 80u);
  // Another body does not fit beside it.
  ReplyBudget::Claim other;
  EXPECT_FALSE(budget.TryClaim(std::make_shared<const std::string>(30, 'y'), &other));
  for (size_t i = 0; i + 1 < claims.size(); ++i) claims[i].Release();
  EXPECT_EQ(budget.held(), 80u);  // one holder left
  claims.back().Release();
  EXPECT_EQ(budget.held(), 0u);
  EXPECT_TRUE(budget.TryClaim(std::make_shared<const std::string>(30, 'y'), &other));
}

TEST(ReplyBudget, ClaimAnywayGoesOverAndIsReleased) {
  ReplyBudget budget(10);
  ReplyBudget::Claim a, b;
  ASSERT_TRUE(budget.TryClaim(10, &a));
  budget.ClaimAnyway(5, &b);
  EXPECT_EQ(budget.held(), 15u);
  ReplyBudget::Claim moved(std::move(b));
  moved.Release();
  b.Release();  // moved from: holds nothing
  EXPECT_EQ(budget.held(), 10u);
}

struct FakeConnection final : IdleConnections::Node {
  void Evict() override { evicted = true; }
  bool evicted = false;
};

TEST(IdleConnections, EvictsTheOldestFirst) {
  IdleConnections idle;
  EXPECT_EQ(idle.oldest_since(), IdleConnections::kNone);
  EXPECT_FALSE(idle.EvictOldest());
  FakeConnection a, b, c;
  idle.Add(&a);
  const int64_t since_a = idle.oldest_since();
  EXPECT_NE(since_a, IdleConnections::kNone);
  idle.Add(&b);
  idle.Add(&c);
  EXPECT_EQ(idle.oldest_since(), since_a);
  idle.Remove(&a);  // got a request
  idle.Remove(&a);  // no-op
  EXPECT_GE(idle.oldest_since(), since_a);
  EXPECT_TRUE(idle.EvictOldest());
  EXPECT_TRUE(b.evicted);
  EXPECT_FALSE(a.evicted);
  EXPECT_FALSE(c.evicted);
  idle.Remove(&c);
  EXPECT_EQ(idle.oldest_since(), IdleConnections::kNone);
  EXPECT_FALSE(idle.EvictOldest());
  idle.Add(&a);  // listed again after its request
  EXPECT_TRUE(idle.EvictOldest());
  EXPECT_TRUE(a.evicted);
}

}  // namespace
}  // namespace logsvc::http
