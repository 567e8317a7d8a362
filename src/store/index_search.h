// IndexSearch: answers LogStore::Search and ::Stats for the RocksDB store from
// its entries and its search index (store/index_format.h; docs/storage.md
// says what each query reads). Runs on a reader thread; blocking.
//
// Budget: one call examines at most kExamineBudget entries (reads and
// matches them) and runs for about kTimeBudget (or twice the time it took
// to reach its first entry, if that is longer), checked between entries; and
// once its prefix terms have expanded to kPrefixTermBudget words, it reads no
// further segment. Then it returns what it found with a `next` that continues
// where it stopped. A segment's sets are read whole (at most 2^16 ordinals,
// every word of a prefix), never cut short. A call stops at its budget only
// once it has examined an entry (stats: counted a segment or an entry), so
// following `next` always ends: a call may exceed the budgets by the
// segments it has to read before its first entry.
// Thread-safe: any number of calls at once, each with its own context.
#ifndef LOGSVC_STORE_INDEX_SEARCH_H_
#define LOGSVC_STORE_INDEX_SEARCH_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <rocksdb/options.h>

#include "logsvc/log_store.h"
#include "store/entry_codec.h"
#include "store/id_codec.h"
#include "store/index_format.h"
#include "store/pending_segment.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
}  // namespace rocksdb

namespace logsvc::store::index {

inline constexpr size_t kExamineBudget = 50'000;
inline constexpr auto kTimeBudget = std::chrono::milliseconds(200);
inline constexpr size_t kPrefixTermBudget = 20'000;

struct SearchContext {
  rocksdb::DB* db;
  rocksdb::ColumnFamilyHandle* entries;
  rocksdb::ColumnFamilyHandle* index;
  // Every read of the call: with a snapshot, so that the sets, times pages
  // and entries it reads agree with each other and with `segments`.
  rocksdb::ReadOptions read;
  // Every segment with its summary, as the store knows them (a copy), made
  // after read.snapshot: each summary's time range covers every entry of its
  // segment in the snapshot (the walk takes a segment in once it reaches the
  // segment's range; an entry outside it would come out of order). Counts
  // may lag the snapshot (entries written meanwhile).
  std::vector<std::pair<uint64_t, SegmentSummary>> segments;
  // The segments whose sets were in memory, not sealed, when the snapshot was
  // taken (taken together): their sets are read from here. They may hold
  // entries written after the snapshot; those have no time in its times
  // pages, so a search skips them.
  std::map<uint64_t, std::shared_ptr<const PendingSegment>> pending;
  // Makes the log ids of entries that do not store theirs (entry_codec.h).
  const IdCodec* ids = nullptr;
};

// The position (SearchPage::next) of a walk that stopped at `key`: a newest
// first walk goes on with the keys before it, an oldest first one after it.
std::string SearchPosition(const TimeKey& key);

// kInvalidArgument for a position this store did not make; kUnavailable for
// a RocksDB read error; kInternal for corrupt index records.
Result<SearchPage> RunSearch(const SearchContext& ctx, const StoreQuery& query);
Result<StatsPage> RunStats(const SearchContext& ctx, const StatsQuery& query);

}  // namespace logsvc::store::index

#endif  // LOGSVC_STORE_INDEX_SEARCH_H_
