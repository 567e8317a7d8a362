#include "store/rocksdb_store.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "core/datetime.h"
#include "core/uuid.h"
#include "store/data_dir.h"
#include "store/entry_codec.h"
#include "store/follow_reader.h"
#include "store/guarded_file_system.h"
#include "store/index_builder.h"
#include "store/index_merge.h"
#include "store/index_search.h"
#include "store/info_log.h"
#include "store/once_record.h"
#include "store/zeroed_wal_file_system.h"
#include "util/log.h"

namespace logsvc::store {
namespace {

constexpr char kEntriesCf[] = "entries";
constexpr char kIndexCf[] = "index";
// Set once every entry is in the index (data dirs from before the index get
// theirs built at the first writable open).
constexpr char kIndexVersionKey[] = "index-version";
constexpr char kIndexVersion[] = "2";  // 2: sets keyed by segment first, sealed
constexpr size_t kReindexBatch = 16384;
// A group commit of at least this many entries is acknowledged on a reader
// thread (WriteBatchOf).
constexpr size_t kAckOnReaderThread = 256;
// A batch of at least this many entries is prepared on a reader thread.
constexpr size_t kPrepareOnReaderThread = 256;
constexpr char kRetiredIdsCf[] = "ids";  // see OpenDb
constexpr char kEpochKey[] = "epoch";
constexpr char kIdKeyKey[] = "id-key";
constexpr int kEpochShift = 40;  // 2^40 entries per open, 2^24 opens
constexpr auto kMonitorInterval = std::chrono::seconds(1);
constexpr size_t kMemtableBytes = 32 << 20;
constexpr int kMaxOpenFiles = 256;
constexpr uint64_t kInfoLogBytes = 16 << 20;
// A writable open that fails with less free space than this failed for want
// of room (ENOSPC), not because the data dir is unusable.
constexpr uint64_t kFullDiskBytes = 4 << 20;

rocksdb::CompressionType BestCompression() {
  // zstd: log text compresses about twice as well as with LZ4, and reads
  // decompress a block (16 KiB) at a time.
  auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kZSTD, rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  }
  return rocksdb::kNoCompression;
}

enum class Family { kDefault, kEntries, kIndex };

// Retention's deletion of entries: a compaction drops every entry older
// than the store's cutoff (a TimeKey begins with its timestamp). Not range
// deletions: RocksDB (7.8) gives a range tombstone the memtable insert hint
// of the point keys (memtable_insert_with_hint_prefix_extractor, below), a
// splice of another skip list, and fails an assertion (or corrupts memory).
class ExpiredEntriesFilter : public rocksdb::CompactionFilter {
 public:
  explicit ExpiredEntriesFilter(const std::atomic<int64_t>* cutoff_ms) : cutoff_ms_(cutoff_ms) {}
  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& /*value*/,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    TimeKey k;
    return DecodeTimeKey(key.ToStringView(), &k) && k.timestamp_ms < cutoff_ms_->load();
  }
  const char* Name() const override { return "logsvc.ExpiredEntriesFilter.v1"; }

 private:
  const std::atomic<int64_t>* cutoff_ms_;
};

// Memory is bounded by design: two 32 MiB memtables per column family at most
// and one 32 MiB block cache: RSS stays well under 300 MB at any size.
rocksdb::ColumnFamilyOptions CfOptions(const std::shared_ptr<rocksdb::Cache>& cache, Family family,
                                       const rocksdb::CompactionFilter* entries_filter = nullptr) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = kMemtableBytes;
  cf.max_write_buffer_number = 2;
  cf.compression = BestCompression();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Point lookups (ids, index records) skip tables by a bloom filter; the
  // entries family is read by key ranges and single keys of known tables.
  // (Ribbon: the false positives of a 10-bit bloom filter in about 30% less
  // space; the index has a key per distinct word of every segment.)
  if (family != Family::kEntries) table.filter_policy.reset(rocksdb::NewRibbonFilterPolicy(10));
  // Index keys share their segment prefix: full keys less often.
  if (family == Family::kIndex) table.block_restart_interval = 32;
  if (family != Family::kDefault) table.block_size = 16 << 10;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (family == Family::kIndex) {
    cf.merge_operator = std::make_shared<index::IndexMergeOperator>();
  }
  if (family == Family::kDefault) {
    // Idempotency records past their window go with the next compaction.
    static const OnceRecordFilter once_filter;
    cf.compaction_filter = &once_filter;
  }
  if (family == Family::kEntries) {
    cf.compaction_filter = entries_filter;
    // A batch's keys mostly ascend (its entries' times, then their numbers):
    // each insert starts from where the last one went instead of searching
    // the memtable's skip list from the top. The search was a third of the
    // writer thread's time under bulk ingest (perf).
    cf.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  }
  if (family == Family::kEntries && cf.compression == rocksdb::kZSTD) {
    // Messages repeat their templates: with a zstd dictionary per table
    // (made from samples of it), 15% fewer bytes than plain zstd on the
    // benchmark's corpus for 10% more time (sst_dump recompress of a
    // 269,000-entry table at level 3: 10.03 MB in 0.22 s plain; 8.50 MB in
    // 0.24 s with a dictionary finalized from 1 MB of samples; 8.44 MB in
    // 0.29 s with zstd's trainer, which took a quarter of flush time in perf;
    // level 6 would save 6% more for 2.5x the time).
    // At every level, flushes included: entries arrive in time order, so
    // most tables are moved down the levels without being rewritten (trivial
    // moves) and keep the compression they were flushed with.
    cf.compression_opts.level = 3;
    cf.compression_opts.max_dict_bytes = 64 << 10;
    cf.compression_opts.zstd_max_train_bytes = 1 << 20;
    cf.compression_opts.use_zstd_dict_trainer = false;
    // The table's first blocks are held in memory until the dictionary is
    // made from them, and RocksDB charges them to the block cache (32 MiB,
    // shared): 4 MiB, so that a flush and a compaction at once take a
    // quarter of it, not all of it. 4 MiB of log lines hold every template
    // many times over.
    cf.compression_opts.max_dict_buffer_bytes = 4 << 20;
  }
  return cf;
}

Status Unavailable(const rocksdb::Status& s) {
  return Status::Unavailable("the RocksDB store failed: " + s.ToString());
}

}  // namespace

Result<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const RocksDbStoreOptions& options) {
  std::unique_ptr<RocksDbStore> store(new RocksDbStore());
  store->options_ = options;
  store->expired_filter_ = std::make_unique<ExpiredEntriesFilter>(&store->expired_before_ms_);
  auto dir = DataDir::Open(options.path);
  if (!dir.ok()) return dir.status();
  store->dir_ = std::move(dir).value();
  auto space = store->dir_->Space();
  if (!space.ok()) return space.status();
  store->reserve_bytes_ =
      std::max(options.min_free_bytes,
               static_cast<uint64_t>(options.min_free_fraction *
                                     static_cast<double>(space.value().total_bytes)));
  store->info_log_ = InfoLog::Open(options.path, kInfoLogBytes,
                                   [d = store->dir_.get()] { return d->Check().ok(); });

  // On a disk under the reserve, RocksDB must not write (opening writes a
  // new log, the options file, the manifest): open what is there read-only.
  // A writable open can still meet a full disk that the reserve did not
  // foresee (another process filling it): read-only then too.
  Status opened = Status::Unavailable("");
  if (store->CheckDiskSpace(/*quiet=*/true)) {
    opened = store->OpenWritable();
    auto now = store->dir_->Space();
    const bool disk_full = now.ok() && now.value().free_bytes < kFullDiskBytes;
    if (!opened.ok() && !disk_full) return opened;  // unusable for another reason
  }
  if (!opened.ok()) {
    store->failed_ = !store->disk_low_;
    if (Status s = store->OpenDb(/*read_only=*/true); s.ok()) {
      if (Status k = store->LoadIdKey(true); !k.ok()) return k;
      if (Status w = store->FillWindow(); !w.ok()) return w;
    } else if (s.code() != Status::Code::kNotFound) {
      return s;
    }  // else: no database yet; one is made once there is room
  }
  store->UpdateHealth();  // the caller says why it is not healthy, if it is not
  store->readers_ = std::make_unique<util::ThreadPool>(options.reader_threads);
  store->writer_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "logsvc-writer");
    s->WriterLoop();
  });
  if (options.retention_ms > 0 || options.max_disk_bytes > 0) {
    store->retention_ = std::thread([s = store.get()] {
      pthread_setname_np(pthread_self(), "logsvc-retain");
      s->RetentionLoop();
    });
  }
  return store;
}

