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
// Reads: the first page of the default search (GET /logs) comes from an
// in-memory window of the newest entries (no I/O); other searches and stats
// read the search index (docs/storage.md) on a small reader pool, as Get()
// does, which decrypts the id into the entry's key and reads that key.
//
// Health (Healthy(), and whether Append is taken): the writer thread checks,
// before each batch and at least once a second,
//   - free space: under the reserve (options.min_free_*) writes are refused
//     with kUnavailable before RocksDB can meet a full disk, and resume by
//     themselves once space is back; reads go on. A store opened on a disk
//     under its reserve opens the database read-only (RocksDB would have to
//     write to open it) and becomes writable once space is back;
//   - the data dir (store/data_dir.h): if it was removed or replaced while the
//     store ran, writes are refused for good and one error is logged; the
//     store never reopens a database that is not the one it opened (RocksDB's
//     DB identity), so it never makes a new one in place of a vanished one;
//   - failures (a write error): it retries Resume() or a reopen of the same
//     database every second.
// An acknowledged entry is readable for as long as the store says healthy.
//
// Thread-safe. Destroying the store (or Close()) writes what is already queued,
// reports it, then closes the database; later calls report kUnavailable.
#ifndef LOGSVC_STORE_ROCKSDB_STORE_H_
#define LOGSVC_STORE_ROCKSDB_STORE_H_

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "logsvc/log_store.h"
#include "store/id_codec.h"
#include "store/index_builder.h"
#include "store/index_format.h"
#include "store/index_search.h"
#include "store/pending_segment.h"
#include "store/recent_window.h"
#include "store/tail_buffer.h"
#include "util/metrics.h"
#include "util/mutex.h"
#include "util/thread_pool.h"

namespace rocksdb {
class Cache;
class CompactionFilter;
class ColumnFamilyHandle;
class DB;
class Env;
class ManagedSnapshot;
}  // namespace rocksdb

namespace logsvc::store {

class DataDir;
class InfoLog;
class ZeroedWalFileSystem;

struct RocksDbStoreOptions {
  std::string path;             // the data directory; created if missing
  rocksdb::Env* env = nullptr;  // tests inject faults here; nullptr: the default Env
  // Entries waiting for the writer; beyond this, Append and AppendBatch report
  // kUnavailable at once. Room for 32 batches of 10,000 (shippers send from
  // many connections at once: 8 clients of 10,000 were refused at 65,536)
  // in about 100 MB of entries.
  size_t max_queued_writes = 327680;
  int reader_threads = 2;
  // Writes stop while the data dir's file system has less free space than
  // the larger of these (0 and 0: never); see `logsvc serve --min-free-disk`.
  uint64_t min_free_bytes = 256ull << 20;
  double min_free_fraction = 0.02;  // of the file system's size
  // After this long without a write, the memtables are flushed to table
  // files and the write-ahead logs they kept are deleted: a store at rest
  // holds its data once, compressed, and reopens without replaying logs.
  // Unless they hold less than idle_flush_min_bytes (RocksDB's own count,
  // about 2 MB for nearly empty ones) and all of it is in the current log: a
  // flush begins a new log, which costs another 32 MiB of zeros for the spare.
  std::chrono::milliseconds idle_flush_after{30000};
  uint64_t idle_flush_min_bytes = 8 << 20;
  // Where group commits are counted (util/metrics.h); null: nowhere. Must
  // outlive the store.
  metrics::Metrics* metrics = nullptr;
  // Retention (docs/storage.md, "Retention"): entries older than this are
  // deleted in the background and never read again (0: kept forever)...
  int64_t retention_ms = 0;
  // ...and, while the data dir holds more than this many bytes, the oldest
  // entries are, a segment's time range at a time (0: no bound).
  uint64_t max_disk_bytes = 0;
  // How often the retention thread looks (and the disk is measured).
  std::chrono::milliseconds retention_every{10000};
};

class RocksDbStore final : public LogStore {
 public:
  // Opens (or creates) the store. kUnavailable with RocksDB's reason if the
  // directory cannot be used (permissions, another process holds its lock...).
  // A disk under the free-space reserve is not an error: the store then opens
  // read-only (or empty, for a new data dir) and reports itself unhealthy.
  static Result<std::unique_ptr<RocksDbStore>> Open(const RocksDbStoreOptions& options);

