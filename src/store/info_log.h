// InfoLog: where RocksDB writes its own diagnostics (the data dir's `LOG`
// file), in place of RocksDB's default logger.
//
// Why: RocksDB's default logger writes through a WritableFileWriter, which
// remembers a failed write and, on the next one, trips an assertion that
// Debian's build keeps (writable_file_writer.h: 'sync_without_flush_called_'):
// on a full disk the second log line after an ENOSPC aborted the process. This
// logger writes each line with one write(2) and drops the line if that fails,
// so a full disk costs diagnostics, never the process.
//
// The file is opened once; when it passes max_bytes it is renamed to LOG.old
// (replacing an older one) and a new LOG is started, so the two take at most
// 2 x max_bytes. Thread-safe.
#ifndef LOGSVC_STORE_INFO_LOG_H_
#define LOGSVC_STORE_INFO_LOG_H_

#include <rocksdb/env.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "util/mutex.h"

namespace logsvc::store {

class InfoLog final : public rocksdb::Logger {
 public:
  // Opens (creating or appending to) `dir`/LOG. `may_create_files` is asked
  // before a rotation makes a new file (false: keep writing the current one),
  // so that a data dir replaced under the process is not written to.
  // nullptr if the file cannot be opened; RocksDB then logs nowhere.
  static std::shared_ptr<InfoLog> Open(const std::string& dir, uint64_t max_bytes,
                                       std::function<bool()> may_create_files);
  ~InfoLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  size_t GetLogFileSize() const override;

  // Lines that could not be written (a full disk, say).
  uint64_t dropped_lines() const;

 private:
  InfoLog(std::string dir, int fd, uint64_t size, uint64_t max_bytes,
          std::function<bool()> may_create_files);
  void RotateLocked() REQUIRES(mu_);

  const std::string dir_;
  const uint64_t max_bytes_;
  const std::function<bool()> may_create_files_;
  mutable util::Mutex mu_;
  int fd_ GUARDED_BY(mu_);
  uint64_t size_ GUARDED_BY(mu_);
  uint64_t dropped_ GUARDED_BY(mu_) = 0;
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_INFO_LOG_H_
