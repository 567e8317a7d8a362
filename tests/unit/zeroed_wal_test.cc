// Unit tests of store/zeroed_wal_file_system.h: logs are handed out
// zero-filled, and a log cut short by a crash (a tail of zeros) recovers with
// nothing lost and nothing reported as corrupt, by RocksDB itself.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/file_system.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "core/datetime.h"
#include "store/index_merge.h"
#include "store/rocksdb_store.h"
#include "store/zeroed_wal_file_system.h"
#include "temp_dir.h"

namespace logsvc::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr uint64_t kStoreSpareBytes = 32 << 20;  // the store's memtable size

uint64_t SizeOf(const fs::path& p) { return fs::exists(p) ? fs::file_size(p) : 0; }

// The newest write-ahead log in `dir` (RocksDB numbers them upwards).
fs::path NewestLog(const std::string& dir) {
  fs::path newest;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log" && e.path().filename() > newest.filename())
      newest = e.path();
  }
  return newest;
}

bool AllZero(const fs::path& p, uint64_t from, uint64_t to) {
  std::ifstream in(p, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(from));
  std::string buf(to - from, '\1');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  return in.gcount() == static_cast<std::streamsize>(buf.size()) &&
         buf.find_first_not_of('\0') == std::string::npos;
}

bool WaitFor(const std::function<bool()>& cond) {
  for (int i = 0; i < 200 && !cond(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return cond();
}

std::string AppendOk(LogStore& s, const std::string& message) {
  std::promise<Result<std::string>> p;
  s.Append(LogEntry{"", NowUnixMillis(), Severity::kInfo, message},
           [&](Result<std::string> id) { p.set_value(std::move(id)); });
  auto id = p.get_future().get();
  EXPECT_TRUE(id.ok()) << id.status().message();
  return id.ok() ? id.value() : "";
}

bool Found(LogStore& s, const std::string& id) {
  std::promise<bool> p;
  s.Get(id, [&](Result<LogEntry> r) { p.set_value(r.ok()); });
  return p.get_future().get();
}

TEST(ZeroedWalFileSystem, OnlyLogsGetTheSpareAndEachSpareOnce) {
  TempDir dir;
  constexpr uint64_t kSpare = 64 << 10;
  ZeroedWalFileSystem zfs(rocksdb::FileSystem::Default(), kSpare);
  auto open = [&](const std::string& name) {
    std::unique_ptr<rocksdb::FSWritableFile> f;
    EXPECT_TRUE(zfs.NewWritableFile(dir.path() + "/" + name, {}, &f, nullptr).ok()) << name;
    return f;
  };
  const fs::path spare = fs::path(dir.path()) / ZeroedWalFileSystem::kSpareName;

  auto first = open("000001.log");  // no spare yet: an ordinary file...
  EXPECT_EQ(SizeOf(fs::path(dir.path()) / "000001.log"), 0u);
  ASSERT_TRUE(WaitFor([&] { return SizeOf(spare) == kSpare; })) << "...and a spare is made";

  for (const char* other : {"MANIFEST-000002", "000003.sst", "LOG", "1.log.old", "x.log"}) {
    auto f = open(other);
    EXPECT_EQ(SizeOf(fs::path(dir.path()) / other), 0u) << other << " is not a log";
  }
  EXPECT_EQ(SizeOf(spare), kSpare) << "the spare is kept for the next log";

  auto second = open("000004.log");
  const fs::path log = fs::path(dir.path()) / "000004.log";
  EXPECT_EQ(SizeOf(log), kSpare);
  EXPECT_TRUE(AllZero(log, 0, kSpare));
  EXPECT_EQ(zfs.zeroed_logs(), 1u);

  // Written from the start, as RocksDB's writer expects of a new file.
  ASSERT_TRUE(second->Append("record", {}, nullptr).ok());
  ASSERT_TRUE(second->Sync({}, nullptr).ok());
  std::ifstream in(log, std::ios::binary);
  std::string head(6, '\0');
  in.read(head.data(), 6);
  EXPECT_EQ(head, "record");
  ASSERT_TRUE(WaitFor([&] { return SizeOf(spare) == kSpare; })) << "the next spare follows";
}

TEST(ZeroedWalFileSystem, EveryLogOfTheStoreIsZeroFilledEvenTheFirst) {
  TempDir dir;
  {
    auto store = RocksDbStore::Open({.path = dir.path()});
    ASSERT_TRUE(store.ok()) << store.status().message();
    const fs::path log = NewestLog(dir.path());
    EXPECT_EQ(SizeOf(log), kStoreSpareBytes) << log;
    AppendOk(*store.value(), "one");
    EXPECT_TRUE(AllZero(log, 1 << 20, kStoreSpareBytes)) << "what was not written stays zero";
    const fs::path spare = fs::path(dir.path()) / ZeroedWalFileSystem::kSpareName;
    EXPECT_TRUE(WaitFor([&] { return SizeOf(spare) == kStoreSpareBytes; }));
  }
  // The spare left behind serves the next open at once.
  auto store = RocksDbStore::Open({.path = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(SizeOf(NewestLog(dir.path())), kStoreSpareBytes);
}

TEST(ZeroedWalFileSystem, ALogCutShortByACrashRecoversWithNothingLostOrCorrupt) {
  TempDir dir, crashed;
  auto store = RocksDbStore::Open({.path = dir.path()});
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i)
    ids.push_back(AppendOk(*store.value(), "entry " + std::to_string(i)));
  // The files as a power cut would leave them: the store still open, its log
  // not trimmed, zeros after the last record.
  for (const auto& e : fs::directory_iterator(dir.path())) {
    if (e.path().filename() != "LOCK")
      fs::copy(e.path(), fs::path(crashed.path()) / e.path().filename());
  }
  const fs::path log = NewestLog(crashed.path());
  ASSERT_EQ(SizeOf(log), kStoreSpareBytes) << "the crash image has a log with a zero tail";

  {
    // RocksDB in its strictest recovery mode: any record it cannot read
    // (rather than padding) fails the open.
    rocksdb::DBOptions options;
    options.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, crashed.path(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) {
      rocksdb::ColumnFamilyOptions cf;
      if (n == "index")
        cf.merge_operator = std::make_shared<logsvc::store::index::IndexMergeOperator>();
      cfs.emplace_back(n, cf);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, crashed.path(), cfs, &handles, &raw);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<rocksdb::DB> db(raw);
    size_t entries = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] != "entries") continue;
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}, handles[i]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) ++entries;
    }
    EXPECT_EQ(entries, ids.size());
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }
  auto reopened = RocksDbStore::Open({.path = crashed.path()});
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  for (const auto& id : ids) EXPECT_TRUE(Found(*reopened.value(), id)) << id;
  EXPECT_TRUE(Found(*reopened.value(), AppendOk(*reopened.value(), "after the crash")));
}

}  // namespace
}  // namespace logsvc::store
