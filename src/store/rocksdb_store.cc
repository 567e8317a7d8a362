#include "store/rocksdb_store.h"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "core/uuid.h"
#include "store/entry_codec.h"
#include "store/zeroed_wal_file_system.h"
#include "util/log.h"

namespace logsvc::store {
namespace {

constexpr char kEntriesCf[] = "entries";
constexpr char kIdsCf[] = "ids";
constexpr char kEpochKey[] = "epoch";
constexpr char kIdKeyKey[] = "id-key";
constexpr int kEpochShift = 40;  // 2^40 entries per open, 2^24 opens
constexpr auto kResumeInterval = std::chrono::seconds(1);
constexpr size_t kMemtableBytes = 32 << 20;

rocksdb::CompressionType BestCompression() {
  auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  }
  return rocksdb::kNoCompression;
}

// Memory is bounded by design: two 32 MiB memtables per column family at most
// and one 32 MiB block cache: RSS stays well under 200 MB at any size.
rocksdb::ColumnFamilyOptions CfOptions(const std::shared_ptr<rocksdb::Cache>& cache,
                                       bool point_lookups) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = kMemtableBytes;
  cf.max_write_buffer_number = 2;
  cf.compression = BestCompression();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (point_lookups) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
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
  if (Status s = store->LoadIdKey(); !s.ok()) return s;
  if (Status s = store->LoadState(); !s.ok()) return s;
  store->StartOnZeroedLog();
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
  // A log is deleted only once every family with data in it has flushed, and
  // the default family gets one small write per open: without a limit, logs
  // would pile up to 4x the memtables (768 MiB) before RocksDB flushes it.
  db_options.max_total_wal_size = 2 * kMemtableBytes;
  if (!env_) {
    std::shared_ptr<rocksdb::FileSystem> fs =
        options_.env ? options_.env->GetFileSystem() : rocksdb::FileSystem::Default();
    wal_fs_ = std::make_shared<ZeroedWalFileSystem>(std::move(fs), kMemtableBytes);
    env_ = rocksdb::NewCompositeEnv(wal_fs_);
  }
  db_options.env = env_.get();

  if (!cache_) cache_ = rocksdb::NewLRUCache(32 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, CfOptions(cache_, true)},
      {kEntriesCf, CfOptions(cache_, false)},
      {kIdsCf, CfOptions(cache_, true)},
  };
  rocksdb::DB* db = nullptr;
  const uint64_t zeroed_before = wal_fs_->zeroed_logs();
  rocksdb::Status s = rocksdb::DB::Open(db_options, options_.path, cfs, &handles_, &db);
  log_is_zeroed_ = wal_fs_->zeroed_logs() > zeroed_before;
  if (!s.ok()) {
    return Status::Unavailable("cannot open data dir '" + options_.path + "': " + s.ToString());
  }
  db_.reset(db);
  entries_cf_ = handles_[1];
  ids_cf_ = handles_[2];
  return Status::Ok();
}

void RocksDbStore::StartOnZeroedLog() {
  // A new data dir has no spare when RocksDB opens its first log, so that log
  // would be an ordinary file for its first ~26 MB of entries. Make a spare
  // now (we hold the DB's lock) and flush the default family, which LoadState
  // has just written to: RocksDB then starts its next log, from the spare.
  if (log_is_zeroed_) return;
  if (wal_fs_->PrepareSpare(options_.path) && db_->Flush({}, handles_[0]).ok()) {
    log_is_zeroed_ = true;
  }
}

void RocksDbStore::CloseDb() {
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  entries_cf_ = ids_cf_ = nullptr;
  wal_fs_->WaitForSpare();  // see ZeroedWalFileSystem::PrepareSpare
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
    StartOnZeroedLog();
    healthy_ = true;
    log::Info("store recovered").Str("how", "reopen");
  } else if (db_) {
    CloseDb();  // LoadState failed: keep trying from a clean slate
  }
}