  ~RocksDbStore() override;
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  void Append(LogEntry entry, AppendCallback done) override;
  void AppendBatch(std::vector<LogEntry> entries, BatchCallback done) override;
  // Reads the key's record (store/once_record.h) on a reader thread; writes
  // the record in the WriteBatch of the entries.
  void AppendOnce(IdempotentWrite once, std::vector<LogEntry> entries, OnceCallback done) override;
  // Budgets: store/index_search.h. The default query's first page (GET
  // /logs) comes from memory.
  void Search(StoreQuery query, SearchCallback done) override;
  void Stats(StatsQuery query, StatsCallback done) override;
  void Get(std::string log_id, GetCallback done) override;
  // store/follow_reader.h: from memory while the follower keeps up (on the
  // caller's thread), else from disk on a reader thread.
  void Follow(FollowQuery query, FollowCallback done) override;
  int64_t FollowIntervalMs() const override { return 100; }
  std::string_view FollowNote() const override;
  bool Healthy() const override;

  // Why the store is not healthy, for the service log and tests; "" if it is.
  std::string UnhealthyReason() const;
  // The free-space reserve in force, in bytes (resolved from the options).
  uint64_t min_free_bytes() const { return reserve_bytes_; }
  // Entries queued for the writer now (metrics).
  size_t QueuedEntries();
  // Entries deleted by retention since the store opened (metrics).
  uint64_t RetentionDeleted() const { return retention_deleted_.load(); }
  // The oldest timestamp any read returns: what retention has deleted, or
  // is past its age, is older.
  int64_t VisibleFromMs() const;
  // The bytes of the data dir's files (metrics): a walk of the directory.
  uint64_t DiskBytes() const;

  // Writes what is queued, stops the threads, closes the database. Idempotent.
  void Close() override;

 private:
  // A batch's ids and callback, reported once its WriteBatch is synced.
  struct BatchState {
    std::vector<std::string> ids;
    BatchCallback done;
    // The batch's index records, made on the caller's thread (words are
    // most of a write's work: this way the single writer thread only writes).
    index::IndexBuilder index;
    // AppendOnce: the idempotency record written with the entries, or "".
    std::string once_key, once_value;
  };
  // One Append or one batch, queued whole (one item, whatever its size: the
  // writer takes a batch into one WriteBatch, so it is stored entirely or
  // not at all, and queueing costs nothing an entry).
  struct PendingWrite {
    std::vector<LogEntry> entries;      // an Append's log_id is set; a batch's are in batch->ids
    std::vector<TimeKey> keys;          // entries[i]'s key
    AppendCallback done;                // an Append's
    std::shared_ptr<BatchState> batch;  // a batch's
  };

