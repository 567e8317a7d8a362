#include "store/rocksdb_store.h"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "core/uuid.h"
#include "store/entry_codec.h"
#include "util/log.h"

namespace logsvc::store {
namespace {

constexpr char kEntriesCf[] = "entries";
constexpr char kIdsCf[] = "ids";
constexpr char kEpochKey[] = "epoch";
constexpr int kEpochShift = 40;  // 2^40 entries per open, 2^24 opens
constexpr auto kResumeInterval = std::chrono::seconds(1);

rocksdb::CompressionType BestCompression() {
  auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  }
  return rocksdb::kNoCompression;
}

// Memory is bounded by design: two memtables per column family at most (32 MiB,
// 8 MiB for ids) and one 32 MiB block cache: RSS stays well under 200 MB at any size.
rocksdb::ColumnFamilyOptions CfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                       bool point_lookups) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = 32 << 20;
  cf.max_write_buffer_number = 2;
  cf.compression = BestCompression();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

// The ids family maps a log id (16 random bytes) to its entry's key, and is
// only read by point lookups. With the default skiplist memtable, inserting
// random keys (a dozen cache misses each) was the writer thread's largest
// cost; a hash memtable inserts in constant time and pays for the order once,
// when a flush sorts it on a background thread. It finds a key's bucket
// through the prefix extractor, here the whole key. A smaller memtable keeps
// that sort in cache: 8 MiB holds ~110,000 ids, hence 2^17 buckets.
// Measured, 10 s of wrk -t2 -c64 on fresh data dirs: skiplist 45-50k
// requests/s at 19-21 us of server CPU each; this 51-55k at 18-19.5 us.
rocksdb::ColumnFamilyOptions IdsCfOptions(const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf = CfOptions(cache, true);
  cf.write_buffer_size = 8 << 20;
  cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(sizeof(uuid::Bytes)));
  cf.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(1 << 17));
  // Random ids, and time keys in random order: LZ4 found little to save and
  // cost a third of the background threads' CPU while ingesting.
  cf.compression = rocksdb::kNoCompression;
  return cf;
}

Status Unavailable(const rocksdb::Status& s) {
  return Status::Unavailable("the RocksDB store failed: " + s.ToString());
}

}  // namespace

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const RocksDbStoreOptions& options) {
  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  store->options_ = options;
  if (Status s = store->OpenDb(); !s.ok()) return s;
  if (Status s = store->LoadState(); !s.ok()) return s;
  store->healthy_ = true;
  store->readers_ = std::make_unique<util::ThreadPool>(options.reader_threads);
  store->writer_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "logsvc-writer");
    s->WriterLoop();
  });
  return store;
}

Status RocksDbStore::OpenDb() {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 3;
  // One thread writes; the ids family's hash memtable needs this off.
  db_options.allow_concurrent_memtable_write = false;
  if (options_.env) db_options.env = options_.env;

  if (!cache_) cache_ = rocksdb::NewLRUCache(32 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, CfOptions(cache_, true)},
      {kEntriesCf, CfOptions(cache_, false)},
      {kIdsCf, IdsCfOptions(cache_)},
  };
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options_.path, cfs, &handles_, &db);
  if (!s.ok()) {
    return Status::Unavailable("cannot open data dir '" + options_.path + "': " + s.ToString());
  }
  db_.reset(db);
  entries_cf_ = handles_[1];
  ids_cf_ = handles_[2];
  return Status::Ok();
}

void RocksDbStore::CloseDb() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  entries_cf_ = ids_cf_ = nullptr;
  if (db_) db_->Close();
  db_.reset();
}

void RocksDbStore::TryRecover() {
  // Some failures (a full disk during a flush) clear with Resume(); a failed
  // WAL write is fatal to the open instance and needs a reopen. Acknowledged
  // entries are safe either way: their WAL records were synced.
  std::unique_lock lock(db_mu_);  // keeps reader threads off db_ meanwhile
  if (db_ && db_->Resume().ok()) {
    healthy_ = true;
    log::Info("store recovered").Str("how", "resume");
    return;
  }
  if (db_) CloseDb();
  Status s = OpenDb();
  if (s.ok()) s = LoadState();
  if (s.ok()) {
    healthy_ = true;
    log::Info("store recovered").Str("how", "reopen");
  } else if (db_) {
    CloseDb();  // LoadState failed: keep trying from a clean slate
  }
}

Status RocksDbStore::LoadState() {
  // Sequence numbers are epoch << kEpochShift | counter, the epoch being one
  // more at every open (synced before any write). So they only grow, across
  // restarts too, without writing a counter with every batch.
  std::string value;
  uint64_t epoch = 0;
  rocksdb::Status s = db_->Get({}, handles_[0], kEpochKey, &value);
  if (s.ok()) {
    if (!DecodeU64(value, &epoch)) return Status::Internal("corrupt epoch record");
  } else if (!s.IsNotFound()) {
    return Unavailable(s);
  }
  ++epoch;
  rocksdb::WriteOptions synced;
  synced.sync = true;
  s = db_->Put(synced, handles_[0], kEpochKey, EncodeU64(epoch));
  if (!s.ok()) return Unavailable(s);
  {
    std::lock_guard lock(queue_mu_);
    next_seq_ = epoch << kEpochShift;
  }

  // Fill the window with the newest entries on disk.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, entries_cf_));
  std::lock_guard lock(window_mu_);
  window_ = RecentWindow(kRecentLimit);
  for (it->SeekToLast(); it->Valid() && window_.size() < kRecentLimit; it->Prev()) {
    auto entry = DecodeEntry(it->key().ToStringView(), it->value().ToStringView());
    if (!entry.ok()) return entry.status();
    TimeKey key;
    DecodeTimeKey(it->key().ToStringView(), &key);
    window_.Insert(key, std::move(entry).value());
  }
  if (!it->status().ok()) return Unavailable(it->status());
  return Status::Ok();
}

