// PendingSegment: the word and severity sets of the newest segment, kept in
// memory until the segment is sealed (store/index_format.h). A batch adds
// one record per distinct word to a hash table here instead of one merge
// operand per word to RocksDB's memtable (a skip list ordered by key: most of
// the writer's time went there); sealing writes the segment's sets once, sorted.
//
// Not durable by itself: what it holds is rebuilt from the entries and their
// times pages when a store opens (RocksDbStore::RebuildUnsealed).
// Thread-safe: the writer thread adds while searches read (a shared mutex:
// reads, and Records, which the writer calls, never wait for each other).
#ifndef LOGSVC_STORE_PENDING_SEGMENT_H_
#define LOGSVC_STORE_PENDING_SEGMENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/term_sets.h"
#include "util/mutex.h"

typedef struct roaring_bitmap_s roaring_bitmap_t;  // CRoaring's

namespace logsvc::store::index {

class PendingSegment {
 public:
  explicit PendingSegment(uint64_t segment);
  PendingSegment(const PendingSegment&) = delete;
  PendingSegment& operator=(const PendingSegment&) = delete;

  uint64_t segment() const { return segment_; }

  // Adds the sets of entries that are written (never of one that may not be).
  void Add(TermSets sets);

  // The set of a term, for the caller to free (roaring_bitmap_free); empty if
  // no entry has it.
  roaring_bitmap_t* Ordinals(char kind, std::string_view term) const;
  // The union of the sets of every word that begins with `prefix`; adds the
  // number of such words to *words.
  roaring_bitmap_t* PrefixOrdinals(std::string_view prefix, size_t* words) const;

  // What sealing writes: every set's key and value, and the seal key, sorted
  // by key, each passed to `put` (which must not call back into this).
  void ForEachRecord(
      const std::function<void(const std::string& key, const std::string& value)>& put) const;
  // The same, collected (tests).
  std::vector<std::pair<std::string, std::string>> Records() const;

 private:
  const uint64_t segment_;
  mutable util::SharedMutex mu_;
  TermSets sets_ GUARDED_BY(mu_);
};

}  // namespace logsvc::store::index

#endif  // LOGSVC_STORE_PENDING_SEGMENT_H_
