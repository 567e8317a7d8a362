// IndexBuilder: what a batch of entries adds to the search index
// (store/index_format.h): for each entry, its ordinal in the set of every
// distinct word of its message and in the set of its severity, its timestamp
// in its times page, and its counts in its segment's summary. Records of one
// key are combined before they are written, so a batch writes one merge
// operand per (word, segment), not one per entry; the sets of a segment kept
// in memory (store/pending_segment.h) are taken from it instead.
// Not thread-safe: one builder per batch.
#ifndef LOGSVC_STORE_INDEX_BUILDER_H_
#define LOGSVC_STORE_INDEX_BUILDER_H_

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "logsvc/log_entry.h"
#include "store/entry_codec.h"
#include "store/index_format.h"
#include "store/term_sets.h"

namespace rocksdb {
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace logsvc::store::index {

class IndexBuilder {
 public:
  void Add(const TimeKey& key, const LogEntry& entry);

  // Adds the merge operands to `batch` (for the index family `cf`): the
  // summaries and times pages, and the sets of every segment for which
  // `in_memory` (if given) is false.
  void WriteTo(rocksdb::WriteBatch* batch, rocksdb::ColumnFamilyHandle* cf,
               const std::function<bool(uint64_t segment)>& in_memory = nullptr) const;

  // The sets of `segment`'s entries (for a PendingSegment); leaves none.
  TermSets TakeSets(uint64_t segment);

  // What the batch adds to each segment's summary.
  const std::map<uint64_t, SegmentSummary>& summaries() const { return summaries_; }

  bool empty() const { return summaries_.empty(); }

 private:
  std::map<uint64_t, TermSets> sets_;  // segment -> kind+term -> ordinals
  std::map<std::pair<uint64_t, uint32_t>, std::vector<TimePoint>> times_;  // (segment, page)
  std::map<uint64_t, SegmentSummary> summaries_;
};

}  // namespace logsvc::store::index

#endif  // LOGSVC_STORE_INDEX_BUILDER_H_