RocksDbStore::~RocksDbStore() { Close(); }

void RocksDbStore::Close() {
  if (closed_.exchange(true)) return;
  {
    std::lock_guard lock(queue_mu_);
    closing_ = true;
  }
  queue_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
  readers_.reset();  // runs the reads already queued
  std::unique_lock lock(db_mu_);
  if (db_) CloseDb();
}

void RocksDbStore::Append(LogEntry entry, AppendCallback done) {
  {
    std::unique_lock lock(queue_mu_);
    if (closing_) {
      lock.unlock();
      return done(Status::Unavailable("the store is closing"));
    }
    if (queue_.size() >= options_.max_queued_writes) {
      lock.unlock();
      return done(Status::Unavailable("too many writes are waiting for the disk"));
    }
    queue_.push_back({std::move(entry), std::move(done)});
  }
  queue_cv_.notify_one();
}

void RocksDbStore::WriterLoop() {
  std::vector<PendingWrite> batch;
  uint64_t first_seq = 0;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait_for(lock, kResumeInterval, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && closing_) return;
      batch.swap(queue_);
      first_seq = next_seq_;
      next_seq_ += batch.size();
    }
    // After a failure, try to recover at least once a second, so the
    // service heals by itself once the disk does.
    if (!healthy_) TryRecover();
    if (batch.empty()) continue;
    if (!healthy_) {
      for (auto& pw : batch) pw.done(Status::Unavailable("the store is recovering from a failure"));
    } else {
      WriteBatchOf(batch, first_seq);
    }
    batch.clear();
  }
}

void RocksDbStore::WriteBatchOf(std::vector<PendingWrite>& batch, uint64_t first_seq) {
  uint64_t seq = first_seq;
  rocksdb::WriteBatch wb;
  std::vector<TimeKey> keys;
  keys.reserve(batch.size());
  for (auto& pw : batch) {
    auto id = uuid::Parse(pw.entry.log_id);
    TimeKey key{pw.entry.timestamp_ms, seq++};
    std::string time_key = EncodeTimeKey(key);
    wb.Put(entries_cf_, time_key, EncodeEntry(*id, pw.entry));
    wb.Put(ids_cf_, rocksdb::Slice(reinterpret_cast<const char*>(id->data()), id->size()),
           time_key);
    keys.push_back(key);
  }

  rocksdb::WriteOptions wo;
  wo.sync = true;                           // a 201 means the WAL is on disk
  rocksdb::Status s = db_->Write(wo, &wb);  // db_ is ours: only this thread replaces it
  if (!s.ok()) {
    if (healthy_.exchange(false)) log::Error("store write failed").Str("error", s.ToString());
    for (auto& pw : batch) pw.done(Unavailable(s));
    return;
  }
  {
    std::lock_guard lock(window_mu_);
    // Moved, not copied: after the write only the callbacks are needed.
    for (size_t i = 0; i < batch.size(); ++i) window_.Insert(keys[i], std::move(batch[i].entry));
  }
  for (auto& pw : batch) pw.done(Status::Ok());
}

void RocksDbStore::Recent(size_t limit, ListCallback done) {
  if (closed_) return done(Status::Unavailable("the store is closed"));
  EntryList entries;
  {
    std::lock_guard lock(window_mu_);
    entries = window_.Newest(limit);
  }
  done(std::move(entries));
}

void RocksDbStore::Get(std::string log_id, GetCallback done) {
  if (closed_) return done(Status::Unavailable("the store is closed"));
  readers_->Submit([this, id = std::move(log_id), done = std::move(done)] { done(ReadEntry(id)); });
}

Result<LogEntry> RocksDbStore::ReadEntry(const std::string& log_id) {
  auto not_found = [&] { return EntryNotFound(log_id); };
  auto id = uuid::Parse(log_id);
  if (!id) return not_found();
  std::shared_lock lock(db_mu_);
  if (!db_) return Status::Unavailable("the store is recovering from a failure");
  std::string time_key, value;
  rocksdb::Status s =
      db_->Get({}, ids_cf_, rocksdb::Slice(reinterpret_cast<const char*>(id->data()), id->size()),
               &time_key);
  if (s.IsNotFound()) return not_found();
  if (!s.ok()) return Unavailable(s);
  s = db_->Get({}, entries_cf_, time_key, &value);
  if (s.IsNotFound()) return not_found();
  if (!s.ok()) return Unavailable(s);
  return DecodeEntry(time_key, value);
}

bool RocksDbStore::Healthy() const { return healthy_ && !closed_; }

}  // namespace logsvc::store
