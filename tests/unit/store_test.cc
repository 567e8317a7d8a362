// Unit tests of src/store: the record format, the newest-N window, and the
// RocksDB store against a real RocksDB in a temporary directory.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "core/datetime.h"
#include "core/uuid.h"
#include "faulty_fs.h"
#include "store/entry_codec.h"
#include "store/recent_window.h"
#include "store/rocksdb_store.h"
#include "temp_dir.h"

namespace logsvc::store {
namespace {

using testing::TempDir;

LogEntry MakeEntry(int64_t ts, std::string message, Severity sev = Severity::kInfo) {
  return LogEntry{uuid::Format(uuid::NewV4()), ts, sev, std::move(message)};
}

// Synchronous wrappers over the callback API.
Status AppendSync(LogStore& s, LogEntry e) {
  std::promise<Status> p;
  s.Append(std::move(e), [&](Status st) { p.set_value(st); });
  return p.get_future().get();
}
std::vector<LogEntry> RecentSync(LogStore& s, size_t limit = kRecentLimit) {
  std::promise<Result<EntryList>> p;
  s.Recent(limit, [&](Result<EntryList> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r.value() : std::vector<LogEntry>{};
}
Result<LogEntry> GetSync(LogStore& s, const std::string& id) {
  std::promise<Result<LogEntry>> p;
  s.Get(id, [&](Result<LogEntry> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

std::unique_ptr<RocksDbStore> OpenOrDie(RocksDbStoreOptions opts) {
  auto r = RocksDbStore::Open(opts);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : nullptr;
}

// ---- record format ------------------------------------------------------------

TEST(EntryCodec, TimeKeysSortInTimeThenIngestOrder) {
  std::vector<TimeKey> keys = {
      {-5, 9}, {0, 0}, {0, 1}, {1, 0}, {1706356800000, 2}, {1706356800000, 3}, {1706356800001, 0}};
  for (size_t i = 1; i < keys.size(); ++i) {
    EXPECT_LT(EncodeTimeKey(keys[i - 1]), EncodeTimeKey(keys[i])) << i;
  }
  TimeKey back;
  ASSERT_TRUE(DecodeTimeKey(EncodeTimeKey({-5, 9}), &back));
  EXPECT_EQ(back.timestamp_ms, -5);
  EXPECT_EQ(back.seq, 9u);
}

TEST(EntryCodec, EntryRoundTrips) {
  LogEntry e =
      MakeEntry(1706356800000, std::string("multi\nline \0 bytes", 18), Severity::kWarning);
  auto id = uuid::Parse(e.log_id);
  std::string key = EncodeTimeKey({e.timestamp_ms, 7});
  auto back = DecodeEntry(key, EncodeEntry(*id, e));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value().log_id, e.log_id);
  EXPECT_EQ(back.value().timestamp_ms, e.timestamp_ms);
  EXPECT_EQ(back.value().severity, Severity::kWarning);
  EXPECT_EQ(back.value().message, e.message);
  EXPECT_FALSE(DecodeEntry(key, "short").ok());
  EXPECT_FALSE(DecodeEntry("bad key", EncodeEntry(*id, e)).ok());
}

// ---- window -------------------------------------------------------------------

TEST(RecentWindow, KeepsTheNewestInOrderEvenWhenTheClockStepsBack) {
  RecentWindow w(3);
  w.Insert({100, 0}, MakeEntry(100, "a"));
  w.Insert({200, 1}, MakeEntry(200, "b"));
  w.Insert({150, 2}, MakeEntry(150, "c"));  // clock stepped back
  w.Insert({200, 3}, MakeEntry(200, "d"));  // same ms as "b", ingested later
  w.Insert({50, 4}, MakeEntry(50, "too old"));
  auto got = w.Newest(10);
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].message, "d");
  EXPECT_EQ((*got)[1].message, "b");
  EXPECT_EQ((*got)[2].message, "c");
  EXPECT_EQ(w.Newest(1)->size(), 1u);
}

TEST(RecentWindow, SharesOneListUntilTheNextInsert) {
  RecentWindow w(3);
  w.Insert({100, 0}, MakeEntry(100, "a"));
  EntryList first = w.Newest(3);
  EXPECT_EQ(w.Newest(3), first) << "no change: the same list";
  w.Insert({50, 1}, MakeEntry(50, "b"));
  EntryList second = w.Newest(3);
  EXPECT_NE(second, first);
  EXPECT_EQ(first->size(), 1u) << "a list handed out never changes";
  EXPECT_EQ(second->size(), 2u);
}

// ---- RocksDB store --------------------------------------------------------------

TEST(RocksDbStore, AppendThenReadBack) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  LogEntry e = MakeEntry(NowUnixMillis(), "hello", Severity::kError);
  ASSERT_TRUE(AppendSync(*store, e).ok());

  auto recent = RecentSync(*store);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].log_id, e.log_id);
  EXPECT_EQ(recent[0].message, "hello");

