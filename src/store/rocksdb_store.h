// RocksDbStore: the embedded, durable LogStore of `logsvc serve`.
//
// Writes: Append() gives the entry its key (timestamp, sequence number) and its
// log id (the key, encrypted: store/id_codec.h), and queues it; one writer
// thread takes everything queued, writes it as one WriteBatch with a synced WAL
// (group commit), then reports to every caller. So a reply is sent only for
// what is on disk, and concurrent requests share one fsync, made cheaper by
// logs that are zero-filled before use (store/zeroed_wal_file_system.h).
// (Several writer threads with RocksDB's pipelined writes measured 10% slower
// here: they compete with the I/O threads for cores.)
// Reads: Recent() is served from an in-memory window of the newest entries (no
// I/O); Get() decrypts the id into the entry's key and reads it on a small
// reader pool.
//
// Thread-safe. Destroying the store (or Close()) writes what is already queued,
// reports it, then closes the database; later calls report kUnavailable.
#ifndef LOGSVC_STORE_ROCKSDB_STORE_H_
#define LOGSVC_STORE_ROCKSDB_STORE_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "logsvc/log_store.h"
#include "store/id_codec.h"
#include "store/recent_window.h"
#include "util/thread_pool.h"

namespace rocksdb {
class Cache;
class ColumnFamilyHandle;
class DB;
class Env;
}  // namespace rocksdb

namespace logsvc::store {

class ZeroedWalFileSystem;

struct RocksDbStoreOptions {
  std::string path;                  // the data directory; created if missing
  rocksdb::Env* env = nullptr;       // tests inject faults here; nullptr: the default Env
  size_t max_queued_writes = 65536;  // beyond this, Append reports kUnavailable at once
  int reader_threads = 2;
};

class RocksDbStore final : public LogStore {
 public:
  // Opens (or creates) the store. kUnavailable with RocksDB's reason if the
  // directory cannot be used (permissions, another process holds its lock...).
  static Result<std::unique_ptr<RocksDbStore>> Open(const RocksDbStoreOptions& options);

  ~RocksDbStore() override;
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  void Append(LogEntry entry, AppendCallback done) override;
  void Recent(size_t limit, ListCallback done) override;
  void Get(std::string log_id, GetCallback done) override;
  bool Healthy() const override;

  // Writes what is queued, stops the threads, closes the database. Idempotent.
  void Close() override;

 private:
  struct PendingWrite {
    LogEntry entry;
    TimeKey key;
    uuid::Bytes id;
    AppendCallback done;
  };

  RocksDbStore() = default;
  Status OpenDb();
  void CloseDb();
  Status LoadIdKey();
  Status LoadState();
  void StartOnZeroedLog();
  void TryRecover();
  void WriterLoop();
  void WriteBatchOf(std::vector<PendingWrite>& batch);
  Result<LogEntry> ReadEntry(const std::string& log_id);

  RocksDbStoreOptions options_;
  std::shared_ptr<rocksdb::Cache> cache_;
  // What db_ does its file I/O through; outlives every db_ (declared before it).
  std::shared_ptr<ZeroedWalFileSystem> wal_fs_;  // logs zero-filled ahead
  std::unique_ptr<rocksdb::Env> env_;
  bool log_is_zeroed_ = false;  // RocksDB's current log came from wal_fs_; writer thread only
  // db_ and the handles change only on the writer thread (recovering by
  // reopening), under an exclusive db_mu_; reader threads hold it shared.
  std::shared_mutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, entries, ids
  rocksdb::ColumnFamilyHandle* entries_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* ids_cf_ = nullptr;  // only entries of data dirs before IdCodec
  std::optional<IdCodec> ids_;                     // set by Open, then immutable

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingWrite> queue_;  // guarded by queue_mu_
  bool closing_ = false;             // guarded by queue_mu_
  std::atomic<uint64_t> next_seq_{0};
  std::thread writer_;

  std::mutex window_mu_;
  RecentWindow window_{kRecentLimit};  // guarded by window_mu_

  std::unique_ptr<util::ThreadPool> readers_;
  std::atomic<bool> healthy_{false};
  std::atomic<bool> closed_{false};
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_ROCKSDB_STORE_H_
