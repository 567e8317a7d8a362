// Unit tests of src/store: the record format, the newest-N window, and the
// RocksDB store against a real RocksDB in a temporary directory.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <bit>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "core/datetime.h"
#include "core/uuid.h"
#include "faulty_fs.h"
#include "store/entry_codec.h"
#include "store/id_codec.h"
#include "store/recent_window.h"
#include "store/rocksdb_store.h"
#include "store_sync.h"
#include "temp_dir.h"

namespace logsvc::store {
namespace {

using testing::AppendBatchSync;
using testing::AppendOk;
using testing::AppendSync;
using testing::GetSync;
using testing::MakeEntry;
using testing::OpenOrDie;
using testing::TempDir;

std::vector<LogEntry> RecentSync(LogStore& s, size_t limit = kRecentLimit) {
  // GET /logs: the default query's first page.
  std::promise<Result<SearchPage>> p;
  StoreQuery newest;
  newest.limit = limit;
  s.Search(newest, [&](Result<SearchPage> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r.value().entries : std::vector<LogEntry>{};
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

// A format 1 record (written by versions before 2026-12-01): the id stored.
std::string EncodeEntryV1(const LogEntry& e) {
  auto id = uuid::Parse(e.log_id);
  return std::string(1, '\1') + std::string(reinterpret_cast<const char*>(id->data()), 16) +
         static_cast<char>(e.severity) + e.message;
}

TEST(EntryCodec, EntryRoundTrips) {
  LogEntry e =
      MakeEntry(1706356800000, std::string("multi\nline \0 bytes", 18), Severity::kWarning);
  std::string key = EncodeTimeKey({e.timestamp_ms, 7});
  auto v1 = DecodeEntry(key, EncodeEntryV1(e));
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1.value().log_id, e.log_id);
  EXPECT_EQ(v1.value().message, e.message);
  auto back = DecodeEntry(key, EncodeEntry(e));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value().log_id, "");  // made from the key by the store
  EXPECT_EQ(back.value().timestamp_ms, e.timestamp_ms);
  EXPECT_EQ(back.value().severity, Severity::kWarning);
  EXPECT_EQ(back.value().message, e.message);
  EXPECT_FALSE(DecodeEntry(key, "short").ok());
  EXPECT_FALSE(DecodeEntry("bad key", EncodeEntry(e)).ok());
  EXPECT_FALSE(DecodeEntry(key, std::string("\2\7x", 3)).ok());  // no such severity
}

TEST(EntryCodec, AttributesAndTheNewSeveritiesRoundTrip) {
  LogEntry e = MakeEntry(1706356800000, "with attributes", Severity::kFatal);
  e.attributes = {{"empty", ""}, {"service.name", "checkout"}, {"z", std::string("a\0b", 3)}};
  const std::string key = EncodeTimeKey({e.timestamp_ms, 9});
  const std::string bytes = EncodeEntry(e);
  EXPECT_EQ(bytes[0], '\3');  // format 3: only entries with attributes
  auto back = DecodeEntry(key, bytes);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value().severity, Severity::kFatal);
  EXPECT_EQ(back.value().message, e.message);
  EXPECT_EQ(back.value().attributes, e.attributes);
  // Cut anywhere, or lengthened, it is corrupt rather than another entry.
  for (size_t n = 1; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeEntry(key, bytes.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeEntry(key, bytes + "x").ok());
  for (Severity s : kSeveritiesByRank) {
    LogEntry plain = MakeEntry(1, "m", s);
    EXPECT_EQ(EncodeEntry(plain)[0], '\2');
    auto p = DecodeEntry(EncodeTimeKey({1, 1}), EncodeEntry(plain));
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p.value().severity, s);
    EXPECT_TRUE(p.value().attributes.empty());
  }
}

// ---- ids -------------------------------------------------------------------------

IdCodec TestCodec(uint8_t seed) {
  IdCodec::Key key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed + i * 7);
  auto codec = IdCodec::Create(key);
  EXPECT_TRUE(codec.ok());
  return std::move(codec).value();
}

TEST(IdCodec, IdsAreUuidV4sThatDecodeToTheirKey) {
  const IdCodec codec = TestCodec(1);
  const TimeKey keys[] = {{0, 0},
                          {1706356800000, 1},
                          {1706356800000, uint64_t{1} << 40},
                          {(int64_t{1} << 58) - 1, ~uint64_t{0}}};
  for (const TimeKey& k : keys) {
    auto id = codec.Encode(k);
    ASSERT_TRUE(id) << k.timestamp_ms;
    EXPECT_EQ((*id)[6] >> 4, 4) << "version 4";
    EXPECT_EQ((*id)[8] >> 6, 2) << "variant 10";
    TimeKey back = codec.Decode(*id);
    EXPECT_EQ(back.timestamp_ms, k.timestamp_ms);
    EXPECT_EQ(back.seq, k.seq);
  }
  EXPECT_FALSE(codec.Encode({-1, 0})) << "before 1970";
  EXPECT_FALSE(codec.Encode({int64_t{1} << 58, 0}));
}

// A batch's ids (IdCodec::EncodeMany) are each key's own id; a key before
// 1970 among them gets none and leaves the others alone.
TEST(IdCodec, EncodeManyGivesEachKeyItsOwnId) {
  const IdCodec codec = TestCodec(3);
  std::vector<TimeKey> keys;
  for (uint64_t i = 0; i < 500; ++i) keys.push_back({1706356800000 + int64_t(i % 7), i << 3});
  keys[123] = {-1, 5};
  const auto ids = codec.EncodeMany(keys);
  ASSERT_EQ(ids.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto one = codec.Encode(keys[i]);
    ASSERT_EQ(ids[i].has_value(), one.has_value()) << i;
    if (!one) continue;
    EXPECT_EQ(*ids[i], *one) << i;
    const TimeKey back = codec.Decode(*ids[i]);
    EXPECT_EQ(back.timestamp_ms, keys[i].timestamp_ms) << i;
    EXPECT_EQ(back.seq, keys[i].seq) << i;
  }
  EXPECT_FALSE(ids[123]);
}

// Consecutive keys must give unrelated ids: about half of the 122 free bits
// differ, none of the structure of the keys shows. (Without the encryption,
// keys one apart differ in a bit or two.)
TEST(IdCodec, IdsOfConsecutiveKeysLookUnrelated) {
  const IdCodec codec = TestCodec(2);
  constexpr int kPairs = 2000;
  double total = 0;
  std::set<uuid::Bytes> seen;
  uuid::Bytes previous = *codec.Encode({1706356800000, 0});
  for (int i = 1; i <= kPairs; ++i) {
    uuid::Bytes id = *codec.Encode({1706356800000 + i / 100, static_cast<uint64_t>(i)});
    int differing = 0;
    for (size_t k = 0; k < id.size(); ++k) differing += std::popcount(uint8_t(id[k] ^ previous[k]));
    total += differing;
    seen.insert(id);
    previous = id;
  }
  EXPECT_NEAR(total / kPairs, 61.0, 1.5) << "mean differing bits of 122";
  EXPECT_EQ(seen.size(), size_t{kPairs});
  EXPECT_NE(*TestCodec(3).Encode({5, 5}), *codec.Encode({5, 5})) << "the key matters";
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
  const std::string id = AppendOk(*store, e);
  ASSERT_NE(id, "");
  EXPECT_NE(id, e.log_id) << "the store chooses the id";
  auto parsed = uuid::Parse(id);
  ASSERT_TRUE(parsed);
  EXPECT_EQ((*parsed)[6] >> 4, 4) << "a UUID v4";
  EXPECT_EQ((*parsed)[8] >> 6, 2) << "variant 10";

  auto recent = RecentSync(*store);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].log_id, id);
  EXPECT_EQ(recent[0].message, "hello");

  auto got = GetSync(*store, id);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_EQ(got.value().log_id, id);
  EXPECT_EQ(got.value().timestamp_ms, e.timestamp_ms);
  EXPECT_EQ(got.value().severity, Severity::kError);

  std::string upper = id;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(GetSync(*store, upper).ok()) << "ids match in either letter case";

  EXPECT_EQ(GetSync(*store, uuid::Format(uuid::NewV4())).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(GetSync(*store, "not-a-uuid").status().code(), Status::Code::kNotFound);
}