int64_t RocksDbStore::VisibleFromMs() const {
  int64_t from = expired_before_ms_.load();
  if (options_.retention_ms > 0) from = std::max(from, NowUnixMillis() - options_.retention_ms);
  return from;
}

void RocksDbStore::RetentionLoop() {
  for (;;) {
    {
      util::MutexLock lock(&retention_mu_);
      const auto until = std::chrono::steady_clock::now() + options_.retention_every;
      while (!retention_stop_ && retention_cv_.WaitUntil(&retention_mu_, until)) {
      }
      if (retention_stop_) return;
    }
    int64_t cutoff =
        options_.retention_ms > 0 ? NowUnixMillis() - options_.retention_ms : INT64_MIN;
    // Over the disk bound: a segment's time range at a time, measured again
    // after each (a compaction in between gives the space back).
    for (int rounds = 0; rounds < 16; ++rounds) {
      const int64_t bound = CutoffForDiskBound();
      if (bound <= std::max(cutoff, expired_before_ms_.load())) break;
      const uint64_t bytes = DiskBytes();
      // A round that frees nothing (the rest is logs, not entries) ends it.
      if (!DeleteExpired(bound) || DiskBytes() >= bytes) break;
    }
    if (cutoff > INT64_MIN) DeleteExpired(cutoff);
  }
}

int64_t RocksDbStore::CutoffForDiskBound() {
  if (options_.max_disk_bytes == 0 || DiskBytes() <= options_.max_disk_bytes) return INT64_MIN;
  // The oldest segment with entries not yet expired: everything up to its
  // newest entry goes.
  // Never a segment still in memory (the newest, being written): what the
  // bound deletes is sealed, older data, never what was just acknowledged.
  const int64_t expired = expired_before_ms_.load();
  std::set<uint64_t> in_memory;
  {
    util::MutexLock lock(&pending_mu_);
    for (const auto& [segment, pending] : pending_) in_memory.insert(segment);
  }
  util::MutexLock lock(&segments_mu_);
  for (const auto& [segment, summary] : segments_) {
    if (summary.total() == 0 || summary.max_ms < expired) continue;
    if (in_memory.count(segment)) return INT64_MIN;
    return summary.max_ms == INT64_MAX ? INT64_MAX : summary.max_ms + 1;
    // (segments are numbered in ingest order: the first is the oldest)
  }
  return INT64_MIN;
}

bool RocksDbStore::DeleteExpired(int64_t cutoff_ms) {
  util::ReaderLock lock(&db_mu_);
  // Nothing can be deleted (no database, or a read-only one on a full
  // disk): nothing is hidden either, and the next pass tries again.
  if (!db_ || db_read_only_ || !entries_cf_ || !index_cf_) return false;
  // Hidden from reads first: a read never sees what is about to go. Raised
  // only here, where the deletion can proceed, and kept on a failure: what
  // is hidden is what the next pass deletes (its compaction filter drops
  // everything before it).
  int64_t before = expired_before_ms_.load();
  while (before < cutoff_ms && !expired_before_ms_.compare_exchange_weak(before, cutoff_ms)) {
  }
  // The deletion that gives the space back: with only time to go by, at
  // most once a minute (or half the retention, if shorter), since each one
  // rewrites the table that straddles the cutoff; until then, hidden only.
  const auto now = std::chrono::steady_clock::now();
  if (options_.max_disk_bytes == 0 && now < next_retention_compaction_) return true;
  const std::string begin = EncodeTimeKey({INT64_MIN, 0});
  const std::string end = EncodeTimeKey({cutoff_ms, 0});
  // Counted before they go (a walk of the keys, on this thread: ingest does
  // not wait for it).
  uint64_t count = 0;
  {
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = nullptr;
    rocksdb::Slice upper(end);
    ro.iterate_upper_bound = &upper;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, entries_cf_));
    for (it->Seek(begin); it->Valid(); it->Next()) ++count;
  }
  // Whole table files in the range go at once; the compaction of the range
  // (below) drops the rest (ExpiredEntriesFilter), and the disk shrinks.
  const rocksdb::Slice b(begin), e(end);
  rocksdb::Status s = count == 0 ? rocksdb::Status::OK()
                                 : rocksdb::DeleteFilesInRange(db_.get(), entries_cf_, &b, &e);
  rocksdb::WriteOptions wo;
  // The index of every sealed segment wholly before the cutoff.
  std::vector<uint64_t> dropped;
  {
    util::MutexLock segments_lock(&segments_mu_);
    util::MutexLock pending_lock(&pending_mu_);
    for (const auto& [segment, summary] : segments_) {
      if (summary.max_ms < cutoff_ms && !pending_.count(segment) && !sealing_.count(segment)) {
        dropped.push_back(segment);
      }
    }
  }
  for (uint64_t segment : dropped) {
    if (!s.ok()) break;
    rocksdb::WriteBatch wb;
    wb.Delete(index_cf_, index::SegmentKey(segment));
    wb.DeleteRange(index_cf_, index::TimesKey(segment, 0), index::TimesKey(segment + 1, 0));
    wb.DeleteRange(index_cf_, index::SegmentTermsBegin(segment),
                   index::SegmentTermsBegin(segment + 1));
    s = db_->Write(wo, &wb);
    if (s.ok()) {
      util::MutexLock segments_lock(&segments_mu_);
      segments_.erase(segment);
    }
  }
  // The compaction of the range (closing the store cancels it).
  const bool compact = count > 0;
  if (s.ok() && compact) {
    next_retention_compaction_ =
        now + std::chrono::milliseconds(options_.retention_ms > 0
                                            ? std::min<int64_t>(60000, options_.retention_ms / 2)
                                            : 0);
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    co.exclusive_manual_compaction = false;  // automatic compactions go on
    co.canceled = &retention_canceled_;
    s = db_->CompactRange(co, entries_cf_, &b, &e);
    if (!dropped.empty()) {
      // The three key ranges of the dropped segments: summaries, times pages, sets.
      const uint64_t first = dropped.front(), last = dropped.back() + 1;
      const std::string ranges[][2] = {
          {index::SegmentKey(first), index::SegmentKey(last)},
          {index::TimesKey(first, 0), index::TimesKey(last, 0)},
          {index::SegmentTermsBegin(first), index::SegmentTermsBegin(last)}};
      for (const auto& [from, to] : ranges) {
        const rocksdb::Slice f(from), t(to);
        if (s.ok()) s = db_->CompactRange(co, index_cf_, &f, &t);
      }
    }
  }
  if (!s.ok()) {
    if (!retention_canceled_) {
      log::Error("retention could not delete old entries; retried later")
          .Str("error", s.ToString());
    }
    return false;
  }
  if (!compact) return true;
  retention_deleted_ += count;
  log::Info("retention deleted old entries")
      .Int("entries", static_cast<int64_t>(count))
      .Int("before_ms", cutoff_ms)
      .Int("index_segments", static_cast<int64_t>(dropped.size()));
  return true;
}

Status RocksDbStore::OpenWritable() {
  Status s = OpenDb(/*read_only=*/false);
  if (s.ok() && !ids_) s = LoadIdKey(false);
  if (s.ok()) s = BumpEpoch();
  if (s.ok()) s = BuildIndex();
  if (s.ok()) s = FillWindow();
  if (!s.ok()) {
    if (db_) CloseDb();
    return s;
  }
  StartOnZeroedLog();
  failed_ = false;
  return s;
}