Status RocksDbStore::LoadIdKey() {
  // Made once per data dir: ids stay valid for as long as their entries.
  IdCodec::Key key;
  std::string value;
  rocksdb::Status s = db_->Get({}, handles_[0], kIdKeyKey, &value);
  if (s.ok() && value.size() == key.size()) {
    std::copy(value.begin(), value.end(), key.begin());
  } else if (s.IsNotFound()) {
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
      return Status::Unavailable("the system's random number generator failed");
    }
    rocksdb::WriteOptions synced;
    synced.sync = true;
    s = db_->Put(synced, handles_[0], kIdKeyKey,
                 rocksdb::Slice(reinterpret_cast<const char*>(key.data()), key.size()));
    if (!s.ok()) return Unavailable(s);
  } else {
    return s.ok() ? Status::Internal("corrupt id key record") : Unavailable(s);
  }
  auto codec = IdCodec::Create(key);
  if (!codec.ok()) return codec.status();
  ids_.emplace(std::move(codec).value());
  return Status::Ok();
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
  // Appends racing with a reopen may still take numbers of the old epoch:
  // those are unique too, and below every number of the new one.
  next_seq_ = epoch << kEpochShift;

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
  // The key and id are made here, on the caller's thread, so that the
  // encryption runs in parallel and the single writer thread only writes.
  const TimeKey key{entry.timestamp_ms, next_seq_.fetch_add(1, std::memory_order_relaxed)};
  const auto id = ids_->Encode(key);
  if (!id) return done(Status::Internal("the entry's timestamp is before 1970"));
  entry.log_id = uuid::Format(*id);
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
    queue_.push_back({std::move(entry), key, *id, std::move(done)});
  }
  queue_cv_.notify_one();
}

void RocksDbStore::WriterLoop() {
  std::vector<PendingWrite> batch;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait_for(lock, kResumeInterval, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && closing_) return;
      batch.swap(queue_);
    }
    // After a failure, try to recover at least once a second, so the
    // service heals by itself once the disk does.
    if (!healthy_) TryRecover();
    if (batch.empty()) continue;
    if (!healthy_) {
      for (auto& pw : batch) pw.done(Status::Unavailable("the store is recovering from a failure"));
    } else {
      WriteBatchOf(batch);
    }
    batch.clear();
  }
}

void RocksDbStore::WriteBatchOf(std::vector<PendingWrite>& batch) {
  rocksdb::WriteBatch wb;
  for (auto& pw : batch) wb.Put(entries_cf_, EncodeTimeKey(pw.key), EncodeEntry(pw.id, pw.entry));

  rocksdb::WriteOptions wo;
  wo.sync = true;                           // a 201 means the WAL is on disk
  rocksdb::Status s = db_->Write(wo, &wb);  // db_ is ours: only this thread replaces it
  if (!s.ok()) {
    if (healthy_.exchange(false)) log::Error("store write failed").Str("error", s.ToString());
    for (auto& pw : batch) pw.done(Unavailable(s));
    return;
  }
  std::vector<std::string> ids;
  ids.reserve(batch.size());
  {
    std::lock_guard lock(window_mu_);
    // Moved, not copied: after the write only the callbacks and ids are needed.
    for (auto& pw : batch) {
      ids.push_back(pw.entry.log_id);
      window_.Insert(pw.key, std::move(pw.entry));
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(ids[i]));
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
  // Most UUIDs decrypt to a key that was never issued; and a key is found
  // only with the id it was stored with.
  std::string time_key = EncodeTimeKey(ids_->Decode(*id)), value;
  rocksdb::Status s = db_->Get({}, entries_cf_, time_key, &value);
  if (s.ok() && IdOfEntry(value) == *id) return DecodeEntry(time_key, value);
  if (!s.ok() && !s.IsNotFound()) return Unavailable(s);

  // Entries from before ids were encrypted keys are found through their index.
  s = db_->Get({}, ids_cf_, rocksdb::Slice(reinterpret_cast<const char*>(id->data()), id->size()),
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