// Each data dir has its own id key: the same first entry (same millisecond,
// same sequence number) gets a different id in another store.
TEST(RocksDbStore, EachDataDirHasItsOwnIdKey) {
  TempDir a, b;
  auto first = OpenOrDie({.path = a.path()});
  auto second = OpenOrDie({.path = b.path()});
  ASSERT_TRUE(first && second);
  const std::string id_a = AppendOk(*first, MakeEntry(1706356800000, "same"));
  const std::string id_b = AppendOk(*second, MakeEntry(1706356800000, "same"));
  EXPECT_NE(id_a, id_b);
  EXPECT_EQ(GetSync(*second, id_a).status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(GetSync(*first, id_a).ok());
}

// Data dirs written before ids were encrypted keys hold random ids and an
// "ids" family mapping them to keys; those entries must stay readable.
// Development versions kept an "ids" family (UUID -> key) before log ids
// became encrypted keys; a data dir that still has one opens, and loses it.
TEST(RocksDbStore, TheRetiredIdsFamilyIsDroppedAtOpen) {
  TempDir dir;
  const LogEntry old = MakeEntry(1706356800000, "written by an older version", Severity::kWarning);
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
        {rocksdb::kDefaultColumnFamilyName, {}}, {"entries", {}}, {"ids", {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), cfs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    auto id = uuid::Parse(old.log_id);
    const std::string key = EncodeTimeKey({old.timestamp_ms, 7});
    ASSERT_TRUE(db->Put({}, handles[1], key, EncodeEntryV1(old)).ok());
    ASSERT_TRUE(db->Put({}, handles[2],
                        rocksdb::Slice(reinterpret_cast<const char*>(id->data()), id->size()), key)
                    .ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  {
    auto store = OpenOrDie({.path = dir.path()});
    ASSERT_TRUE(store);
    const std::string fresh = AppendOk(*store, MakeEntry(1706356800001, "new"));
    EXPECT_TRUE(GetSync(*store, fresh).ok());
    auto recent = RecentSync(*store);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[1].message, old.message);
  }
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir.path(), &families).ok());
  EXPECT_EQ(std::count(families.begin(), families.end(), "ids"), 0);
  EXPECT_EQ(std::count(families.begin(), families.end(), "entries"), 1);
  auto reopened = OpenOrDie({.path = dir.path()});
  EXPECT_EQ(RecentSync(*reopened).size(), 2u);
}

