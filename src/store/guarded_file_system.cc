#include "store/guarded_file_system.h"

namespace logsvc::store {
namespace {

// A file opened for writing, whose syncs count only while it is still linked
// at its name as the same file.
class WatchedFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  WatchedFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string fname, FileIdentity id)
      : FSWritableFileOwnerWrapper(std::move(file)), fname_(std::move(fname)), id_(id) {}

  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Sync(o, d);
    return s.ok() ? StillLinked() : s;
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = FSWritableFileOwnerWrapper::Fsync(o, d);
    return s.ok() ? StillLinked() : s;
  }

 private:
  rocksdb::IOStatus StillLinked() const {
    if (IdentityOf(fname_, Times::kNever) == id_) return rocksdb::IOStatus::OK();
    return rocksdb::IOStatus::IOFenced(fname_, "was deleted or replaced after it was opened");
  }

  const std::string fname_;
  const FileIdentity id_;
};

}  // namespace

rocksdb::IOStatus GuardedFileSystem::Fenced() const {
  Status s = dir_.Check();
  return s.ok() ? rocksdb::IOStatus::OK() : rocksdb::IOStatus::IOFenced(s.message());
}

rocksdb::IOStatus GuardedFileSystem::Watch(const std::string& fname, rocksdb::IOStatus opened,
                                           std::unique_ptr<rocksdb::FSWritableFile>* result) const {
  if (!opened.ok()) return opened;
  std::optional<FileIdentity> id = IdentityOf(fname, Times::kNever);
  if (!id) return rocksdb::IOStatus::IOFenced(fname, "vanished as it was opened");
  result->reset(new WatchedFile(std::move(*result), fname, *id));
  return opened;
}

rocksdb::IOStatus GuardedFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return Watch(fname, target()->NewWritableFile(fname, opts, result, dbg), result);
}

rocksdb::IOStatus GuardedFileSystem::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return Watch(fname, target()->ReopenWritableFile(fname, opts, result, dbg), result);
}

rocksdb::IOStatus GuardedFileSystem::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return Watch(fname, target()->ReuseWritableFile(fname, old_fname, opts, result, dbg), result);
}

rocksdb::IOStatus GuardedFileSystem::NewRandomRWFile(
    const std::string& fname, const rocksdb::FileOptions& opts,
    std::unique_ptr<rocksdb::FSRandomRWFile>* result, rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->NewRandomRWFile(fname, opts, result, dbg);
}

rocksdb::IOStatus GuardedFileSystem::DeleteFile(const std::string& fname,
                                                const rocksdb::IOOptions& opts,
                                                rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->DeleteFile(fname, opts, dbg);
}

rocksdb::IOStatus GuardedFileSystem::Truncate(const std::string& fname, size_t size,
                                              const rocksdb::IOOptions& opts,
                                              rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->Truncate(fname, size, opts, dbg);
}

rocksdb::IOStatus GuardedFileSystem::CreateDir(const std::string& dirname,
                                               const rocksdb::IOOptions& opts,
                                               rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->CreateDir(dirname, opts, dbg);
}

rocksdb::IOStatus GuardedFileSystem::CreateDirIfMissing(const std::string& dirname,
                                                        const rocksdb::IOOptions& opts,
                                                        rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->CreateDirIfMissing(dirname, opts, dbg);
}

rocksdb::IOStatus GuardedFileSystem::DeleteDir(const std::string& dirname,
                                               const rocksdb::IOOptions& opts,
                                               rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->DeleteDir(dirname, opts, dbg);
}

rocksdb::IOStatus GuardedFileSystem::RenameFile(const std::string& src, const std::string& dst,
                                                const rocksdb::IOOptions& opts,
                                                rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->RenameFile(src, dst, opts, dbg);
}

rocksdb::IOStatus GuardedFileSystem::LinkFile(const std::string& src, const std::string& dst,
                                              const rocksdb::IOOptions& opts,
                                              rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->LinkFile(src, dst, opts, dbg);
}

rocksdb::IOStatus GuardedFileSystem::LockFile(const std::string& fname,
                                              const rocksdb::IOOptions& opts,
                                              rocksdb::FileLock** lock,
                                              rocksdb::IODebugContext* dbg) {
  if (auto s = Fenced(); !s.ok()) return s;
  return target()->LockFile(fname, opts, lock, dbg);
}

}  // namespace logsvc::store
