// Unit tests of src/store/dynamodb_position: the per-shard cursors of a
// DynamoDB search or stats walk, and their binary encoding.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/time_bound.h"
#include "core/uuid.h"
#include "store/dynamodb_position.h"

namespace logsvc::store::dynamodb {
namespace {

using State = ShardCursor::State;

constexpr int64_t kFrom = 1'700'000'000'000;
constexpr int64_t kTo = 1'800'000'000'000;

ShardCursor After(std::string id, int64_t ts) {
  return ShardCursor{State::kAfter, ItemKey{std::move(id), std::to_string(ts), ts}};
}

std::string Id(uint32_t seed) {
  std::mt19937 rng(seed);
  uuid::Bytes b;
  for (auto& byte : b) byte = static_cast<uint8_t>(rng());
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return uuid::Format(b);
}

Result<std::vector<ShardCursor>> Decode(std::string_view p, int shards,
                                        WalkKind kind = WalkKind::kSearch,
                                        Order order = Order::kDesc) {
  return DecodePosition(p, kind, order, shards, kFrom, kTo);
}

void ExpectRoundTrip(const std::vector<ShardCursor>& cursors, WalkKind kind, Order order) {
  const std::string p = EncodePosition(kind, order, cursors);
  ASSERT_FALSE(p.empty());
  auto back = Decode(p, static_cast<int>(cursors.size()), kind, order);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value(), cursors);
}

TEST(DynamoDbPosition, EmptyIsEveryShardNotStarted) {
  auto c = Decode("", 8);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.value().size(), 8u);
  for (const ShardCursor& s : c.value()) EXPECT_EQ(s.state, State::kNotStarted);
}

TEST(DynamoDbPosition, EveryShardExhaustedIsNoPosition) {
  EXPECT_EQ(EncodePosition(WalkKind::kSearch, Order::kDesc,
                           std::vector<ShardCursor>(8, ShardCursor{State::kExhausted, {}})),
            "");
}

TEST(DynamoDbPosition, RoundTripsEveryState) {
  std::vector<ShardCursor> cursors = {
      After(Id(1), kFrom + 5),
      ShardCursor{State::kNotStarted, {}},
      ShardCursor{State::kExhausted, {}},
      After(Id(2), kTo - 1),  // the last instant of the range
      After(Id(3), kFrom),    // the first
      After("not-a-uuid: any \xC3\xA9 string", kFrom + 1000),
      // An upper-case UUID is another DynamoDB key: kept as written.
      After("0B7E2A8C-4D1F-4F6E-9A3B-2C5D8E1F7A90", kFrom + 999),
      // Another writer's number, kept exactly.
      ShardCursor{State::kAfter, ItemKey{Id(4), "1750000000000.5", 1750000000000}},
      ShardCursor{State::kAfter, ItemKey{Id(5), "1.75E12", 1750000000000}},
  };
  for (WalkKind kind : {WalkKind::kSearch, WalkKind::kStats}) {
    for (Order order : {Order::kDesc, Order::kAsc}) ExpectRoundTrip(cursors, kind, order);
  }
}

TEST(DynamoDbPosition, SixtyFourShardsFitTheBound) {
  // The worst case: every shard after an item, timestamps far apart each way.
  std::vector<ShardCursor> cursors;
  for (int s = 0; s < 64; ++s) {
    cursors.push_back(After(Id(static_cast<uint32_t>(s)), s % 2 ? kTimeMaxMs - 1 : kTimeMinMs));
  }
  std::string p = EncodePosition(WalkKind::kSearch, Order::kDesc, cursors);
  EXPECT_LE(p.size(), kMaxUuidPositionBytes);
  EXPECT_LE(p.size(), 2048u);
  auto back = DecodePosition(p, WalkKind::kSearch, Order::kDesc, 64, kTimeMinMs, kTimeMaxMs);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value(), cursors);

  // Typical: shards stopped within a second of each other.
  cursors.clear();
  for (int s = 0; s < 64; ++s) {
    cursors.push_back(After(Id(static_cast<uint32_t>(s)), 1'750'000'000'000 + s * 13));
  }
  p = EncodePosition(WalkKind::kSearch, Order::kDesc, cursors);
  EXPECT_LE(p.size(), 3u + 64 * 20) << p.size();
  ExpectRoundTrip(cursors, WalkKind::kSearch, Order::kDesc);
}

TEST(DynamoDbPosition, AnotherShardCountIsASentence) {
  const std::string p =
      EncodePosition(WalkKind::kSearch, Order::kDesc, {After(Id(1), kFrom), After(Id(2), kFrom)});
  auto r = Decode(p, 8);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "The cursor does not fit this table's 8 index shards (it was made for 2); start "
            "again without it.");
}