// More entries than a memtable holds: ids must lead to entries in memtables and
// in the tables their flushes wrote, and after a reopen (the id key persists).
TEST(RocksDbStore, IdsAreFoundAfterTheirMemtableFlushesAndAfterReopen) {
  TempDir dir;
  constexpr int kEntries = 200000, kChunk = 20000, kSampleEvery = 997;
  std::mutex sampled_mu;
  std::vector<std::string> sampled;
  {
    auto store = OpenOrDie({.path = dir.path()});
    ASSERT_TRUE(store);
    for (int start = 0; start < kEntries; start += kChunk) {
      std::atomic<int> ok{0}, done{0};
      std::promise<void> all;
      for (int i = start; i < start + kChunk; ++i) {
        // Messages long enough that the entries' memtable (32 MiB) flushes.
        LogEntry e = MakeEntry(1700000000000 + i, std::string(200, 'x') + std::to_string(i));
        store->Append(std::move(e), [&, i](Result<std::string> id) {
          if (id.ok()) {
            ++ok;
            if (i % kSampleEvery == 0) {
              std::lock_guard lock(sampled_mu);
              sampled.push_back(id.value());
            }
          }
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

// A store at rest keeps its data once: after idle_flush_after without a
// write, the memtables go to table files and the logs that held them go away.
TEST(RocksDbStore, AnIdleStoreFlushesItsMemtablesAndDropsTheirLogs) {
  auto files = [](const std::string& path, const char* ext) {
    std::set<std::string> out;
    for (const auto& f : std::filesystem::directory_iterator(path)) {
      if (f.path().extension() == ext) out.insert(f.path().filename());
    }
    return out;
  };
  auto fill = [](RocksDbStore& store) {
    std::vector<LogEntry> batch;
    for (int i = 0; i < 1000; ++i)
      batch.push_back(MakeEntry(1700000000000 + i, "idle " + std::to_string(i)));
    auto ids = AppendBatchSync(store, std::move(batch));
    EXPECT_TRUE(ids.ok());
    return ids.ok() ? ids.value() : std::vector<std::string>{};
  };
  // Whether the logs of `before` are all gone and a table file was added.
  auto flushed = [&](const std::string& path, const std::set<std::string>& logs_before,
                     size_t tables_before) {
    const auto logs = files(path, ".log");
    return files(path, ".sst").size() > tables_before &&
           std::none_of(logs_before.begin(), logs_before.end(),
                        [&](const std::string& l) { return logs.count(l) > 0; });
  };
  for (const auto& [name, after, min_bytes] :
       std::vector<std::tuple<std::string, std::chrono::milliseconds, uint64_t>>{
           {"not idle long enough", std::chrono::hours(1), 0},
           {"too little in memory to be worth a new log", std::chrono::milliseconds(200),
            8 << 20}}) {
    SCOPED_TRACE(name);  // nothing is flushed
    TempDir dir;
    auto store = OpenOrDie(
        {.path = dir.path(), .idle_flush_after = after, .idle_flush_min_bytes = min_bytes});
    ASSERT_TRUE(store);
    const size_t tables = files(dir.path(), ".sst").size();
    fill(*store);
    const auto logs = files(dir.path(), ".log");
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    EXPECT_FALSE(flushed(dir.path(), logs, tables));
  }
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path(),
                          .idle_flush_after = std::chrono::milliseconds(200),
                          .idle_flush_min_bytes = 0});
  ASSERT_TRUE(store);
  const size_t tables = files(dir.path(), ".sst").size();
  const auto ids = fill(*store);
  const auto logs = files(dir.path(), ".log");
  ASSERT_FALSE(logs.empty());
  // The writer looks once a second; the flush runs in the background.
  bool done = false;
  for (int i = 0; i < 200 && !done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done = flushed(dir.path(), logs, tables);
  }
  EXPECT_TRUE(done) << "no new table file, or the logs written before are still there";
  for (const auto& id : ids) ASSERT_TRUE(GetSync(*store, id).ok()) << id;
  // Writes go on after an idle flush.
  EXPECT_EQ(fill(*store).size(), 1000u);
}

TEST(RocksDbStore, RecentIsNewestFirstAndSameMillisecondKeepsIngestOrder) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  std::vector<std::string> ids;
  for (int i = 0; i < 150; ++i) {
    LogEntry e = MakeEntry(1000 + i / 10, "m" + std::to_string(i));  // 10 per millisecond
    ids.push_back(AppendOk(*store, e));
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
      ids.push_back(AppendOk(*store, e));
    }
  }
  auto store = OpenOrDie({.path = dir.path()});
  const std::string later = AppendOk(*store, MakeEntry(5000, "after restart"));
  auto recent = RecentSync(*store);
  ASSERT_EQ(recent.size(), 100u);
  EXPECT_EQ(recent[0].log_id, later) << "the sequence continues after a restart";
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).count(later), 0u);
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
        ids[t].push_back(AppendOk(*store, MakeEntry(NowUnixMillis(), "t" + std::to_string(t))));
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> distinct;
  for (const auto& list : ids) {
    for (const auto& id : list) {
      distinct.insert(id);
      ASSERT_TRUE(GetSync(*store, id).ok()) << id;
    }
  }
  EXPECT_EQ(distinct.size(), size_t{kThreads * kPerThread}) << "every id is different";
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
  EXPECT_EQ(AppendSync(*store, MakeEntry(1, "x")).status().code(), Status::Code::kUnavailable);
}