  RocksDbStore() = default;
  Status OpenDb(bool read_only);
  void CloseDb();
  Status LoadIdKey(bool read_only);
  Status BumpEpoch();
  Status FillWindow();
  Status LoadSegments();
  Status BuildIndex();
  Status RebuildUnsealed();
  // Writes a segment's sets to disk and drops them from memory; false (and
  // logged) if that failed: they stay in memory.
  bool Seal(const std::shared_ptr<index::PendingSegment>& pending);
  // Writer thread: hands every segment in memory older than the newest (and
  // wholly written) to SealInBackground, on a reader thread.
  void SealOlderSegments();
  // Seals `pending` under a shared db_mu_, unless the database was reopened
  // since it was handed over.
  void SealInBackground(const std::shared_ptr<index::PendingSegment>& pending);
  // Takes n sequence numbers, counted as unwritten until the writer has
  // written (or failed) their entries; the first.
  uint64_t Reserve(size_t n);
  // Adds (sign +1) or removes n numbers from `first` to unwritten_ and
  // reserved_ (the numbers of one Reserve call, removed together). Under queue_mu_.
  void CountUnwritten(uint64_t first, size_t n, int sign) REQUIRES(queue_mu_);
  // Every number below it is written, or never will be (Follow's bound).
  uint64_t Watermark();
  // Writer thread: drops the tail buffer when no Follow came for a while.
  void StopTailIfIdle();
  // Prepares the entries (numbered from `first`, taken by Reserve) and queues them.
  // `once`: AppendOnce's write, whose record goes into the entries' WriteBatch.
  void QueueBatch(std::vector<LogEntry> entries, uint64_t first, BatchCallback done,
                  const IdempotentWrite* once = nullptr);
  // AppendOnce on a reader thread: the record's answer, or the batch queued.
  void AppendOnceNow(IdempotentWrite once, std::vector<LogEntry> entries, OnceCallback done);
  std::vector<std::pair<uint64_t, index::SegmentSummary>> SegmentsSnapshot();
  // What a search reads, as of now: a snapshot (kept in *snapshot), the
  // segments and the sets in memory. Under a shared db_mu_.
  index::SearchContext SearchContextNow(std::optional<rocksdb::ManagedSnapshot>* snapshot);
  Status OpenWritable();
  void StartOnZeroedLog();
  void Monitor();
  // Writer thread: flushes the memtables once no write came for
  // options_.idle_flush_after (RocksDbStoreOptions::idle_flush_after).
  void FlushIfIdle();
  bool CheckDiskSpace(bool quiet);  // true if there is room; logs changes unless quiet
  void TryRecover();
  void UpdateHealth();
  void WriterLoop();
  // The retention thread: every options_.retention_every, DeleteExpired.
  void RetentionLoop();
  // Hides, then deletes, the entries before `cutoff_ms` (whole table files,
  // then a compaction of the range, so the disk shrinks) and the index of
  // every sealed segment wholly before it. False if nothing could be done
  // (no writable database, a RocksDB error: retried by the next pass).
  bool DeleteExpired(int64_t cutoff_ms);
  // With max_disk_bytes: a cutoff that drops the oldest segment, if the data
  // dir is over it; else INT64_MIN.
  int64_t CutoffForDiskBound();
  // Writes the group, then (written or failed) Unreserves it and reports.
  void WriteBatchOf(std::vector<PendingWrite>& batch);
  // The group's numbers are written (or never will be): off unwritten_.
  void Unreserve(const std::vector<PendingWrite>& batch);
  Result<LogEntry> ReadEntry(const std::string& log_id);

  RocksDbStoreOptions options_;
  uint64_t reserve_bytes_ = 0;    // resolved from options_ at Open
  std::unique_ptr<DataDir> dir_;  // locked for the store's life; outlives the file systems
  std::shared_ptr<rocksdb::Cache> cache_;
  std::shared_ptr<InfoLog> info_log_;
  // What db_ does its file I/O through; outlives every db_ (declared before it).
  std::shared_ptr<ZeroedWalFileSystem> wal_fs_;  // logs zero-filled ahead
  std::unique_ptr<rocksdb::Env> env_;
  // Retention's cutoff, and the compaction filter of the entries family that
  // drops what is older (outlive every db_: declared before it).
  std::atomic<int64_t> expired_before_ms_{INT64_MIN};
  std::unique_ptr<rocksdb::CompactionFilter> expired_filter_;
  bool log_is_zeroed_ = false;  // RocksDB's current log came from wal_fs_; writer thread only
  // db_, the handles, db_read_only_ and db_identity_ change only on the
  // writer thread (recovering by reopening), under an exclusive db_mu_;
  // reader threads hold it shared.
  util::SharedMutex db_mu_;
  std::unique_ptr<rocksdb::DB> db_;
  bool db_read_only_ = false;
  std::string db_identity_;  // RocksDB's DB id once a database was opened; never changes then
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, entries, index
  rocksdb::ColumnFamilyHandle* entries_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_cf_ = nullptr;  // store/index_format.h
  // Set once the database has its key (at Open, or at the first writable
  // open after a start with no database), then immutable. Append reads it
  // only while healthy_, which is set after it; readers under db_mu_.
  std::optional<IdCodec> ids_;