Status RocksDbStore::OpenDb(bool read_only) {
  rocksdb::DBOptions db_options;
  // A database is created only where there was none when the store opened:
  // never in place of one that vanished while it ran (see TryRecover).
  db_options.create_if_missing = db_identity_.empty() && !read_only;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  // Bounded, so that --max-connections can count on the rest of the
  // descriptors (RocksDB's default keeps every table file open).
  db_options.max_open_files = kMaxOpenFiles;
  db_options.info_log = info_log_;
  // A log is deleted only once every family with data in it has flushed, and
  // the default family gets one small write per open: without a limit, logs
  // would pile up to 4x the memtables (768 MiB) before RocksDB flushes it.
  db_options.max_total_wal_size = 2 * kMemtableBytes;
  if (!env_) {
    std::shared_ptr<rocksdb::FileSystem> fs =
        options_.env ? options_.env->GetFileSystem() : rocksdb::FileSystem::Default();
    auto guarded = std::make_shared<GuardedFileSystem>(std::move(fs), *dir_);
    wal_fs_ =
        std::make_shared<ZeroedWalFileSystem>(std::move(guarded), kMemtableBytes, reserve_bytes_);
    env_ = rocksdb::NewCompositeEnv(wal_fs_);
  }
  db_options.env = env_.get();

  if (!cache_) cache_ = rocksdb::NewLRUCache(32 << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {
      {rocksdb::kDefaultColumnFamilyName, CfOptions(cache_, Family::kDefault)},
      {kEntriesCf, CfOptions(cache_, Family::kEntries, expired_filter_.get())},
      {kIndexCf, CfOptions(cache_, Family::kIndex)},
  };
  // What the data dir holds: RocksDB opens only with every family named. The
  // retired "ids" family (written by development versions before log ids
  // were encrypted keys) is opened to be dropped.
  std::vector<std::string> names;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, options_.path, &names);
  const auto has = [&](std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  if (has(kRetiredIdsCf)) cfs.push_back({kRetiredIdsCf, CfOptions(cache_, Family::kEntries)});
  rocksdb::DB* db = nullptr;
  const uint64_t zeroed_before = wal_fs_->zeroed_logs();
  rocksdb::Status s;
  if (read_only) {
    if (!listed.ok()) {
      return Status::NotFound("no database in data dir '" + options_.path + "' yet");
    }
    // A data dir made before a family existed lacks it; read-only cannot add it.
    std::erase_if(cfs, [&](const rocksdb::ColumnFamilyDescriptor& d) { return !has(d.name); });
    s = rocksdb::DB::OpenForReadOnly(db_options, options_.path, cfs, &handles_, &db);
  } else {
    s = rocksdb::DB::Open(db_options, options_.path, cfs, &handles_, &db);
  }
  log_is_zeroed_ = !read_only && wal_fs_->zeroed_logs() > zeroed_before;
  if (!s.ok()) {
    return Status::Unavailable("cannot open data dir '" + options_.path + "': " + s.ToString());
  }
  std::string identity;
  if (rocksdb::Status id = db->GetDbIdentity(identity); id.ok() && db_identity_.empty()) {
    db_identity_ = identity;
  }
  db_.reset(db);  // TryRecover holds db_mu_; Open runs before any reader
  db_read_only_ = read_only;
  auto family = [&](const char* name) -> rocksdb::ColumnFamilyHandle* {
    for (auto* h : handles_) {
      if (h->GetName() == name) return h;
    }
    return nullptr;
  };
  entries_cf_ = family(kEntriesCf);
  index_cf_ = family(kIndexCf);
  if (!read_only) {
    dir_->Pin();  // RocksDB holds the LOCK now
    if (auto* retired = family(kRetiredIdsCf); retired && db_->DropColumnFamily(retired).ok()) {
      db_->DestroyColumnFamilyHandle(retired);
      std::erase(handles_, retired);
    }
  }
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
  {
    // Rebuilt from the entries when a database is opened again.
    util::MutexLock lock(&pending_mu_);
    pending_.clear();
    sealing_.clear();
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  entries_cf_ = nullptr;
  index_cf_ = nullptr;
  wal_fs_->WaitForSpare();  // see ZeroedWalFileSystem::PrepareSpare
  if (db_) db_->Close();
  db_.reset();
}

void RocksDbStore::TryRecover() {
  // Some failures (a full disk during a flush) clear with Resume(); a failed
  // WAL write is fatal to the open instance and needs a reopen. Acknowledged
  // entries are safe either way: their WAL records were synced.
  util::WriterLock lock(&db_mu_);  // keeps reader threads off db_ meanwhile
  if (db_ && !db_read_only_ && db_->Resume().ok()) {
    failed_ = false;
    log::Info("store recovered").Str("how", "resume");
    return;
  }
  // Reopen only the database this store opened: a data dir whose IDENTITY
  // differs (or is gone) holds another database, or none, now.
  if (!db_identity_.empty()) {
    std::string identity;
    rocksdb::Status s =
        rocksdb::ReadFileToString(rocksdb::Env::Default(), options_.path + "/IDENTITY", &identity);
    while (!identity.empty() && (identity.back() == '\n' || identity.back() == '\r')) {
      identity.pop_back();
    }
    if (!s.ok() || identity != db_identity_) {
      failed_ = true;
      return;
    }
  }
  if (db_) CloseDb();
  const bool had_database = !db_identity_.empty();
  Status s = OpenWritable();
  if (s.ok()) {
    log::Info("store recovered").Str("how", had_database ? "reopen" : "create");
    return;
  }
  failed_ = true;
  // Serve reads meanwhile from what is there.
  if (had_database && OpenDb(/*read_only=*/true).ok()) (void)FillWindow();
}

Status RocksDbStore::LoadIdKey(bool read_only) {
  // Made once per data dir: ids stay valid for as long as their entries.
  IdCodec::Key key;
  std::string value;
  rocksdb::Status s = db_->Get({}, handles_[0], kIdKeyKey, &value);
  if (s.ok() && value.size() == key.size()) {
    std::copy(value.begin(), value.end(), key.begin());
  } else if (s.IsNotFound()) {
    if (read_only) return Status::Ok();  // no entries can have ids yet
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

Status RocksDbStore::BumpEpoch() {
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
  return Status::Ok();
}

Status RocksDbStore::FillWindow() {
  // The newest entries on disk.
  util::MutexLock lock(&window_mu_);
  window_ = RecentWindow(kRecentLimit);
  if (!entries_cf_) return Status::Ok();  // read-only, made before the family existed
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, entries_cf_));
  for (it->SeekToLast(); ids_ && it->Valid() && window_.size() < kRecentLimit; it->Prev()) {
    auto entry = DecodeEntryWithId(it->key().ToStringView(), it->value().ToStringView(), *ids_);
    if (!entry.ok()) return entry.status();
    TimeKey key;
    DecodeTimeKey(it->key().ToStringView(), &key);
    window_.Insert(key, std::move(entry).value());
  }
  if (!it->status().ok()) return Unavailable(it->status());
  if (Status s = LoadSegments(); !s.ok()) return s;
  return RebuildUnsealed();
}

Status RocksDbStore::LoadSegments() {
  // The segment summaries: what a search consults before reading any set.
  std::map<uint64_t, index::SegmentSummary> segments;
  if (index_cf_) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, index_cf_));
    const std::string first = index::SegmentKey(0);
    for (it->Seek(first); it->Valid() && it->key().starts_with({first.data(), 1}); it->Next()) {
      uint64_t segment;
      index::SegmentSummary summary;
      if (!index::ParseSegmentKey(it->key().ToStringView(), &segment) ||
          !index::DecodeSummary(it->value().ToStringView(), &summary)) {
        return Status::Internal("corrupt segment summary in the search index");
      }
      segments.emplace(segment, summary);
    }
    if (!it->status().ok()) return Unavailable(it->status());
  }
  util::MutexLock lock(&segments_mu_);
  segments_ = std::move(segments);
  return Status::Ok();
}