TEST(RocksDbStore, DiskFailureIsUnavailableChangesNothingAndRecovers) {
  TempDir dir;
  auto fs = std::make_shared<testing::FaultyFileSystem>();
  auto env = rocksdb::NewCompositeEnv(fs);
  auto store = OpenOrDie({.path = dir.path(), .env = env.get()});
  const std::string kept = AppendOk(*store, MakeEntry(NowUnixMillis(), "before the failure"));
  ASSERT_TRUE(store->Healthy());

  fs->SetFailing(true);
  Status s = AppendSync(*store, MakeEntry(NowUnixMillis(), "during the failure")).status();
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.message();
  EXPECT_FALSE(store->Healthy());
  auto recent = RecentSync(*store);
  ASSERT_EQ(recent.size(), 1u) << "a failed write must not show up";
  EXPECT_EQ(recent[0].log_id, kept);

  fs->SetFailing(false);
  // The writer resumes RocksDB by itself within about a second.
  for (int i = 0; i < 50 && !store->Healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(store->Healthy());
  const std::string after = AppendOk(*store, MakeEntry(NowUnixMillis(), "after recovery"));
  EXPECT_TRUE(GetSync(*store, after).ok());
  EXPECT_TRUE(GetSync(*store, kept).ok());
}

}  // namespace
}  // namespace logsvc::store