TEST(DynamoDbPosition, AnotherKindOrOrderIsRefused) {
  const std::vector<ShardCursor> cursors = {After(Id(1), kFrom)};
  const std::string search = EncodePosition(WalkKind::kSearch, Order::kDesc, cursors);
  EXPECT_FALSE(Decode(search, 1, WalkKind::kStats, Order::kDesc).ok());
  EXPECT_FALSE(Decode(search, 1, WalkKind::kSearch, Order::kAsc).ok());
  EXPECT_TRUE(Decode(search, 1, WalkKind::kSearch, Order::kDesc).ok());
}

TEST(DynamoDbPosition, KeysOutsideTheRangeAreRefused) {
  // DynamoDB refuses an ExclusiveStartKey outside the key condition.
  for (int64_t ts : {kFrom - 1, kTo, kTo + 1, int64_t{0}}) {
    const std::string p = EncodePosition(WalkKind::kSearch, Order::kDesc, {After(Id(1), ts)});
    auto r = Decode(p, 1);
    ASSERT_FALSE(r.ok()) << ts;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  }
  // Another writer's fractions: by their whole millisecond, as the key condition.
  auto fraction = [](int64_t ms) {
    return EncodePosition(
        WalkKind::kSearch, Order::kDesc,
        {ShardCursor{State::kAfter, ItemKey{Id(1), std::to_string(ms) + ".5", ms}}});
  };
  EXPECT_TRUE(Decode(fraction(kTo - 1), 1).ok());
  EXPECT_TRUE(Decode(fraction(kFrom), 1).ok());
  EXPECT_FALSE(Decode(fraction(kTo), 1).ok());
  EXPECT_FALSE(Decode(fraction(kFrom - 1), 1).ok());
}

TEST(DynamoDbPosition, EveryTruncationAndExtensionIsRefused) {
  const std::string p = EncodePosition(
      WalkKind::kSearch, Order::kDesc,
      {After(Id(1), kFrom + 5), ShardCursor{State::kExhausted, {}}, After("short", kFrom + 7)});
  ASSERT_TRUE(Decode(p, 3).ok());
  for (size_t n = 1; n < p.size(); ++n) {
    auto r = Decode(p.substr(0, n), 3);
    EXPECT_FALSE(r.ok()) << n;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    }
  }
  EXPECT_FALSE(Decode(p + '\0', 3).ok());
}

TEST(DynamoDbPosition, MalformedBytesAreRefused) {
  using namespace std::string_literals;
  const std::string head = "\xA1\x00\x01"s;  // search, desc, one shard
  for (const std::string& p : {
           "\xA1\x00"s,                                                  // no shard count
           "\xA1\x00\x00"s,                                              // zero shards
           "\xA1\x00\x41\x00"s,                                          // 65 shards
           "\xA1\x02\x01\x00"s,                                          // no such order
           "\xA3\x00\x01\x00"s,                                          // no such kind
           head + "\x03"s,                                               // no such state
           head + "\x10"s,                                               // unknown tag bits
           head + "\x06"s,                                               // a flag on "exhausted"
           head + "\x01\x00"s,                                           // a zero-length id
           head + "\x01\x02\xff\xfe\x00"s,                               // an id that is not UTF-8
           head + "\x01\x01x\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s,  // over 64 bits
           head + "\x09\x01x\x03"s + "abc",            // a text timestamp, no number
           head + "\x09\x01x\x0d"s + "1750000000000",  // a plain integer as text
           head + "\x01\x01x\x00"s + "junk",           // bytes after the last shard
       }) {
    auto r = Decode(p, 1);
    EXPECT_FALSE(r.ok()) << testing::PrintToString(p);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    }
  }
  // The same bytes with a valid tail decode: the refusals above are each for its reason.
  EXPECT_FALSE(Decode(head + "\x01\x01x\x00"s, 1).ok());  // timestamp 0: outside the range
  EXPECT_TRUE(Decode(head + "\x02"s, 1).ok());
}

TEST(DynamoDbPosition, RandomBytesNeverCrashAndDecodeOnlyToValidCursors) {
  std::mt19937 rng(7);
  const std::string good = EncodePosition(WalkKind::kSearch, Order::kDesc,
                                          {After(Id(1), kFrom + 5), After("id-2", kFrom + 9)});
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p = good;
    // Flip a few bytes, or write random ones.
    if (i % 2) {
      for (int k = 0; k < 1 + i % 3; ++k) p[rng() % p.size()] = static_cast<char>(rng());
    } else {
      p.resize(rng() % 64);
      for (char& c : p) c = static_cast<char>(rng());
    }
    auto r = Decode(p, 2);
    if (!r.ok()) continue;
    ++accepted;
    for (const ShardCursor& c : r.value()) {
      if (c.state != State::kAfter) continue;
      EXPECT_FALSE(c.after.log_id.empty());
      EXPECT_GE(c.after.timestamp_ms, kFrom);
      EXPECT_LT(c.after.timestamp_ms, kTo);
    }
  }
  // Flips of an id's bytes or of a timestamp's low bits still decode, to
  // other keys of the range, which DynamoDB takes as starts too.
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace logsvc::store::dynamodb
