// ZeroedWalFileSystem: a RocksDB FileSystem that hands RocksDB each new
// write-ahead log as a file already written full of zeros.
//
// Why: every group commit ends in an fdatasync of the WAL. When the WAL grows,
// that fdatasync must also commit the file system's journal (the new size, the
// extents turned from unwritten to written); inside a file that is already that
// long, only data changes and the journal is left alone. On this machine's ext4
// a synced 4 KiB write takes ~80 us instead of ~140 us. PostgreSQL zero-fills
// its WAL segments for the same reason. (RocksDB's own recycle_log_file_num
// reuses old logs to the same end, but RocksDB 7.8 allows it only with
// kSkipAnyCorruptedRecords recovery, and then crashes in MarkLogsSynced on the
// first flush.)
//
// Safety: RocksDB's log reader takes zeros (a record header of type 0 and
// length 0) as padding, so after a crash a log with a tail of zeros recovers
// exactly like a log that ends where the writes stopped. A log closed normally
// is truncated to its length by RocksDB (its preallocation trim). A spare is
// named as one only after all its zeros are synced, so it never holds anything
// else.
//
// How: one spare, `wal.zeros` beside the logs, is written by a background
// thread whenever a log has been created. NewWritableFile for a log renames the spare to the log's
// name and opens it for writing from offset 0 (ReuseWritableFile, as RocksDB's own recycling does),
// then asks for the next spare. With no spare ready (logs switching faster than zeros are written,
// a failed spare, a disk with no room for one), RocksDB gets an ordinary empty file. Logs longer
// than the spare simply grow.
//
// Thread-safe. Destroy it only after every DB using it is closed; the
// destructor waits for a spare being written.
#ifndef LOGSVC_STORE_ZEROED_WAL_FILE_SYSTEM_H_
#define LOGSVC_STORE_ZEROED_WAL_FILE_SYSTEM_H_

#include <rocksdb/file_system.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "util/mutex.h"

namespace logsvc::store {

class ZeroedWalFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  static constexpr char kSpareName[] = "wal.zeros";

  // `spare_bytes`: how much of each log is zeros ahead of time; make it the
  // size a log reaches before RocksDB switches to the next (the memtable size).
  // No spare is written while it would leave less than `keep_free_bytes` free
  // on the logs' file system (logs are then ordinary files).
  ZeroedWalFileSystem(std::shared_ptr<rocksdb::FileSystem> target, uint64_t spare_bytes,
                      uint64_t keep_free_bytes = 0);
  ~ZeroedWalFileSystem() override;

  const char* Name() const override { return "ZeroedWalFileSystem"; }

  // Makes sure a spare is ready in `dir`, the logs' directory, writing one if
  // needed (32 MiB of zeros take ~20 ms here). Blocks until done; false if it
  // could not be written (the reason is logged; logs are then ordinary files).
  // Spares are written only by the holder of the DB's lock: call this only
  // while a DB is open on `dir`, and WaitForSpare() before closing it, so that
  // no other process's DB ever takes a spare that is still being made.
  bool PrepareSpare(const std::string& dir);
  void WaitForSpare();

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;

  // How many logs were handed out zero-filled (for tests and the service log).
  uint64_t zeroed_logs() const;

 private:
  void UseDirLocked(const std::string& dir) REQUIRES(mu_);
  void SpareLoop() EXCLUDES(mu_);
  bool HasRoomForSpare(const std::string& dir) const;
  rocksdb::IOStatus WriteSpare(const std::string& dir);

  const uint64_t spare_bytes_;
  const uint64_t keep_free_bytes_;
  bool spare_failed_ = false;  // spare writer thread only: warn once per streak of failures
  mutable util::Mutex mu_;
  util::CondVar cv_;                 // want_spare_ set, or cleared (a spare attempt ended)
  std::string dir_ GUARDED_BY(mu_);  // the logs' directory
  bool spare_ready_ GUARDED_BY(mu_) = false;
  bool want_spare_ GUARDED_BY(mu_) = false;  // true until the attempt ends
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t zeroed_logs_ GUARDED_BY(mu_) = 0;
  std::thread spare_writer_;
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_ZEROED_WAL_FILE_SYSTEM_H_
