#include "store/zeroed_wal_file_system.h"

#include <pthread.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "util/log.h"

namespace logsvc::store {
namespace {

// The directory of `fname` if it names one of RocksDB's logs, <number>.log
// (LogFileName in file/filename.cc); nullopt for any other file.
std::optional<std::string> LogDir(const std::string& fname) {
  const size_t slash = fname.rfind('/');
  std::string_view base = fname;
  if (slash != std::string::npos) base.remove_prefix(slash + 1);
  constexpr std::string_view kSuffix = ".log";
  if (base.size() <= kSuffix.size() || !base.ends_with(kSuffix)) return std::nullopt;
  base.remove_suffix(kSuffix.size());
  if (!std::all_of(base.begin(), base.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return slash == std::string::npos ? "." : fname.substr(0, slash);
}

}  // namespace

ZeroedWalFileSystem::ZeroedWalFileSystem(std::shared_ptr<rocksdb::FileSystem> target,
                                         uint64_t spare_bytes, uint64_t keep_free_bytes)
    : FileSystemWrapper(std::move(target)),
      spare_bytes_(spare_bytes),
      keep_free_bytes_(keep_free_bytes) {
  spare_writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "logsvc-walzero");
    SpareLoop();
  });
}

ZeroedWalFileSystem::~ZeroedWalFileSystem() {
  {
    util::MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  spare_writer_.join();
}

uint64_t ZeroedWalFileSystem::zeroed_logs() const {
  util::MutexLock lock(&mu_);
  return zeroed_logs_;
}

rocksdb::IOStatus ZeroedWalFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  const std::optional<std::string> dir = LogDir(fname);
  if (!dir) return target()->NewWritableFile(fname, opts, result, dbg);

  util::MutexLock lock(&mu_);
  UseDirLocked(*dir);
  bool reused = false;
  if (spare_ready_) {
    spare_ready_ = false;
    reused = target()->ReuseWritableFile(fname, dir_ + "/" + kSpareName, opts, result, dbg).ok();
    if (reused) ++zeroed_logs_;
  }
  rocksdb::IOStatus s;
  if (!reused) s = target()->NewWritableFile(fname, opts, result, dbg);
  want_spare_ = true;
  lock.Unlock();
  cv_.SignalAll();
  return s;
}

bool ZeroedWalFileSystem::PrepareSpare(const std::string& dir) {
  util::MutexLock lock(&mu_);
  UseDirLocked(dir);
  if (spare_ready_) return true;
  want_spare_ = true;
  cv_.SignalAll();
  while (want_spare_ && !stopping_) cv_.Wait(&mu_);
  return spare_ready_;
}

void ZeroedWalFileSystem::WaitForSpare() {
  util::MutexLock lock(&mu_);
  while (want_spare_ && !stopping_) cv_.Wait(&mu_);
}

void ZeroedWalFileSystem::UseDirLocked(const std::string& dir) {
  if (dir_ == dir) return;
  // A spare left here by an earlier run is as good as a new one: it was named
  // only once complete.
  dir_ = dir;
  uint64_t size = 0;
  spare_ready_ = target()->GetFileSize(dir_ + "/" + kSpareName, {}, &size, nullptr).ok() &&
                 size == spare_bytes_;
}

void ZeroedWalFileSystem::SpareLoop() {
  util::MutexLock lock(&mu_);
  for (;;) {
    while (!stopping_ && !want_spare_) cv_.Wait(&mu_);
    if (stopping_) return;
    if (!spare_ready_) {
      const std::string dir = dir_;
      lock.Unlock();
      rocksdb::IOStatus s = HasRoomForSpare(dir) ? WriteSpare(dir) : rocksdb::IOStatus::Busy();
      lock.Lock();
      if (s.ok() && dir == dir_) {
        spare_ready_ = true;
      } else if (!s.ok() && !s.IsBusy() && !spare_failed_) {
        // Not fatal: the next log is an ordinary file, and its creation asks again.
        log::Warn("cannot prepare a zero-filled WAL file").Str("reason", s.ToString());
      }
      if (!s.IsBusy()) spare_failed_ = !s.ok();
    }
    want_spare_ = false;
    cv_.SignalAll();
  }
}

bool ZeroedWalFileSystem::HasRoomForSpare(const std::string& dir) const {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return true;  // let the write tell
  const uint64_t free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  return free >= spare_bytes_ + keep_free_bytes_;
}

rocksdb::IOStatus ZeroedWalFileSystem::WriteSpare(const std::string& dir) {
  static const std::string kZeros(1 << 20, '\0');
  const std::string tmp = dir + "/" + kSpareName + ".tmp";
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = target()->NewWritableFile(tmp, {}, &file, nullptr);
  for (uint64_t done = 0; s.ok() && done < spare_bytes_; done += kZeros.size()) {
    const size_t n = std::min<uint64_t>(kZeros.size(), spare_bytes_ - done);
    s = file->Append(rocksdb::Slice(kZeros.data(), n), {}, nullptr);
  }
  if (s.ok()) s = file->Sync({}, nullptr);  // every zero on disk before the name says so
  if (file) {
    rocksdb::IOStatus closed = file->Close({}, nullptr);
    if (s.ok()) s = closed;
  }
  if (s.ok()) s = target()->RenameFile(tmp, dir + "/" + kSpareName, {}, nullptr);
  if (!s.ok()) target()->DeleteFile(tmp, {}, nullptr).PermitUncheckedError();
  return s;
}

}  // namespace logsvc::store
