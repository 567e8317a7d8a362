// Unit tests of the live tail's store side (LogStore::Follow): the RocksDB
// store's tail buffer and its reads by sequence number from memory and disk,
// and the follow-by-time polling of stores without an ingest order (DynamoDB),
// run here over the RocksDB store's Search.
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "core/datetime.h"
#include "store/follow_by_time.h"
#include "store/follow_reader.h"
#include "store/rocksdb_store.h"
#include "store/tail_buffer.h"
#include "store_sync.h"
#include "temp_dir.h"

namespace logsvc::store {
namespace {

using testing::AppendBatchSync;
using testing::AppendOk;
using testing::MakeEntry;
using testing::OpenOrDie;
using testing::Severities;
using testing::TempDir;

Result<FollowPage> FollowSync(LogStore& s, FollowQuery q) {
  std::promise<Result<FollowPage>> p;
  s.Follow(std::move(q), [&](Result<FollowPage> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

Result<FollowPage> FollowByTimeSync(LogStore& s, FollowQuery q, int64_t now_ms) {
  std::promise<Result<FollowPage>> p;
  FollowByTime(s, std::move(q), now_ms, [&](Result<FollowPage> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

// Follows from `position` until caught up: the ids, in order; *position
// ends where the last call stopped.
std::vector<std::string> FollowAll(LogStore& s, const Filter& filter, std::string* position,
                                   size_t limit = 1000, int* calls = nullptr) {
  std::vector<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    auto page = FollowSync(s, FollowQuery{filter, *position, limit});
    EXPECT_TRUE(page.ok()) << page.status().message();
    if (!page.ok()) break;
    EXPECT_EQ(page.value().entries.size(), page.value().entry_positions.size());
    for (const LogEntry& e : page.value().entries) ids.push_back(e.log_id);
    *position = page.value().position;
    if (calls) ++*calls;
    if (!page.value().more) break;
  }
  return ids;
}

std::vector<TailBuffer::Chunk> Chunks(const TailBuffer& b, uint64_t from, uint64_t end) {
  return b.Chunks(from, &end);
}

TEST(TailBuffer, KeepsWritesFromItsStartAndDropsTheOldestPastItsBound) {
  TailBuffer buffer(3 * EntryBytes(MakeEntry(1, "x")));
  buffer.Add(0, {MakeEntry(1, "x")});
  EXPECT_TRUE(Chunks(buffer, 0, 100).empty()) << "nothing is kept before Start";
  buffer.Start(10);
  buffer.Add(8, {MakeEntry(1, "x"), MakeEntry(1, "x")});  // numbered before the start
  buffer.Add(9, {MakeEntry(1, "x"), MakeEntry(1, "y")});  // only its second is kept...
  EXPECT_EQ(Chunks(buffer, 0, 100).size(), 1u);
  EXPECT_EQ(Chunks(buffer, 0, 100)[0].first, 10u);
  EXPECT_EQ((*Chunks(buffer, 0, 100)[0].entries)[0].message, "y");
  buffer.Start(10);  // ...and a Start begins again
  buffer.Add(12, {MakeEntry(1, "c")});
  buffer.Add(10, {MakeEntry(1, "a"), MakeEntry(1, "b")});  // written after 12: kept in order
  auto chunks = Chunks(buffer, 10, 13);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].first, 10u);
  EXPECT_EQ(chunks[1].first, 12u);
  EXPECT_EQ(Chunks(buffer, 11, 12).size(), 1u) << "the chunk holding 11";
  EXPECT_EQ(buffer.start(), 10u);
  buffer.Add(13, {MakeEntry(1, "d")});  // four entries: over the bound
  EXPECT_EQ(buffer.start(), 12u) << "the oldest write is dropped and the start moves past it";
  EXPECT_EQ(Chunks(buffer, 0, 100).front().first, 12u);
  buffer.Stop();
  EXPECT_FALSE(buffer.active());
  EXPECT_TRUE(Chunks(buffer, 0, 100).empty());
}

// The budget counts only the numbers asked for: a range starting late in a
// large chunk still takes the chunks after it, and says how far they go.
TEST(TailBuffer, ChunksStopAtTheBudgetAndSayWhatTheyCover) {
  TailBuffer buffer(size_t{64} << 20);
  buffer.Start(1000);
  buffer.Add(1000, std::vector<LogEntry>(4321, MakeEntry(1, "a")));
  buffer.Add(5321, std::vector<LogEntry>(79, MakeEntry(1, "b")));
  buffer.Add(5400, std::vector<LogEntry>(100, MakeEntry(1, "c")));
  uint64_t end = 5500;
  auto chunks = buffer.Chunks(5000, &end, 400);
  ASSERT_EQ(chunks.size(), 2u) << "321 numbers of the first chunk, then 79 of the second";
  EXPECT_EQ(end, 5400u);
  end = 5500;
  EXPECT_EQ(buffer.Chunks(5000, &end, 4096).size(), 3u);
  EXPECT_EQ(end, 5500u);
}

// A filtered follower walks a busy buffer in budget-sized calls, starting
// inside chunks: it gets every match once.
TEST(RocksDbFollow, AFilteredFollowerOfLargeBatchesMissesNothing) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  auto start = FollowSync(*store, FollowQuery{Filter(), "", 100});
  ASSERT_TRUE(start.ok());
  std::vector<std::string> errors;
  for (int b = 0; b < 10; ++b) {
    std::vector<LogEntry> batch;
    for (int i = 0; i < 3000 + 7 * b; ++i) {
      batch.push_back(
          MakeEntry(NowUnixMillis(), "m", i % 997 == 0 ? Severity::kError : Severity::kInfo));
    }
    auto r = AppendBatchSync(*store, std::move(batch));
    ASSERT_TRUE(r.ok());
    for (size_t i = 0; i < r.value().size(); i += 997) errors.push_back(r.value()[i]);
  }
  // Few matches: each call stops at the examine budget, somewhere in a chunk.
  std::string position = start.value().position;
  EXPECT_EQ(FollowAll(*store, Severities({Severity::kError}), &position), errors);
}

TEST(FollowPosition, RoundTripsAndRefusesOthers) {
  uint64_t n = 0;
  EXPECT_TRUE(ParseFollowPosition(FollowPosition(123456789), &n));
  EXPECT_EQ(n, 123456789u);
  EXPECT_FALSE(ParseFollowPosition("", &n));
  EXPECT_FALSE(ParseFollowPosition("f1234567", &n));
  EXPECT_FALSE(ParseFollowPosition("x" + FollowPosition(1).substr(1), &n));
}

TEST(RocksDbFollow, FromNowGivesEachNewMatchingEntryOnceInIngestOrder) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  AppendOk(*store, MakeEntry(NowUnixMillis(), "before the tail", Severity::kError));
  auto start = FollowSync(*store, FollowQuery{Filter(), "", 100});
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_TRUE(start.value().entries.empty()) << "from now: nothing stored before";
  std::vector<std::string> errors;
  const int64_t t = NowUnixMillis();
  errors.push_back(AppendOk(*store, MakeEntry(t + 50, "e1", Severity::kError)));
  AppendOk(*store, MakeEntry(t, "i1", Severity::kInfo));
  // A batch whose entries are stamped out of time order: the tail keeps the
  // order they came in, not their timestamps'.
  auto batch = AppendBatchSync(*store, {MakeEntry(t + 10, "e2", Severity::kError),
                                        MakeEntry(t - 1000, "w1", Severity::kWarning),
                                        MakeEntry(t - 2000, "e3", Severity::kError)});
  ASSERT_TRUE(batch.ok());
  errors.push_back(batch.value()[0]);
  errors.push_back(batch.value()[2]);

  std::string position = start.value().position;
  const Filter only_errors = Severities({Severity::kError});
  std::string from_start = position;
  EXPECT_EQ(FollowAll(*store, only_errors, &position), errors);
  std::string again = position;
  EXPECT_TRUE(FollowAll(*store, only_errors, &again).empty()) << "each entry once";

  // Any entry's position resumes just after it.
  auto first = FollowSync(*store, FollowQuery{only_errors, from_start, 1});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first.value().entries.size(), 1u);
  EXPECT_TRUE(first.value().more) << "stopped at the limit";
  std::string resume = first.value().entry_positions[0];
  EXPECT_EQ(FollowAll(*store, only_errors, &resume),
            std::vector<std::string>(errors.begin() + 1, errors.end()));

  EXPECT_EQ(FollowSync(*store, FollowQuery{Filter(), "garbage", 10}).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(RocksDbFollow, AfterAReopenReadsTheDiskAcrossSegmentsWithoutGapsOrRepeats) {
  TempDir dir;
  std::string position;
  std::vector<std::string> ids;
  constexpr int kBatches = 8, kPerBatch = 10000;  // 80,000: two segments of 65,536
  {
    auto store = OpenOrDie({.path = dir.path()});
    auto start = FollowSync(*store, FollowQuery{Filter(), "", 100});
    ASSERT_TRUE(start.ok());
    position = start.value().position;
    const int64_t t = NowUnixMillis();
    for (int b = 0; b < kBatches; ++b) {
      std::vector<LogEntry> batch;
      for (int i = 0; i < kPerBatch; ++i) {
        batch.push_back(MakeEntry(t + (i % 7), "m" + std::to_string(b * kPerBatch + i),
                                  i % 10 == 0 ? Severity::kError : Severity::kInfo));
      }
      auto r = AppendBatchSync(*store, std::move(batch));
      ASSERT_TRUE(r.ok()) << r.status().message();
      for (size_t i = 0; i < r.value().size(); i += 10) ids.push_back(r.value()[i]);
    }
  }
  // Nothing in memory now: every entry comes from the times pages and entries.
  auto store = OpenOrDie({.path = dir.path()});
  int calls = 0;
  EXPECT_EQ(FollowAll(*store, Severities({Severity::kError}), &position, 1000, &calls), ids);
  EXPECT_GE(calls, kBatches * kPerBatch / static_cast<int>(kFollowExamineBudget))
      << "each call examines a bounded number of entries";
  // Caught up: entries written now come from memory, after those.
  const std::string next = AppendOk(*store, MakeEntry(NowUnixMillis(), "new", Severity::kError));
  EXPECT_EQ(FollowAll(*store, Severities({Severity::kError}), &position),
            std::vector<std::string>{next});
}

TEST(RocksDbFollow, AFollowerBehindTheBufferReadsTheDisk) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  auto start = FollowSync(*store, FollowQuery{Filter(), "", 100});
  ASSERT_TRUE(start.ok());
  std::string position = start.value().position;
  // 96 MB of messages through a 64 MiB buffer: the first writes are dropped
  // from memory before the follower reads them.
  std::vector<std::string> ids;
  const std::string big(9000, 'x');
  for (int b = 0; b < 12; ++b) {
    std::vector<LogEntry> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(MakeEntry(NowUnixMillis(), big));
    auto r = AppendBatchSync(*store, std::move(batch));
    ASSERT_TRUE(r.ok()) << r.status().message();
    ids.insert(ids.end(), r.value().begin(), r.value().end());
  }
  EXPECT_EQ(FollowAll(*store, Filter(), &position), ids);
}

TEST(FollowByTime, SendsWhatWasStampedInEachSettledRangeOnceAndResumesFromAnyEntry) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  const int64_t t0 = 1'700'000'000'000;
  auto start = FollowByTimeSync(*store, FollowQuery{Filter(), "", 100}, t0);
  ASSERT_TRUE(start.ok()) << start.status().message();
  EXPECT_TRUE(start.value().entries.empty());
  std::vector<std::string> ids;
  // Stamped from now on (the settle delay back), five in one millisecond.
  for (int i = 0; i < 5; ++i) {
    ids.push_back(AppendOk(*store, MakeEntry(t0 - kFollowSettleMs + 10, "same ms")));
  }
  for (int i = 0; i < 5; ++i) {
    ids.push_back(AppendOk(*store, MakeEntry(t0 - kFollowSettleMs + 20 + i, "later")));
  }
  AppendOk(*store, MakeEntry(t0 - kFollowSettleMs - 1, "stamped before the tail began"));
  // Before the settle delay has passed nothing is sent.
  auto early = FollowByTimeSync(*store, FollowQuery{Filter(), start.value().position, 100}, t0 + 5);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early.value().entries.empty());
  // Then all, 3 a call, each once, oldest first.
  std::string position = early.value().position;
  std::vector<std::string> got, positions;
  for (int i = 0; i < 20; ++i) {
    auto page = FollowByTimeSync(*store, FollowQuery{Filter(), position, 3}, t0 + 1000);
    ASSERT_TRUE(page.ok()) << page.status().message();
    EXPECT_LE(page.value().entries.size(), 3u);
    for (size_t j = 0; j < page.value().entries.size(); ++j) {
      got.push_back(page.value().entries[j].log_id);
      positions.push_back(page.value().entry_positions[j]);
    }
    position = page.value().position;
    if (!page.value().more) break;
  }
  ASSERT_EQ(got.size(), ids.size());
  EXPECT_EQ(std::set<std::string>(got.begin(), got.begin() + 5),
            std::set<std::string>(ids.begin(), ids.begin() + 5));
  EXPECT_EQ(std::vector<std::string>(got.begin() + 5, got.end()),
            std::vector<std::string>(ids.begin() + 5, ids.end()));
  // Resuming from the third entry's position gives the rest, once.
  std::vector<std::string> rest;
  std::string from = positions[2];
  for (int i = 0; i < 20; ++i) {
    auto page = FollowByTimeSync(*store, FollowQuery{Filter(), from, 100}, t0 + 1000);
    ASSERT_TRUE(page.ok());
    for (const LogEntry& e : page.value().entries) rest.push_back(e.log_id);
    from = page.value().position;
    if (!page.value().more) break;
  }
  EXPECT_EQ(rest, std::vector<std::string>(got.begin() + 3, got.end()));
  EXPECT_EQ(FollowByTimeSync(*store, FollowQuery{Filter(), "d1:x", 10}, t0).status().code(),
            Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace logsvc::store