  auto got = GetSync(*store, e.log_id);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got.value().timestamp_ms, e.timestamp_ms);
  EXPECT_EQ(got.value().severity, Severity::kError);

  std::string upper = e.log_id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(GetSync(*store, upper).ok()) << "ids match in either letter case";

  EXPECT_EQ(GetSync(*store, uuid::Format(uuid::NewV4())).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(GetSync(*store, "not-a-uuid").status().code(), Status::Code::kNotFound);
}

// More ids than the ids memtable (8 MiB, a hash memtable) holds: lookups must
// find ids in memtables and in the tables their flushes wrote, and after a
// reopen, which replays only what was not flushed.
TEST(RocksDbStore, IdsAreFoundAfterTheirMemtableFlushesAndAfterReopen) {
  TempDir dir;
  constexpr int kEntries = 200000, kChunk = 20000, kSampleEvery = 997;
  std::vector<std::string> sampled;
  {
    auto store = OpenOrDie({.path = dir.path()});
    ASSERT_TRUE(store);
    for (int start = 0; start < kEntries; start += kChunk) {
      std::atomic<int> ok{0}, done{0};
      std::promise<void> all;
      for (int i = start; i < start + kChunk; ++i) {
        LogEntry e = MakeEntry(1700000000000 + i, "entry " + std::to_string(i));
        if (i % kSampleEvery == 0) sampled.push_back(e.log_id);
        store->Append(std::move(e), [&](Status st) {
          if (st.ok()) ++ok;
          if (++done == kChunk) all.set_value();
        });
      }
      all.get_future().wait();
      ASSERT_EQ(ok.load(), kChunk);
    }
    // Flushes run in the background: wait (bounded) for the first table.
    auto tables = [&] {
      int n = 0;
      for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
        n += f.path().extension() == ".sst";
      }
      return n;
    };
    for (int i = 0; i < 600 && tables() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_GE(tables(), 1) << "the test must reach past the memtables";
    for (const auto& id : sampled) EXPECT_TRUE(GetSync(*store, id).ok()) << id;
  }
  auto store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  for (const auto& id : sampled) {
    auto got = GetSync(*store, id);
    ASSERT_TRUE(got.ok()) << id;
    EXPECT_EQ(got.value().log_id, id);
  }
  EXPECT_EQ(GetSync(*store, uuid::Format(uuid::NewV4())).status().code(), Status::Code::kNotFound);
}

TEST(RocksDbStore, RecentIsNewestFirstAndSameMillisecondKeepsIngestOrder) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  std::vector<std::string> ids;
  for (int i = 0; i < 150; ++i) {
    LogEntry e = MakeEntry(1000 + i / 10, "m" + std::to_string(i));  // 10 per millisecond
    ids.push_back(e.log_id);
    ASSERT_TRUE(AppendSync(*store, e).ok());
  }
  auto recent = RecentSync(*store);
  ASSERT_EQ(recent.size(), 100u);
  for (size_t i = 0; i < recent.size(); ++i) EXPECT_EQ(recent[i].log_id, ids[149 - i]) << i;
}