  // Writer thread only; UpdateHealth() turns them into healthy_ and reason_.
  bool failed_ = false;    // a write or recovery failed; retried every second
  bool disk_low_ = false;  // free space under the reserve
  bool dir_lost_ = false;  // the data dir vanished; never cleared
  std::chrono::steady_clock::time_point next_monitor_{};
  // The last successful write, and whether FlushIfIdle has flushed since, or
  // found nothing worth a flush.
  std::chrono::steady_clock::time_point last_write_{};
  bool idle_handled_ = true;
  mutable util::Mutex reason_mu_;
  std::string reason_ GUARDED_BY(reason_mu_);  // UnhealthyReason()

  util::Mutex queue_mu_;
  util::CondVar queue_cv_;  // queue_ gained writes, or closing_ set
  std::vector<PendingWrite> queue_ GUARDED_BY(queue_mu_);
  size_t queued_entries_ GUARDED_BY(queue_mu_) = 0;  // in queue_ (options_.max_queued_writes)
  bool closing_ GUARDED_BY(queue_mu_) = false;
  std::atomic<uint64_t> next_seq_{0};  // taken under queue_mu_ (Reserve)
  // Segment -> numbers taken and not yet written: a segment is sealed only
  // once it has none (so no entry of it is written after its file).
  std::map<uint64_t, uint64_t> unwritten_ GUARDED_BY(queue_mu_);
  // The first number of each Reserve not yet written or given up: the
  // smallest is the watermark.
  std::set<uint64_t> reserved_ GUARDED_BY(queue_mu_);
  std::thread writer_;

  // Live tail: the entries written lately (store/tail_buffer.h), kept from
  // the first Follow until none came for 5 minutes; tailing_ mirrors
  // tail_.active() for the writer's cheap check, changed under queue_mu_
  // and tail_mu_ (taken in that order).
  util::Mutex tail_mu_;
  TailBuffer tail_ GUARDED_BY(tail_mu_){size_t{64} << 20};
  std::atomic<bool> tailing_{false};
  std::atomic<int64_t> last_follow_{0};  // steady clock, ms

  util::Mutex segments_mu_;
  std::map<uint64_t, index::SegmentSummary> segments_ GUARDED_BY(segments_mu_);

  // The sets of the segments not sealed yet. Searches copy the map with
  // their snapshot, both under pending_mu_; Seal drops a segment after its
  // file is ingested, so a search finds its sets in memory or on disk.
  util::Mutex pending_mu_;
  std::map<uint64_t, std::shared_ptr<index::PendingSegment>> pending_ GUARDED_BY(pending_mu_);
  // Writer thread (and Open): the newest segment with entries; a newer one
  // is kept in memory from its first entry.
  std::optional<uint64_t> newest_segment_;
  std::set<uint64_t> sealing_ GUARDED_BY(pending_mu_);  // handed to SealInBackground
  std::chrono::steady_clock::time_point next_seal_attempt_ GUARDED_BY(pending_mu_){};

  util::Mutex window_mu_;
  RecentWindow window_ GUARDED_BY(window_mu_){kRecentLimit};

  // AppendOnce keys whose write is queued and not yet reported: a second
  // call with one is kInProgress (its record is not on disk yet). One per
  // AppendOnce call in progress (32 bytes each).
  util::Mutex once_mu_;
  std::set<std::string> once_in_flight_ GUARDED_BY(once_mu_);

  std::unique_ptr<util::ThreadPool> readers_;
  std::atomic<bool> healthy_{false};
  std::atomic<bool> closed_{false};

  // Retention: entries before expired_before_ms_ (declared with db_) are
  // deleted or being deleted, and hidden from every read; the thread sleeps
  // on retention_cv_.
  std::atomic<uint64_t> retention_deleted_{0};
  util::Mutex retention_mu_;
  util::CondVar retention_cv_;
  bool retention_stop_ GUARDED_BY(retention_mu_) = false;
  std::atomic<bool> retention_canceled_{false};                        // Close(): stop a compaction
  std::chrono::steady_clock::time_point next_retention_compaction_{};  // retention thread only
  std::thread retention_;
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_ROCKSDB_STORE_H_
