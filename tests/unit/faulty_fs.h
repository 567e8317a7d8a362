// A RocksDB FileSystem that passes everything to the real one until told to
// fail: then every write and sync of a file opened for writing returns an I/O
// error, as a full or failing disk would. RocksDB itself is real throughout.
#ifndef LOGSVC_TESTS_UNIT_FAULTY_FS_H_
#define LOGSVC_TESTS_UNIT_FAULTY_FS_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>

namespace logsvc::testing {

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }

  void SetFailing(bool failing) { failing_ = failing; }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(fname, opts, result, dbg);
    if (s.ok()) result->reset(new File(std::move(*result), failing_));
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    auto s = target()->ReuseWritableFile(fname, old_fname, opts, result, dbg);
    if (s.ok()) result->reset(new File(std::move(*result), failing_));
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& f, const std::atomic<bool>& failing)
        : FSWritableFileOwnerWrapper(std::move(f)), failing_(failing) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
      return failing_ ? Fail() : FSWritableFileOwnerWrapper::Append(data, o, d);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* d) override {
      return failing_ ? Fail() : FSWritableFileOwnerWrapper::Append(data, o, v, d);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      return failing_ ? Fail() : FSWritableFileOwnerWrapper::Sync(o, d);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      return failing_ ? Fail() : FSWritableFileOwnerWrapper::Fsync(o, d);
    }

   private:
    static rocksdb::IOStatus Fail() { return rocksdb::IOStatus::IOError("injected: disk failure"); }
    const std::atomic<bool>& failing_;
  };

  std::atomic<bool> failing_{false};
};

}  // namespace logsvc::testing

#endif  // LOGSVC_TESTS_UNIT_FAULTY_FS_H_