Status RocksDbStore::BuildIndex() {
  // Data dirs written before the search index existed: index what they hold
  // once, in batches, then mark the index complete (in the same write as its
  // last batch, so a crash midway starts over, from an empty index).
  // An index of another version is built again the same way.
  std::string version;
  rocksdb::Status s = db_->Get({}, handles_[0], kIndexVersionKey, &version);
  if (s.ok() && version == kIndexVersion) return Status::Ok();
  if (!s.ok() && !s.IsNotFound()) return Unavailable(s);
  {
    // What a build cut short wrote goes first: summaries add up, so building
    // over them would count those entries twice.
    std::unique_ptr<rocksdb::Iterator> any(db_->NewIterator({}, index_cf_));
    any->SeekToFirst();
    if (!any->status().ok()) return Unavailable(any->status());
    if (any->Valid()) {
      s = db_->DeleteRange({}, index_cf_, "", index::kKeysEnd);
      if (!s.ok()) return Unavailable(s);
    }
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, entries_cf_));
  size_t indexed = 0;
  index::IndexBuilder builder;
  size_t in_builder = 0;
  std::set<uint64_t> segments;
  auto flush = [&](bool last) -> Status {
    rocksdb::WriteBatch wb;
    for (const auto& [segment, summary] : builder.summaries()) segments.insert(segment);
    builder.WriteTo(&wb, index_cf_);
    if (last) {
      // Every set is written (through the merge operator): all sealed.
      for (uint64_t segment : segments) wb.Put(index_cf_, index::SealKey(segment), "");
      wb.Put(handles_[0], kIndexVersionKey, kIndexVersion);
    }
    rocksdb::WriteOptions synced;
    synced.sync = last;
    rocksdb::Status w = db_->Write(synced, &wb);
    builder = index::IndexBuilder();
    in_builder = 0;
    return w.ok() ? Status::Ok() : Unavailable(w);
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto entry = DecodeEntry(it->key().ToStringView(), it->value().ToStringView());
    if (!entry.ok()) return entry.status();
    TimeKey key;
    DecodeTimeKey(it->key().ToStringView(), &key);
    builder.Add(key, entry.value());
    ++indexed;
    if (++in_builder == kReindexBatch) {
      if (Status f = flush(false); !f.ok()) return f;
    }
  }
  if (!it->status().ok()) return Unavailable(it->status());
  if (Status f = flush(true); !f.ok()) return f;
  if (indexed > 0) log::Info("search index built").Int("entries", static_cast<int64_t>(indexed));
  return Status::Ok();
}

Status RocksDbStore::RebuildUnsealed() {
  // The sets of a segment that was not sealed (the newest of the last run,
  // or one whose sealing failed) were in memory only: made again from its
  // times pages (its ordinals and their timestamps, so its entries' keys)
  // and its entries. Then sealed, on a writable open.
  std::map<uint64_t, std::shared_ptr<index::PendingSegment>> rebuilt;
  const auto segments = SegmentsSnapshot();
  for (const auto& [segment, summary] : segments) {
    std::string value;
    rocksdb::Status s = db_->Get({}, index_cf_, index::SealKey(segment), &value);
    if (s.ok()) continue;
    if (!s.IsNotFound()) return Unavailable(s);
    index::IndexBuilder builder;
    std::vector<index::TimePoint> points;
    for (uint32_t page = 0; page < index::kPagesPerSegment; ++page) {
      s = db_->Get({}, index_cf_, index::TimesKey(segment, page), &value);
      if (s.IsNotFound()) continue;
      if (!s.ok()) return Unavailable(s);
      if (!index::DecodeTimes(value, &points)) {
        return Status::Internal("corrupt times page in the search index");
      }
      for (const index::TimePoint& p : points) {
        const TimeKey key{p.timestamp_ms, index::SeqOf(segment, p.ordinal)};
        const std::string k = EncodeTimeKey(key);
        s = db_->Get({}, entries_cf_, k, &value);
        if (s.IsNotFound()) continue;
        if (!s.ok()) return Unavailable(s);
        auto entry = DecodeEntry(k, value);
        if (!entry.ok()) return entry.status();
        builder.Add(key, entry.value());
      }
    }
    auto pending = std::make_shared<index::PendingSegment>(segment);
    pending->Add(builder.TakeSets(segment));
    rebuilt.emplace(segment, std::move(pending));
  }
  newest_segment_ = segments.empty() ? std::nullopt : std::optional(segments.back().first);
  {
    util::MutexLock lock(&pending_mu_);
    pending_ = rebuilt;
  }
  if (!db_read_only_) {
    for (const auto& [segment, pending] : rebuilt) Seal(pending);
  }
  return Status::Ok();
}

bool RocksDbStore::Seal(const std::shared_ptr<index::PendingSegment>& pending) {
  // One table file of the segment's sets, sorted, ingested: no memtable
  // insert, and (the segment's keys being one range no other file has) it
  // goes to the last level at once, so it is never compacted again.
  const std::string path =
      options_.path + "/seal-" + std::to_string(pending->segment()) + ".sst.tmp";
  rocksdb::Options options(rocksdb::DBOptions(), CfOptions(cache_, Family::kIndex));
  options.env = env_.get();
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, index_cf_);
  rocksdb::Status s = writer.Open(path);
  if (s.ok()) {
    pending->ForEachRecord([&](const std::string& key, const std::string& value) {
      if (s.ok()) s = writer.Put(key, value);
    });
  }
  if (s.ok()) s = writer.Finish();
  if (s.ok()) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    s = db_->IngestExternalFile(index_cf_, {path}, ingest);
  }
  if (!s.ok()) {
    env_->DeleteFile(path).PermitUncheckedError();
    // Still searchable from memory; tried again after later writes and at
    // the next open.
    log::Warn("search index: sealing a segment failed; it stays in memory")
        .Int("segment", static_cast<int64_t>(pending->segment()))
        .Str("error", s.ToString());
    return false;
  }
  util::MutexLock lock(&pending_mu_);
  pending_.erase(pending->segment());
  return true;
}

void RocksDbStore::SealOlderSegments() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<index::PendingSegment>> older;
  {
    util::MutexLock lock(&pending_mu_);
    if (now < next_seal_attempt_) return;
    for (const auto& [segment, pending] : pending_) {
      if (segment < newest_segment_.value_or(0) && !sealing_.count(segment)) {
        older.push_back(pending);
      }
    }
  }
  {
    // Not while a number of the segment is taken and its entry not yet
    // written: the entry's sets would come after the segment's file.
    util::MutexLock lock(&queue_mu_);
    const auto* unwritten = &unwritten_;  // held: the analysis does not follow into the lambda
    std::erase_if(older, [&](const auto& p) { return unwritten->count(p->segment()) > 0; });
  }
  for (auto& pending : older) {
    {
      util::MutexLock lock(&pending_mu_);
      sealing_.insert(pending->segment());
    }
    // On a reader thread: a seal takes some 100 ms of sorting and writing,
    // which the writer (and every client waiting on it) would otherwise wait.
    readers_->Submit([this, pending = std::move(pending)] { SealInBackground(pending); });
  }
}

void RocksDbStore::SealInBackground(const std::shared_ptr<index::PendingSegment>& pending) {
  util::ReaderLock db_lock(&db_mu_);  // the writer may not reopen db_ meanwhile
  {
    // Reopened since (CloseDb clears pending_): the new database sealed or
    // rebuilt its own copy of the segment.
    util::MutexLock lock(&pending_mu_);
    auto it = pending_.find(pending->segment());
    if (it == pending_.end() || it->second != pending || !db_ || db_read_only_) {
      sealing_.erase(pending->segment());
      return;
    }
  }
  const bool sealed = Seal(pending);
  util::MutexLock lock(&pending_mu_);
  sealing_.erase(pending->segment());
  if (!sealed) next_seal_attempt_ = std::chrono::steady_clock::now() + kMonitorInterval;
}

std::vector<std::pair<uint64_t, index::SegmentSummary>> RocksDbStore::SegmentsSnapshot() {
  util::MutexLock lock(&segments_mu_);
  return {segments_.begin(), segments_.end()};
}

