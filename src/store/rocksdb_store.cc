#include "store/rocksdb_store.h"

#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>

#include "core/uuid.h"
#include "store/entry_codec.h"
#include "util/log.h"

namespace logsvc::store {
namespace {

constexpr char kEntriesCf[] = "entries";
constexpr char kIdsCf[] = "ids";
constexpr char kNextSeqKey[] = "next_seq";
constexpr auto kResumeInterval = std::chrono::seconds(1);

rocksdb::CompressionType BestCompression() {
  auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  }
  return rocksdb::kNoCompression;
}

// Memory is bounded by design: two 32 MiB memtables per column family at most
// and one 32 MiB block cache, so RSS stays well under 200 MB at any size.
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

Status Unavailable(const rocksdb::Status& s) {
  return Status::Unavailable("the RocksDB store failed: " + s.ToString());
}

}  // namespace

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const RocksDbStoreOptions& options) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 3;
  if (options.env) db_options.env = options.env;

  auto cache = rocksdb::NewLRUCache(32 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, CfOptions(cache, true)},
      {kEntriesCf, CfOptions(cache, false)},
      {kIdsCf, CfOptions(cache, true)},
  };

  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, cfs, &store->handles_, &db);
  if (!s.ok()) {
    return Status::Unavailable("cannot open data dir '" + options.path + "': " + s.ToString());
  }
  store->db_.reset(db);
  store->entries_cf_ = store->handles_[1];
  store->ids_cf_ = store->handles_[2];
  store->max_queued_writes_ = options.max_queued_writes;
  if (Status st = store->LoadState(); !st.ok()) return st;

  store->healthy_ = true;
  store->readers_ = std::make_unique<util::ThreadPool>(options.reader_threads);
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

Status RocksDbStore::LoadState() {
  std::string value;
  rocksdb::Status s = db_->Get({}, handles_[0], kNextSeqKey, &value);
  if (s.ok()) {
    if (!DecodeU64(value, &next_seq_)) return Status::Internal("corrupt sequence counter");
  } else if (!s.IsNotFound()) {
    return Unavailable(s);
  }

  // Fill the window with the newest entries on disk.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, entries_cf_));
  std::lock_guard lock(window_mu_);
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
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  if (db_) db_->Close();
  db_.reset();
}

void RocksDbStore::Append(LogEntry entry, AppendCallback done) {
  {
    std::unique_lock lock(queue_mu_);
    if (closing_) {
      lock.unlock();
      return done(Status::Unavailable("the store is closing"));
    }
    if (queue_.size() >= max_queued_writes_) {
      lock.unlock();
      return done(Status::Unavailable("too many writes are waiting for the disk"));
    }
    queue_.push_back({std::move(entry), std::move(done)});
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
    if (!healthy_) {
      // After a failed write RocksDB refuses writes until resumed; try again
      // now (at least once a second) so the service recovers by itself.
      rocksdb::Status s = db_->Resume();
      if (s.ok()) {
        healthy_ = true;
        log::Info("store recovered");
      }
    }
    if (!batch.empty()) WriteBatchOf(batch);
    batch.clear();
  }
}

void RocksDbStore::WriteBatchOf(std::vector<PendingWrite>& batch) {
  const uint64_t first_seq = next_seq_;
  rocksdb::WriteBatch wb;
  std::vector<TimeKey> keys;
  keys.reserve(batch.size());
  for (auto& pw : batch) {
    auto id = uuid::Parse(pw.entry.log_id);
    TimeKey key{pw.entry.timestamp_ms, next_seq_++};
    std::string time_key = EncodeTimeKey(key);
    wb.Put(entries_cf_, time_key, EncodeEntry(*id, pw.entry));
    wb.Put(ids_cf_, rocksdb::Slice(reinterpret_cast<const char*>(id->data()), id->size()),
           time_key);
    keys.push_back(key);
  }
  wb.Put(handles_[0], kNextSeqKey, EncodeU64(next_seq_));

  rocksdb::WriteOptions wo;
  wo.sync = true;  // a 201 means the WAL is on disk
  rocksdb::Status s = db_->Write(wo, &wb);
  if (!s.ok()) {
    next_seq_ = first_seq;
    if (healthy_.exchange(false)) log::Error("store write failed").Str("error", s.ToString());
    for (auto& pw : batch) pw.done(Unavailable(s));
    return;
  }
  {
    std::lock_guard lock(window_mu_);
    for (size_t i = 0; i < batch.size(); ++i) window_.Insert(keys[i], batch[i].entry);
  }
  for (auto& pw : batch) pw.done(Status::Ok());
}

void RocksDbStore::Recent(size_t limit, ListCallback done) {
  if (closed_) return done(Status::Unavailable("the store is closed"));
  std::vector<LogEntry> entries;
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
  auto not_found = [&] { return Status::NotFound("No log entry has id '" + log_id + "'."); };
  auto id = uuid::Parse(log_id);
  if (!id) return not_found();
  std::string time_key, value;
  rocksdb::Status s = db_->Get(
      {}, ids_cf_, rocksdb::Slice(reinterpret_cast<const char*>(id->data()), id->size()),
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
