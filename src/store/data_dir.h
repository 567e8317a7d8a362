// DataDir: the directory a RocksDbStore lives in, and what proves it is still
// the one the store opened.
//
// A data dir can vanish under a running server (`rm -rf`, a volume unmounted)
// and a new one appear at the same path (another server started there). The
// store must then stop: writes would land in unlinked files (acknowledged,
// then lost), and files it creates would land in the other server's database.
// So the store pins the identity (device and inode) of the directory and of
// RocksDB's LOCK file once it holds the lock, and checks it every second and
// before it creates, renames or deletes any file (store/guarded_file_system.h).
//
// Open() also takes an exclusive flock(2) on the directory for the life of
// this object, so a second logsvc on the same directory is refused at start
// even while this one has the database open read-only (as after a start on a
// full disk, when RocksDB holds no LOCK).
//
// Thread-safe.
#ifndef LOGSVC_STORE_DATA_DIR_H_
#define LOGSVC_STORE_DATA_DIR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "logsvc/status.h"
#include "util/mutex.h"

namespace logsvc::store {

// Device, inode and birth time: an inode number freed by `rm` can be given
// to the next file made (ext4 does so at once), and the birth time tells them
// apart. Where the file system reports no birth time, a regular file's ctime
// stands in (nothing changes the LOCK file's metadata), and a directory has
// none: the directory's inode cannot be reused anyway while DataDir holds it
// open, as it does.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t born_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

// The identity of the file or directory at `path`; nullopt if there is none.
//
// Times::kAsk reads a regular file's ctime where the file system has no
// birth time; and asking reads its timestamps in a way that, on Linux 6.13
// and later ("multigrain" timestamps), makes the file's next write take a
// fine-grained timestamp: that dirties the inode, and on ext4 the next
// fdatasync then writes the inode as well as the data. For a file being
// written and synced (the write-ahead log, checked after every sync) use
// Times::kNever: a synced 2.7 KB write took 178 us here that way, and 255 us
// with a stat() after each sync. Without the times, a file deleted and made
// again within the same clock tick may keep its identity (ext4 reuses inode
// numbers at once, and its birth times are then coarse).
enum class Times { kAsk, kNever };
std::optional<FileIdentity> IdentityOf(const std::string& path, Times times = Times::kAsk);

struct DiskSpace {
  uint64_t free_bytes;   // available to this (unprivileged) process
  uint64_t total_bytes;  // the file system's size
};

class DataDir {
 public:
  // Creates `path` if missing and locks it. kUnavailable with a sentence if it
  // cannot be created or another process holds it.
  static Result<std::unique_ptr<DataDir>> Open(const std::string& path);
  ~DataDir();
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const std::string& path() const { return path_; }

  // Records the identity of the directory and of its LOCK file as they are
  // now. Call once RocksDB holds its lock (after each successful open).
  void Pin();
  // True once Pin() was called.
  bool pinned() const;
  // Ok while what is at the path is what was pinned (always ok before Pin);
  // kUnavailable naming what changed otherwise.
  Status Check() const;

  // Free and total space of the file system holding the directory.
  Result<DiskSpace> Space() const;

 private:
  DataDir(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  const std::string path_;
  const int fd_;  // the directory, open and flock()ed
  mutable util::Mutex mu_;
  std::optional<FileIdentity> dir_id_ GUARDED_BY(mu_);
  std::optional<FileIdentity> lock_id_ GUARDED_BY(mu_);
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_DATA_DIR_H_