bool RocksDbStore::CheckDiskSpace(bool quiet) {
  // Writes stop under the reserve and resume a little above it, so that the
  // space a flush frees does not turn writes on and off by the second.
  auto space = dir_->Space();
  if (!space.ok()) return !disk_low_;  // keep the last verdict
  const uint64_t free = space.value().free_bytes;
  const uint64_t resume_at = reserve_bytes_ + std::min<uint64_t>(reserve_bytes_ / 16, 16 << 20);
  if (!disk_low_ && free < reserve_bytes_) {
    disk_low_ = true;
    if (quiet) return false;
    log::Warn("disk space under the reserve: refusing writes until there is room")
        .Str("data_dir", options_.path)
        .Int("free_bytes", static_cast<int64_t>(free))
        .Int("min_free_bytes", static_cast<int64_t>(reserve_bytes_));
  } else if (disk_low_ && free >= resume_at) {
    disk_low_ = false;
    log::Info("disk space back over the reserve: taking writes again")
        .Str("data_dir", options_.path)
        .Int("free_bytes", static_cast<int64_t>(free));
  }
  return !disk_low_;
}

void RocksDbStore::Monitor() {
  if (!dir_lost_) {
    if (Status s = dir_->Check(); !s.ok()) {
      dir_lost_ = true;
      log::Error("data dir lost: refusing writes; restart logsvc once the data dir is back")
          .Str("data_dir", options_.path)
          .Str("reason", s.message());
    }
  }
  CheckDiskSpace(false);
  const bool writable = db_ && !db_read_only_;
  if (!dir_lost_ && !disk_low_ && (failed_ || !writable)) TryRecover();
  FlushIfIdle();
}

void RocksDbStore::FlushIfIdle() {
  // healthy_ is brought up to date only after Monitor: read what it is made of.
  if (idle_handled_ || failed_ || disk_low_ || dir_lost_ || !db_ || db_read_only_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_write_ < options_.idle_flush_after) return;
  // Decided once an idle period: until the next write, nothing it looks at
  // grows.
  idle_handled_ = true;
  // Not for a few entries in the current log alone: a flush starts a new
  // log, which takes the zero-filled spare, and another 32 MiB of zeros is
  // written for the next. But older logs, kept because some family still
  // has their data in memory, are worth it whatever the amount.
  uint64_t in_memory = 0;
  for (auto* cf : {entries_cf_, index_cf_}) {
    uint64_t bytes = 0;
    if (cf && db_->GetIntProperty(cf, rocksdb::DB::Properties::kCurSizeAllMemTables, &bytes)) {
      in_memory += bytes;
    }
  }
  if (in_memory < options_.idle_flush_min_bytes) {
    rocksdb::VectorLogPtr logs;
    if (!db_->GetSortedWalFiles(logs).ok() || logs.size() <= 1) return;
  }
  // Not waited for: a write that comes meanwhile goes to the new memtable. A
  // flush that fails later is a background error: the next write fails and
  // the store recovers as from any other (TryRecover).
  rocksdb::FlushOptions flush;
  flush.wait = false;
  flush.allow_write_stall = true;
  if (rocksdb::Status s = db_->Flush(flush, handles_); !s.ok()) {
    log::Warn("idle flush failed; trying again after another idle period")
        .Str("error", s.ToString());
    last_write_ = now;
    idle_handled_ = false;
  }
}

void RocksDbStore::UpdateHealth() {
  std::string why;
  if (dir_lost_) {
    why = "the data dir '" + options_.path + "' was removed or replaced while the server ran";
  } else if (disk_low_) {
    why = "the data dir's disk has less free space than the reserve of " +
          std::to_string(reserve_bytes_) + " bytes";
  } else if (!db_ || db_read_only_ || failed_) {
    why = "the store is recovering from a failure";
  }
  // Runs before every group commit: while healthy, nothing changes.
  if (why.empty() && healthy_) return;
  {
    util::MutexLock lock(&reason_mu_);
    reason_ = why;
  }
  healthy_ = why.empty();
}

std::string RocksDbStore::UnhealthyReason() const {
  if (closed_) return "the store is closed";
  util::MutexLock lock(&reason_mu_);
  return reason_;
}

RocksDbStore::~RocksDbStore() { Close(); }

void RocksDbStore::Close() {
  if (closed_.exchange(true)) return;
  {
    util::MutexLock lock(&retention_mu_);
    retention_stop_ = true;
  }
  retention_canceled_ = true;  // a retention compaction in progress stops
  retention_cv_.Signal();
  if (retention_.joinable()) retention_.join();
  {
    util::MutexLock lock(&queue_mu_);
    closing_ = true;
  }
  queue_cv_.Signal();
  if (writer_.joinable()) writer_.join();
  readers_.reset();  // runs the reads already queued
  util::WriterLock lock(&db_mu_);
  if (db_) CloseDb();
}

size_t RocksDbStore::QueuedEntries() {
  util::MutexLock lock(&queue_mu_);
  return queued_entries_;
}

