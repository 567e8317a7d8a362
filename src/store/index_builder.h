// IndexBuilder: what a batch of entries adds to the search index
// (store/index_format.h): for each entry, its ordinal in the set of every
// distinct word of its message and in the set of its severity, its timestamp
// in its times page, and its counts in its segment's summary. Records of one
// key are combined before they are written, so a batch writes one merge
// operand per (word, segment), not one per entry.
// Not thread-safe: one builder per batch.
#ifndef LOGSVC_STORE_INDEX_BUILDER_H_
#define LOGSVC_STORE_INDEX_BUILDER_H_

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "logsvc/log_entry.h"
#include "store/entry_codec.h"
#include "store/index_format.h"

namespace rocksdb {
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace logsvc::store::index {

class IndexBuilder {
 public:
  void Add(const TimeKey& key, const LogEntry& entry);

  // Adds the merge operands to `batch` (for the index family `cf`).
  void WriteTo(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf) const;

  // What the batch adds to each segment's summary.
  const std::map<uint64_t, SegmentSummary>& summaries() const { return summaries_; }

  bool empty() const { return summaries_.empty(); }

 private:
  std::unordered_map<std::string, std::vector<uint32_t>> terms_;           // term key -> ordinals
  std::map<std::pair<uint64_t, uint32_t>, std::vector<TimePoint>> times_;  // (segment, page)
  std::map<uint64_t, SegmentSummary> summaries_;
  std::string scratch_;
};

}  // namespace logsvc::store::index

#endif  // LOGSVC_STORE_INDEX_BUILDER_H_
