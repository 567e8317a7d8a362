#include "store/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace logsvc::store {

namespace {

std::optional<FileIdentity> IdentityAt(int dirfd, const char* path, int flags, bool ask_ctime) {
  struct statx stx {};
  // Asking for the ctime (IdentityOf says when not to) also keeps birth
  // times apart: a file made again in the same clock tick gets a
  // fine-grained one once the times of the files there are asked for.
  const unsigned wanted = STATX_TYPE | STATX_INO | STATX_BTIME | (ask_ctime ? STATX_CTIME : 0);
  if (::statx(dirfd, path, flags, wanted, &stx) != 0) return std::nullopt;
  FileIdentity id{(uint64_t{stx.stx_dev_major} << 32) | stx.stx_dev_minor, stx.stx_ino, 0};
  auto ns = [](const struct statx_timestamp& t) {
    return t.tv_sec * int64_t{1000000000} + t.tv_nsec;
  };
  if (stx.stx_mask & STATX_BTIME) {
    id.born_ns = ns(stx.stx_btime);
  } else if (S_ISREG(stx.stx_mode) && ask_ctime) {
    id.born_ns = ns(stx.stx_ctime);
  }
  return id;
}

}  // namespace

std::optional<FileIdentity> IdentityOf(const std::string& path, Times times) {
  return IdentityAt(AT_FDCWD, path.c_str(), 0, times == Times::kAsk);
}

Result<std::unique_ptr<DataDir>> DataDir::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    return Status::Unavailable("cannot create data dir '" + path + "': " + ec.message());
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Status::Unavailable("cannot open data dir '" + path + "': " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status::Unavailable("data dir '" + path +
                                 "' is in use by another process (another logsvc serving it?)");
    }
    return Status::Unavailable("cannot lock data dir '" + path + "': " + std::strerror(err));
  }
  return std::unique_ptr<DataDir>(new DataDir(path, fd));
}

DataDir::~DataDir() { ::close(fd_); }  // also releases the flock

void DataDir::Pin() {
  // The directory as this process has it open: if the path already names
  // another one, the check below fails at once.
  std::optional<FileIdentity> dir = IdentityAt(fd_, "", AT_EMPTY_PATH, true);
  std::optional<FileIdentity> lock = IdentityOf(path_ + "/LOCK");
  util::MutexLock guard(&mu_);
  dir_id_ = dir;
  lock_id_ = lock;
}

bool DataDir::pinned() const {
  util::MutexLock guard(&mu_);
  return dir_id_.has_value();
}

Status DataDir::Check() const {
  std::optional<FileIdentity> dir, lock;
  {
    util::MutexLock guard(&mu_);
    if (!dir_id_) return Status::Ok();
    dir = dir_id_;
    lock = lock_id_;
  }
  if (IdentityOf(path_) != dir) {
    return Status::Unavailable("the data dir '" + path_ +
                               "' was removed or replaced while the server was running");
  }
  if (lock && IdentityOf(path_ + "/LOCK") != lock) {
    return Status::Unavailable("the lock file of data dir '" + path_ +
                               "' was removed or replaced while the server was running");
  }
  return Status::Ok();
}

Result<DiskSpace> DataDir::Space() const {
  struct statvfs vfs {};
  if (::fstatvfs(fd_, &vfs) != 0) {
    return Status::Unavailable("cannot read the free space of data dir '" + path_ +
                               "': " + std::strerror(errno));
  }
  return DiskSpace{static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize,
                   static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize};
}

}  // namespace logsvc::store