uint64_t RocksDbStore::DiskBytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(options_.path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const uintmax_t size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

uint64_t RocksDbStore::Reserve(size_t n) {
  util::MutexLock lock(&queue_mu_);
  const uint64_t first = next_seq_.fetch_add(n, std::memory_order_relaxed);
  CountUnwritten(first, n, +1);
  return first;
}

void RocksDbStore::CountUnwritten(uint64_t first, size_t n, int sign) {
  if (sign > 0) {
    reserved_.insert(first);
  } else {
    reserved_.erase(first);
  }
  // At most two segments a call: a batch is far smaller than a segment.
  for (uint64_t seq = first, end = first + n; seq < end;) {
    const uint64_t segment = index::SegmentOf(seq);
    const uint64_t next = std::min(end, index::SeqOf(segment + 1, 0));
    auto& count = unwritten_[segment];
    count = sign > 0 ? count + (next - seq) : count - (next - seq);
    if (count == 0) unwritten_.erase(segment);
    seq = next;
  }
}

uint64_t RocksDbStore::Watermark() {
  util::MutexLock lock(&queue_mu_);
  return reserved_.empty() ? next_seq_.load(std::memory_order_relaxed) : *reserved_.begin();
}

void RocksDbStore::Append(LogEntry entry, AppendCallback done) {
  // Refused at once while the store cannot write (a disk under its reserve,
  // a lost data dir, a failure being retried): nothing is queued.
  if (!healthy_) return done(Status::Unavailable(UnhealthyReason()));
  const uint64_t seq = Reserve(1);
  // The key and id are made on the caller's thread, so that the encryption
  // runs in parallel and the single writer thread only writes.
  const TimeKey key{entry.timestamp_ms, seq};
  const auto id = ids_->Encode(key);
  if (id) entry.log_id = uuid::Format(*id);
  {
    util::MutexLock lock(&queue_mu_);
    const char* refused = !id        ? "the entry's timestamp is before 1970"
                          : closing_ ? "the store is closing"
                          : queued_entries_ >= options_.max_queued_writes
                              ? "too many writes are waiting for the disk"
                              : nullptr;
    if (refused) {
      CountUnwritten(seq, 1, -1);
      lock.Unlock();
      return done(id ? Status::Unavailable(refused) : Status::Internal(refused));
    }
    PendingWrite pw{{}, {key}, std::move(done), nullptr};
    pw.entries.push_back(std::move(entry));
    queue_.push_back(std::move(pw));
    ++queued_entries_;
  }
  queue_cv_.Signal();
}

void RocksDbStore::AppendBatch(std::vector<LogEntry> entries, BatchCallback done) {
  if (!healthy_) return done(Status::Unavailable(UnhealthyReason()));
  if (entries.empty()) return done(std::vector<std::string>());
  // Numbers are taken here, in call order (entries of one millisecond are
  // kept in the order they came in).
  const uint64_t first = Reserve(entries.size());
  if (entries.size() < kPrepareOnReaderThread) {
    return QueueBatch(std::move(entries), first, std::move(done));
  }
  // Ids and index records take microseconds an entry: a large batch is
  // prepared on a reader thread, not on the caller's (an I/O thread, which
  // has other connections to serve).
  readers_->Submit([this, entries = std::move(entries), first, done = std::move(done)]() mutable {
    QueueBatch(std::move(entries), first, std::move(done));
  });
}

void RocksDbStore::AppendOnce(IdempotentWrite once, std::vector<LogEntry> entries,
                              OnceCallback done) {
  if (!healthy_) return done(Status::Unavailable(UnhealthyReason()));
  if (entries.empty() || entries.size() > kMaxBatchEntries || once.fingerprint.size() != 32) {
    return done(Status::Internal("AppendOnce takes 1 to 10,000 entries and a 32-byte fingerprint"));
  }
  readers_->Submit([this, once = std::move(once), entries = std::move(entries),
                    done = std::move(done)]() mutable {
    AppendOnceNow(std::move(once), std::move(entries), std::move(done));
  });
}

void RocksDbStore::AppendOnceNow(IdempotentWrite once, std::vector<LogEntry> entries,
                                 OnceCallback done) {
  {
    util::MutexLock lock(&once_mu_);
    if (!once_in_flight_.insert(once.key).second) {
      lock.Unlock();
      return done(OnceResult{OnceResult::Outcome::kInProgress, {}, {}});
    }
  }
  // Frees the key once its write is reported (or was never queued), however
  // this call ends.
  auto release = std::shared_ptr<void>(nullptr, [this, key = once.key](void*) {
    util::MutexLock lock(&once_mu_);
    once_in_flight_.erase(key);
  });
  // Decided under db_mu_, reported after it: callbacks never run under the lock.
  std::optional<Result<OnceResult>> answer;
  {
    util::ReaderLock lock(&db_mu_);
    std::string value;
    rocksdb::Status s = !db_ || !ids_ ? rocksdb::Status::Aborted()
                                      : db_->Get({}, handles_[0], OnceRecordKey(once.key), &value);
    OnceRecord record;
    if (!db_ || !ids_) {
      answer = Status::Unavailable("the store has no database open");
    } else if (!s.ok() && !s.IsNotFound()) {
      answer = Unavailable(s);
    } else if (s.ok() && DecodeOnceRecord(value, &record) &&
               NowUnixMillis() - record.written_ms <= kIdempotencyWindowMs) {
      // The same request parses to the same entries (a fingerprint is of the
      // body), but a format's rules may depend on the clock (a record ten
      // minutes ahead): another count is another request.
      if (record.fingerprint != once.fingerprint || record.keys.size() != entries.size()) {
        answer = OnceResult{OnceResult::Outcome::kOtherRequest, {}, {}};
      } else {
        OnceResult replay{OnceResult::Outcome::kReplayed, {}, {}};
        const auto ids = ids_->EncodeMany(record.keys);
        for (size_t i = 0; i < record.keys.size() && ids[i]; ++i) {
          replay.ids.push_back(uuid::Format(*ids[i]));
          replay.timestamps_ms.push_back(record.keys[i].timestamp_ms);
        }
        answer = replay.ids.size() == record.keys.size()
                     ? Result<OnceResult>(std::move(replay))
                     : Result<OnceResult>(
                           Status::Internal("an idempotency record names a key without id"));
      }
    }
  }
  if (answer) return done(std::move(*answer));
  std::vector<int64_t> timestamps;
  timestamps.reserve(entries.size());
  for (const LogEntry& e : entries) timestamps.push_back(e.timestamp_ms);
  const uint64_t first = Reserve(entries.size());
  QueueBatch(
      std::move(entries), first,
      [release = std::move(release), timestamps = std::move(timestamps),
       done = std::move(done)](Result<std::vector<std::string>> ids) mutable {
        release.reset();  // the record is on disk (or nothing is): the key is free
        if (!ids.ok()) return done(ids.status());
        done(OnceResult{OnceResult::Outcome::kStored, std::move(ids).value(),
                        std::move(timestamps)});
      },
      &once);
}

void RocksDbStore::QueueBatch(std::vector<LogEntry> entries, uint64_t first, BatchCallback done,
                              const IdempotentWrite* once) {
  auto state = std::make_shared<BatchState>();
  // The keys and ids all at once (IdCodec::EncodeMany), on this thread.
  std::vector<TimeKey> keys;
  keys.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) keys.push_back({entries[i].timestamp_ms, first + i});
  const auto ids = ids_->EncodeMany(keys);
  const bool prepared =
      std::all_of(ids.begin(), ids.end(), [](const auto& id) { return id.has_value(); });
  if (prepared) {
    state->ids.reserve(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      state->ids.push_back(uuid::Format(*ids[i]));
      state->index.Add(keys[i], entries[i]);
    }
  }
  if (once != nullptr && prepared) {
    state->once_key = OnceRecordKey(once->key);
    state->once_value = EncodeOnceRecord(OnceRecord{once->fingerprint, NowUnixMillis(), keys});
  }
  {
    util::MutexLock lock(&queue_mu_);
    const char* refused = !prepared  ? "an entry's timestamp is before 1970"
                          : closing_ ? "the store is closing"
                          : queued_entries_ + entries.size() > options_.max_queued_writes
                              ? "too many writes are waiting for the disk"
                              : nullptr;
    if (refused) {
      CountUnwritten(first, entries.size(), -1);
      lock.Unlock();
      return done(prepared ? Status::Unavailable(refused) : Status::Internal(refused));
    }
    state->done = std::move(done);
    queued_entries_ += entries.size();
    queue_.push_back(PendingWrite{std::move(entries), std::move(keys), nullptr, std::move(state)});
  }
  queue_cv_.Signal();
}

namespace {

// Reports the outcome of one queued write (an Append or a batch) to its callback.
template <typename PW>
void Report(PW& pw, const Status* error) {
  if (!pw.batch) return error ? pw.done(*error) : pw.done(std::move(pw.entries[0].log_id));
  if (error) return pw.batch->done(*error);
  pw.batch->done(std::move(pw.batch->ids));
}

}  // namespace

void RocksDbStore::Unreserve(const std::vector<PendingWrite>& batch) {
  util::MutexLock lock(&queue_mu_);
  // Each write's numbers are one Reserve's.
  for (const auto& pw : batch) CountUnwritten(pw.keys.front().seq, pw.keys.size(), -1);
}

void RocksDbStore::WriterLoop() {
  std::vector<PendingWrite> batch;
  for (;;) {
    {
      util::MutexLock lock(&queue_mu_);
      const auto deadline = std::chrono::steady_clock::now() + kMonitorInterval;
      while (!closing_ && queue_.empty() && queue_cv_.WaitUntil(&queue_mu_, deadline)) {
      }
      if (queue_.empty() && closing_) return;
      batch.swap(queue_);
      queued_entries_ = 0;
    }
    // At least once a second: is the data dir still ours, is there room, can
    // a failure be recovered from? So the service heals by itself (and turns
    // unhealthy by itself) even while nothing is written.
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_monitor_) {
      next_monitor_ = now + kMonitorInterval;
      Monitor();
      StopTailIfIdle();
    } else if (!batch.empty()) {
      CheckDiskSpace(false);  // one statvfs per group commit: before RocksDB meets a full disk
    }
    UpdateHealth();
    if (batch.empty()) continue;
    if (!healthy_) {
      const std::string why = UnhealthyReason();
      const Status error = Status::Unavailable(why);
      Unreserve(batch);
      for (auto& pw : batch) Report(pw, &error);
    } else {
      WriteBatchOf(batch);
    }
    batch.clear();
    SealOlderSegments();
  }
}

