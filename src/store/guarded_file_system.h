// GuardedFileSystem: a RocksDB FileSystem that refuses to touch a data dir
// that is no longer the one the store opened (see store/data_dir.h), and
// reports a sync of a file that has meanwhile been unlinked as failed.
//
// - Creating, renaming, linking, truncating or deleting a file, and creating
//   or deleting a directory, first checks DataDir::Check(); if the directory or
//   its LOCK file was removed or replaced, the call fails with IOFenced and
//   does nothing. So a store whose directory vanished never creates files in a
//   new database at the same path, nor deletes that database's live files (its
//   file numbers repeat ours).
// - Every file opened for writing remembers its identity; after a successful
//   Sync/Fsync the file must still be linked at its name, else the sync fails
//   with IOFenced. RocksDB syncs the write-ahead log once per group commit, so
//   a write whose log was deleted (`rm -rf` of the data dir) is reported as
//   failed instead of acknowledged; its bytes went to an unlinked file. The
//   check is one stat(2) per sync.
// IOFenced is a fatal error for RocksDB: it stops writing and does not try to
// recover by itself (store/rocksdb_store.cc decides what happens next).
//
// Thread-safe; `dir` must outlive the file system and every file it opened.
#ifndef LOGSVC_STORE_GUARDED_FILE_SYSTEM_H_
#define LOGSVC_STORE_GUARDED_FILE_SYSTEM_H_

#include <rocksdb/file_system.h>

#include <memory>
#include <string>

#include "store/data_dir.h"

namespace logsvc::store {

class GuardedFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  GuardedFileSystem(std::shared_ptr<rocksdb::FileSystem> target, const DataDir& dir)
      : FileSystemWrapper(std::move(target)), dir_(dir) {}
  const char* Name() const override { return "GuardedFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewRandomRWFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSRandomRWFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& opts,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& fname, size_t size, const rocksdb::IOOptions& opts,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDir(const std::string& dirname, const rocksdb::IOOptions& opts,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus CreateDirIfMissing(const std::string& dirname, const rocksdb::IOOptions& opts,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteDir(const std::string& dirname, const rocksdb::IOOptions& opts,
                              rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& opts,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& target,
                             const rocksdb::IOOptions& opts, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LockFile(const std::string& fname, const rocksdb::IOOptions& opts,
                             rocksdb::FileLock** lock, rocksdb::IODebugContext* dbg) override;

 private:
  rocksdb::IOStatus Fenced() const;  // OK, or IOFenced with DataDir's reason
  rocksdb::IOStatus Watch(const std::string& fname, rocksdb::IOStatus opened,
                          std::unique_ptr<rocksdb::FSWritableFile>* result) const;

  const DataDir& dir_;
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_GUARDED_FILE_SYSTEM_H_
