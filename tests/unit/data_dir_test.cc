// Unit tests of what keeps the RocksDB store off a data dir that is no longer
// its own (DataDir, GuardedFileSystem) and off RocksDB's assertion on a full
// disk (InfoLog).
#include <gtest/gtest.h>
#include <rocksdb/file_system.h>
#include <unistd.h>

#include <cstdarg>
#include <filesystem>
#include <fstream>

#include "store/data_dir.h"
#include "store/guarded_file_system.h"
#include "store/info_log.h"
#include "temp_dir.h"

namespace logsvc::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

void Touch(const std::string& path) { std::ofstream(path) << "x"; }

std::unique_ptr<DataDir> OpenDirOrDie(const std::string& path) {
  auto dir = DataDir::Open(path);
  EXPECT_TRUE(dir.ok()) << dir.status().message();
  return dir.ok() ? std::move(dir).value() : nullptr;
}

TEST(DataDir, IsCreatedAndLockedAgainstASecondOpen) {
  TempDir tmp;
  const std::string path = tmp.path() + "/data";
  auto dir = OpenDirOrDie(path);
  EXPECT_TRUE(fs::is_directory(path));
  auto second = DataDir::Open(path);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another process"), std::string::npos);
  dir.reset();  // the lock goes with it
  EXPECT_TRUE(DataDir::Open(path).ok());
}

TEST(DataDir, CheckFailsOnceTheDirectoryOrItsLockIsReplaced) {
  TempDir tmp;
  const std::string path = tmp.path() + "/data";
  auto dir = OpenDirOrDie(path);
  EXPECT_TRUE(dir->Check().ok()) << "nothing is pinned yet";
  Touch(path + "/LOCK");
  dir->Pin();
  EXPECT_TRUE(dir->Check().ok());

  fs::remove(path + "/LOCK");
  Touch(path + "/LOCK");  // a new lock file: another database's
  EXPECT_FALSE(dir->Check().ok());

  dir->Pin();
  fs::remove_all(path);
  EXPECT_FALSE(dir->Check().ok()) << "the directory is gone";
  fs::create_directory(path);
  Touch(path + "/LOCK");
  Status s = dir->Check();
  EXPECT_FALSE(s.ok()) << "a new directory at the same path";
  EXPECT_NE(s.message().find("removed or replaced"), std::string::npos) << s.message();
}

TEST(DataDir, ReportsTheFreeSpaceOfItsFileSystem) {
  TempDir tmp;
  auto dir = OpenDirOrDie(tmp.path() + "/data");
  auto space = dir->Space();
  ASSERT_TRUE(space.ok());
  EXPECT_GT(space.value().total_bytes, 0u);
  EXPECT_LE(space.value().free_bytes, space.value().total_bytes);
}

TEST(GuardedFileSystem, TouchesNothingInADirectoryThatReplacedItsOwn) {
  TempDir tmp;
  const std::string path = tmp.path() + "/data";
  auto dir = OpenDirOrDie(path);
  Touch(path + "/LOCK");
  dir->Pin();
  GuardedFileSystem guarded(rocksdb::FileSystem::Default(), *dir);
  std::unique_ptr<rocksdb::FSWritableFile> file;
  ASSERT_TRUE(guarded.NewWritableFile(path + "/000001.log", {}, &file, nullptr).ok());
  file.reset();

  // Another server's database now lives at the path.
  fs::remove_all(path);
  fs::create_directory(path);
  Touch(path + "/LOCK");
  Touch(path + "/000001.log");

  rocksdb::IOStatus s = guarded.NewWritableFile(path + "/000002.log", {}, &file, nullptr);
  EXPECT_TRUE(s.IsIOFenced()) << s.ToString();
  EXPECT_FALSE(fs::exists(path + "/000002.log"));
  s = guarded.DeleteFile(path + "/000001.log", {}, nullptr);
  EXPECT_TRUE(s.IsIOFenced()) << s.ToString();
  EXPECT_TRUE(fs::exists(path + "/000001.log")) << "the other server's live log was deleted";
  EXPECT_TRUE(guarded.RenameFile(path + "/000001.log", path + "/x", {}, nullptr).IsIOFenced());
  EXPECT_TRUE(fs::exists(path + "/000001.log"));
}

TEST(GuardedFileSystem, ASyncOfAFileUnlinkedMeanwhileFails) {
  TempDir tmp;
  const std::string path = tmp.path() + "/data";
  auto dir = OpenDirOrDie(path);
  dir->Pin();
  GuardedFileSystem guarded(rocksdb::FileSystem::Default(), *dir);
  std::unique_ptr<rocksdb::FSWritableFile> log;
  ASSERT_TRUE(guarded.NewWritableFile(path + "/000003.log", {}, &log, nullptr).ok());
  ASSERT_TRUE(log->Append("entry", {}, nullptr).ok());
  EXPECT_TRUE(log->Sync({}, nullptr).ok());
  fs::remove(path + "/000003.log");
  ASSERT_TRUE(log->Append("entry", {}, nullptr).ok());
  rocksdb::IOStatus s = log->Sync({}, nullptr);
  EXPECT_TRUE(s.IsIOFenced()) << "a write to an unlinked log is not durable: " << s.ToString();
  EXPECT_TRUE(log->Fsync({}, nullptr).IsIOFenced());
}

void LogLine(InfoLog& log, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  log.Logv(format, ap);
  va_end(ap);
}

TEST(InfoLog, AFullDiskDropsLinesAndNothingElse) {
  TempDir tmp;
  // /dev/full answers every write with ENOSPC, as a full disk does.
  ASSERT_EQ(::symlink("/dev/full", (tmp.path() + "/LOG").c_str()), 0);
  auto log = InfoLog::Open(tmp.path(), 1 << 20, nullptr);
  ASSERT_NE(log, nullptr);
  for (int i = 0; i < 3; ++i) LogLine(*log, "line %d", i);
  EXPECT_EQ(log->dropped_lines(), 3u);
}

TEST(InfoLog, WritesLinesAndRotatesPastItsSize) {
  TempDir tmp;
  auto log = InfoLog::Open(tmp.path(), 200, [] { return true; });
  ASSERT_NE(log, nullptr);
  const std::string long_word(9000, 'w');  // longer than the line buffer
  LogLine(*log, "first %s", long_word.c_str());
  LogLine(*log, "second");
  EXPECT_EQ(log->dropped_lines(), 0u);
  std::ifstream old(tmp.path() + "/LOG.old"), current(tmp.path() + "/LOG");
  std::string old_text((std::istreambuf_iterator<char>(old)), {});
  std::string text((std::istreambuf_iterator<char>(current)), {});
  EXPECT_NE(old_text.find("first " + long_word + "\n"), std::string::npos);
  EXPECT_NE(text.find("second\n"), std::string::npos);
  EXPECT_EQ(text.find("first"), std::string::npos);
}

TEST(InfoLog, DoesNotRotateIntoADirectoryItMayNotTouch) {
  TempDir tmp;
  auto log = InfoLog::Open(tmp.path(), 10, [] { return false; });
  ASSERT_NE(log, nullptr);
  LogLine(*log, "one line past the size");
  LogLine(*log, "and another");
  EXPECT_FALSE(fs::exists(tmp.path() + "/LOG.old"));
}

}  // namespace
}  // namespace logsvc::store