void RocksDbStore::WriteBatchOf(std::vector<PendingWrite>& batch) {
  // The entries and their index records in one WriteBatch: after a crash the
  // index holds exactly the entries that were written. The sets of the
  // newest segment go to memory once written (store/pending_segment.h).
  rocksdb::WriteBatch wb;
  index::IndexBuilder single;  // single Appends'; batches come with theirs
  std::vector<index::IndexBuilder*> builders;
  size_t entries = 0;
  std::string key, value;  // reused: one allocation per group, not two an entry
  for (auto& pw : batch) {
    entries += pw.entries.size();
    for (size_t i = 0; i < pw.entries.size(); ++i) {
      key.clear();
      value.clear();
      AppendTimeKey(pw.keys[i], &key);
      AppendEntry(pw.entries[i], &value);
      wb.Put(entries_cf_, key, value);
    }
    if (!pw.batch) {
      single.Add(pw.keys[0], pw.entries[0]);
    } else {
      builders.push_back(&pw.batch->index);
      // An AppendOnce's record: in the same atomic write as its entries.
      if (!pw.batch->once_key.empty()) wb.Put(pw.batch->once_key, pw.batch->once_value);
    }
  }
  if (!single.empty()) builders.push_back(&single);
  std::map<uint64_t, index::SegmentSummary> summaries;
  for (const auto* b : builders) {
    for (const auto& [segment, summary] : b->summaries()) summaries[segment].Add(summary);
  }
  std::map<uint64_t, std::shared_ptr<index::PendingSegment>> in_memory;
  {
    util::MutexLock lock(&pending_mu_);
    for (const auto& [segment, summary] : summaries) {
      auto it = pending_.find(segment);
      if (it == pending_.end() && (!newest_segment_ || segment > *newest_segment_)) {
        // A new segment: in memory from its first entry on. An entry of an
        // older, sealed one (its number taken just before the new one's and
        // queued just after) is merged into its sets on disk.
        it = pending_.emplace(segment, std::make_shared<index::PendingSegment>(segment)).first;
      }
      if (it != pending_.end()) in_memory.emplace(segment, it->second);
    }
  }
  if (!summaries.empty()) {
    const uint64_t newest = summaries.rbegin()->first;
    if (!newest_segment_ || newest > *newest_segment_) newest_segment_ = newest;
  }
  for (const auto* b : builders) {
    b->WriteTo(&wb, index_cf_, [&](uint64_t segment) { return in_memory.count(segment) > 0; });
  }
  {
    // Time ranges widen before the write, counts grow after it: a search
    // that takes its snapshot, then copies the summaries, finds every entry
    // of the snapshot within its segment's range (index::SearchContext).
    util::MutexLock lock(&segments_mu_);
    for (const auto& [segment, summary] : summaries) {
      index::SegmentSummary range = summary;
      range.count = {};
      segments_[segment].Add(range);
    }
  }

  rocksdb::WriteOptions wo;
  wo.sync = true;  // a 201 means the WAL is on disk
  const auto write_start = std::chrono::steady_clock::now();
  rocksdb::Status s = db_->Write(wo, &wb);  // db_ is ours: only this thread replaces it
  if (options_.metrics && s.ok()) {
    options_.metrics->GroupCommit(
        entries,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count());
  }
  if (!s.ok()) {
    if (!failed_) log::Error("store write failed").Str("error", s.ToString());
    failed_ = true;
    // A log deleted under us (GuardedFileSystem): find out why at once.
    next_monitor_ = {};
    UpdateHealth();
    const Status error = Unavailable(s);
    Unreserve(batch);
    for (auto& pw : batch) Report(pw, &error);
    return;
  }
  last_write_ = std::chrono::steady_clock::now();
  idle_handled_ = false;
  {
    util::MutexLock lock(&segments_mu_);
    for (const auto& [segment, summary] : summaries) segments_[segment].Add(summary);
  }
  // Follow sets it (and starts the buffer) under queue_mu_, through which
  // this group came: every write numbered from the buffer's start sees it.
  const bool tailing = tailing_.load(std::memory_order_acquire);
  {
    util::MutexLock lock(&window_mu_);
    // Moved, not copied: after the write only the callbacks and ids are
    // needed (unless a live tail keeps them, below). Only the entries that can be among the
    // window's newest: a batch's newest kRecentLimit (the window keeps no more).
    for (auto& pw : batch) {
      std::vector<size_t> order(pw.entries.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      if (order.size() > kRecentLimit) {
        const auto newer = [&](size_t a, size_t b) { return pw.keys[b] < pw.keys[a]; };
        std::nth_element(order.begin(), order.begin() + kRecentLimit, order.end(), newer);
        order.resize(kRecentLimit);
      }
      for (size_t i : order) {
        LogEntry e = pw.batch && !tailing ? std::move(pw.entries[i]) : pw.entries[i];
        if (pw.batch) e.log_id = pw.batch->ids[i];
        window_.Insert(pw.keys[i], std::move(e));
      }
    }
  }
  if (tailing) {
    // For live tails, before the acknowledgement: a client that stored an
    // entry and follows finds it. A batch's entries are moved (its ids are
    // copied in); an Append's copied, its id is its callback's.
    // Writes numbered one after the other (a group's single Appends, mostly)
    // make one chunk: fewer for followers to walk.
    std::vector<std::pair<uint64_t, std::vector<LogEntry>>> runs;
    for (auto& pw : batch) {
      const uint64_t first = pw.keys.front().seq;
      if (runs.empty() || runs.back().first + runs.back().second.size() != first) {
        runs.emplace_back(first, std::vector<LogEntry>());
      }
      std::vector<LogEntry>& run = runs.back().second;
      if (pw.batch) {
        for (size_t i = 0; i < pw.entries.size(); ++i) pw.entries[i].log_id = pw.batch->ids[i];
        if (run.empty()) {
          run = std::move(pw.entries);
        } else {
          std::move(pw.entries.begin(), pw.entries.end(), std::back_inserter(run));
        }
      } else {
        run.push_back(pw.entries[0]);
      }
    }
    util::MutexLock lock(&tail_mu_);
    for (auto& [first, run] : runs) tail_.Add(first, std::move(run));
  }
  // Written: followers may pass these numbers now (they are in the tail
  // buffer, and on disk), before the acknowledgement.
  Unreserve(batch);
  // Searchable before it is acknowledged.
  for (auto* b : builders) {
    for (auto& [segment, pending] : in_memory) pending->Add(b->TakeSets(segment));
  }
  if (entries < kAckOnReaderThread) {
    for (auto& pw : batch) Report(pw, nullptr);
  } else {
    // A large group's callbacks (a batch's makes a reply of its thousands of
    // ids) run on a reader thread, so the writer goes on to the next group.
    auto acks = std::make_shared<std::vector<PendingWrite>>(std::move(batch));
    readers_->Submit([acks] {
      for (auto& pw : *acks) Report(pw, nullptr);
    });
  }
}

namespace {

bool IsDefaultFirstPage(const StoreQuery& q) {
  const Filter all;
  return q.position.empty() && q.order == Order::kDesc && q.limit <= kRecentLimit &&
         q.filter.AnyEntry() && q.filter.from_ms == all.from_ms && q.filter.to_ms == all.to_ms;
}

}  // namespace

index::SearchContext RocksDbStore::SearchContextNow(
    std::optional<rocksdb::ManagedSnapshot>* snapshot) {
  index::SearchContext ctx{db_.get(), entries_cf_, index_cf_, {}, {}, {}, &*ids_};
  {
    // The snapshot and the sets in memory together (see Seal).
    util::MutexLock lock(&pending_mu_);
    snapshot->emplace(db_.get());
    for (const auto& [segment, pending] : pending_) ctx.pending.emplace(segment, pending);
  }
  ctx.read.snapshot = (*snapshot)->snapshot();
  // The segments are copied after the snapshot is taken (see WriteBatchOf).
  ctx.segments = SegmentsSnapshot();
  return ctx;
}

void RocksDbStore::Search(StoreQuery query, SearchCallback done) {
  if (closed_) return done(Status::Unavailable("the store is closed"));
  if (IsDefaultFirstPage(query)) {
    // GET /logs: from memory, at any store size. `next` continues on disk
    // after the last entry shown, if the window had more than were asked.
    EntryList all;
    {
      util::MutexLock lock(&window_mu_);
      all = window_.Newest(kRecentLimit);
    }
    SearchPage page;
    // Past retention: none of the window's expired entries, and nothing
    // older on disk either (the oldest are the expired ones).
    const int64_t visible = VisibleFromMs();
    bool expired = false;
    if (!all->empty() && all->back().timestamp_ms < visible) {
      std::vector<LogEntry> kept;
      for (const LogEntry& e : *all) {
        if (e.timestamp_ms >= visible) kept.push_back(e);
      }
      all = std::make_shared<const std::vector<LogEntry>>(std::move(kept));
      expired = true;
    }
    if (all->size() <= query.limit) {
      page.entries = all;
    } else {
      page.entries =
          std::make_shared<const std::vector<LogEntry>>(all->begin(), all->begin() + query.limit);
    }
    if (!page.entries->empty() && (all->size() > query.limit || all->size() == kRecentLimit) &&
        !(expired && all->size() <= query.limit)) {
      auto id = uuid::Parse(page.entries->back().log_id);
      util::ReaderLock lock(&db_mu_);
      if (id && ids_) page.next = index::SearchPosition(ids_->Decode(*id));
    }
    return done(std::move(page));
  }
  readers_->Submit([this, query = std::move(query), done = std::move(done)] {
    util::ReaderLock lock(&db_mu_);
    if (!db_ || !entries_cf_ || !index_cf_) {
      return done(Status::Unavailable("the store has no database open"));
    }
    StoreQuery q = query;
    q.filter.from_ms = std::max(q.filter.from_ms, VisibleFromMs());  // retention
    if (!ids_ || q.filter.from_ms > q.filter.to_ms) {  // nothing written, or all expired
      return done(SearchPage{std::make_shared<const std::vector<LogEntry>>(), ""});
    }
    std::optional<rocksdb::ManagedSnapshot> snapshot;
    done(index::RunSearch(SearchContextNow(&snapshot), q));
  });
}

void RocksDbStore::Stats(StatsQuery query, StatsCallback done) {
  if (closed_) return done(Status::Unavailable("the store is closed"));
  readers_->Submit([this, query = std::move(query), done = std::move(done)] {
    util::ReaderLock lock(&db_mu_);
    if (!db_ || !entries_cf_ || !index_cf_) {
      return done(Status::Unavailable("the store has no database open"));
    }
    const size_t buckets = static_cast<size_t>(
        StatsBucketCount(query.filter.from_ms, query.filter.to_ms, query.step_ms));
    const int64_t visible = VisibleFromMs();
    if (!ids_ || visible > query.filter.to_ms) {  // nothing written, or all expired
      return done(StatsPage{std::vector<std::array<int64_t, kSeverityCount>>(buckets), ""});
    }
    std::optional<rocksdb::ManagedSnapshot> snapshot;
    if (visible <= query.filter.from_ms)
      return done(index::RunStats(SearchContextNow(&snapshot), query));
    // Retention: counted from the oldest visible entry, in the buckets of
    // the range asked (the expired part's are zeros).
    StatsQuery q = query;
    q.filter.from_ms = visible;
    Result<StatsPage> page = index::RunStats(SearchContextNow(&snapshot), q);
    if (!page.ok()) return done(std::move(page));
    const int64_t shift =
        FloorDiv(visible, query.step_ms) - FloorDiv(query.filter.from_ms, query.step_ms);
    std::vector<std::array<int64_t, kSeverityCount>> counts(buckets);
    for (size_t i = 0; i < page.value().counts.size(); ++i) {
      if (i + static_cast<size_t>(shift) < buckets)
        counts[i + static_cast<size_t>(shift)] = page.value().counts[i];
    }
    page.value().counts = std::move(counts);
    done(std::move(page));
  });
}

void RocksDbStore::Get(std::string log_id, GetCallback done) {
  if (closed_) return done(Status::Unavailable("the store is closed"));
  readers_->Submit([this, id = std::move(log_id), done = std::move(done)] { done(ReadEntry(id)); });
}

Result<LogEntry> RocksDbStore::ReadEntry(const std::string& log_id) {
  auto not_found = [&] { return EntryNotFound(log_id); };
  auto id = uuid::Parse(log_id);
  if (!id) return not_found();
  util::ReaderLock lock(&db_mu_);
  if (!db_ || !ids_ || !entries_cf_) {
    return db_ ? not_found() : Status::Unavailable("the store has no database open");
  }
  // Most UUIDs decrypt to a key that was never issued. Decryption is a
  // bijection between ids with the v4 bits and keys, so an entry at the key
  // of such an id was stored under that id (a format 1 record says so too).
  if (!IsIssuableId(*id)) return not_found();
  std::string time_key = EncodeTimeKey(ids_->Decode(*id)), value;
  rocksdb::Status s = db_->Get({}, entries_cf_, time_key, &value);
  if (!s.ok()) return s.IsNotFound() ? not_found() : Unavailable(s);
  Result<LogEntry> e = DecodeEntry(time_key, value);
  if (!e.ok()) return e.status();
  const std::string canonical = uuid::Format(*id);
  if (!e.value().log_id.empty() && e.value().log_id != canonical) return not_found();
  if (e.value().timestamp_ms < VisibleFromMs()) return not_found();  // past retention
  e.value().log_id = canonical;
  return e;
}

namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// How long the tail buffer is kept with no Follow: a follower between two
// reconnections finds its entries still in memory.
constexpr int64_t kTailIdleMs = 5 * 60 * 1000;

}  // namespace