TEST(RocksDbStore, ReopenKeepsEntriesWindowAndOrder) {
  TempDir dir;
  std::vector<std::string> ids;
  {
    auto store = OpenOrDie({.path = dir.path()});
    for (int i = 0; i < 120; ++i) {
      LogEntry e = MakeEntry(5000, "x");  // all in one millisecond: order comes from the sequence
      ids.push_back(e.log_id);
      ASSERT_TRUE(AppendSync(*store, e).ok());
    }
  }
  auto store = OpenOrDie({.path = dir.path()});
  LogEntry later = MakeEntry(5000, "after restart");
  ASSERT_TRUE(AppendSync(*store, later).ok());
  auto recent = RecentSync(*store);
  ASSERT_EQ(recent.size(), 100u);
  EXPECT_EQ(recent[0].log_id, later.log_id) << "the sequence continues after a restart";
  for (size_t i = 1; i < recent.size(); ++i) EXPECT_EQ(recent[i].log_id, ids[120 - i]) << i;
  for (const auto& id : ids) EXPECT_TRUE(GetSync(*store, id).ok()) << id;
}

TEST(RocksDbStore, ConcurrentAppendsAreAllStoredOnce) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        LogEntry e = MakeEntry(NowUnixMillis(), "t" + std::to_string(t));
        ids[t].push_back(e.log_id);
        ASSERT_TRUE(AppendSync(*store, e).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& list : ids) {
    for (const auto& id : list) ASSERT_TRUE(GetSync(*store, id).ok()) << id;
  }
}

TEST(RocksDbStore, OpenFailsClearlyWhenTheDirectoryIsUnusable) {
  TempDir dir;
  auto first = OpenOrDie({.path = dir.path()});
  auto second = RocksDbStore::Open({.path = dir.path()});  // the LOCK is held
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(second.status().message().find(dir.path()), std::string::npos);
}

TEST(RocksDbStore, AppendAfterCloseIsUnavailable) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  store->Close();
  EXPECT_FALSE(store->Healthy());
  EXPECT_EQ(AppendSync(*store, MakeEntry(1, "x")).code(), Status::Code::kUnavailable);
}

TEST(RocksDbStore, DiskFailureIsUnavailableChangesNothingAndRecovers) {
  TempDir dir;
  auto fs = std::make_shared<testing::FaultyFileSystem>();
  auto env = rocksdb::NewCompositeEnv(fs);
  auto store = OpenOrDie({.path = dir.path(), .env = env.get()});
  LogEntry kept = MakeEntry(NowUnixMillis(), "before the failure");
  ASSERT_TRUE(AppendSync(*store, kept).ok());
  ASSERT_TRUE(store->Healthy());

  fs->SetFailing(true);
  LogEntry lost = MakeEntry(NowUnixMillis(), "during the failure");
  Status s = AppendSync(*store, lost);
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.message();
  EXPECT_FALSE(store->Healthy());
  EXPECT_EQ(GetSync(*store, lost.log_id).status().code(), Status::Code::kNotFound);
  auto recent = RecentSync(*store);
  ASSERT_EQ(recent.size(), 1u) << "a failed write must not show up";
  EXPECT_EQ(recent[0].log_id, kept.log_id);

  fs->SetFailing(false);
  // The writer resumes RocksDB by itself within about a second.
  for (int i = 0; i < 50 && !store->Healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(store->Healthy());
  LogEntry after = MakeEntry(NowUnixMillis(), "after recovery");
  ASSERT_TRUE(AppendSync(*store, after).ok());
  EXPECT_TRUE(GetSync(*store, after.log_id).ok());
}

}  // namespace
}  // namespace logsvc::store
