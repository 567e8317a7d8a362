// IndexSearch: answers LogStore::Search and ::Stats for the RocksDB store from
// its entries and its search index (store/index_format.h; docs/storage.md
// says what each query reads). Runs on a reader thread; blocking.
//
// Budget: one call examines at most kExamineBudget entries (reads and
// matches them) and runs for at most kTimeBudget; then it returns what it
// found with a `next` that continues where it stopped. Ordinal sets are read
// whole per segment (at most 2^16 ordinals), and a prefix term expands to at
// most kPrefixTermBudget words per segment (beyond that, the call stops).
// Thread-safe: any number of calls at once, each with its own context.
#ifndef LOGSVC_STORE_INDEX_SEARCH_H_
#define LOGSVC_STORE_INDEX_SEARCH_H_

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include "logsvc/log_store.h"
#include "store/entry_codec.h"
#include "store/index_format.h"

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
  // Every segment with its summary, as the store knows them (a copy).
  std::vector<std::pair<uint64_t, SegmentSummary>> segments;
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