void RocksDbStore::StopTailIfIdle() {
  if (!tailing_ || SteadyMs() - last_follow_.load() < kTailIdleMs) return;
  util::MutexLock queue_lock(&queue_mu_);
  util::MutexLock lock(&tail_mu_);
  tail_.Stop();
  tailing_.store(false, std::memory_order_release);
}

std::string_view RocksDbStore::FollowNote() const {
  return "entries in the order they were stored, from memory as they are written";
}

void RocksDbStore::Follow(FollowQuery query, FollowCallback done) {
  if (closed_) return done(Status::Unavailable("the store is closed"));
  // The bound first: everything below it is written (or never will be), and
  // so in the tail buffer or on disk.
  uint64_t end = Watermark();
  uint64_t from = end;
  if (!query.position.empty() && !ParseFollowPosition(query.position, &from)) {
    return done(Status::InvalidArgument(
        "The resume point (Last-Event-ID or cursor) is not one this server gave out: pass an "
        "event's id unchanged."));
  }
  if (from > next_seq_.load()) {  // another data dir's, or a restored one's
    return done(Status::InvalidArgument(
        "The resume point (Last-Event-ID or cursor) is ahead of everything this server has "
        "stored: it comes from another server's data, so start again without it."));
  }
  last_follow_ = SteadyMs();
  if (!tailing_.load(std::memory_order_acquire)) {
    // Every number taken from now on is kept when written. Under queue_mu_,
    // which Reserve takes, and before tailing_ is set: the writer gets a
    // write numbered from `start` on through queue_mu_ too, so it sees
    // tailing_ set and the buffer started.
    util::MutexLock queue_lock(&queue_mu_);
    util::MutexLock lock(&tail_mu_);
    if (!tail_.active()) {
      tail_.Start(next_seq_.load());
      tailing_.store(true, std::memory_order_release);
    }
  }
  std::vector<TailBuffer::Chunk> chunks;
  bool in_memory = false;
  {
    util::MutexLock lock(&tail_mu_);
    // Not if it was stopped meanwhile (StopTailIfIdle): then from disk.
    in_memory = tail_.active() && from >= tail_.start();
    // Up to the budget: `end` comes down to what the chunks taken cover.
    if (in_memory && from < end) chunks = tail_.Chunks(from, &end, kFollowExamineBudget);
  }
  query.filter.from_ms = std::max(query.filter.from_ms, VisibleFromMs());  // retention
  if (in_memory || from >= end) {
    FollowPageBuilder b(std::move(query.filter), query.limit, from);
    FollowFromChunks(chunks, end, &b);
    return done(b.Finish(end));
  }
  readers_->Submit([this, query = std::move(query), from, end, done = std::move(done)] {
    util::ReaderLock lock(&db_mu_);
    if (!db_ || !entries_cf_ || !index_cf_ || !ids_) {
      return done(Status::Unavailable("the store has no database open"));
    }
    std::optional<rocksdb::ManagedSnapshot> snapshot;
    const index::SearchContext ctx = SearchContextNow(&snapshot);
    FollowPageBuilder b(query.filter, query.limit, from);
    if (Status s = FollowFromDisk(ctx, end, &b); !s.ok()) return done(s);
    done(b.Finish(end));
  });
}

bool RocksDbStore::Healthy() const { return healthy_ && !closed_; }

}  // namespace logsvc::store
