// Live tail for the RocksDB store (LogStore::Follow): entries in the order of
// their sequence numbers (the order the numbers were taken: ingest order),
// from the in-memory TailBuffer or, for a follower behind it, from disk.
//
// Position: 'f' then the next sequence number to examine (8 bytes,
// big-endian). Numbers below the store's watermark (every number below it
// was written or will never be) are examined; a write still in progress
// holds the watermark back, so a follower never passes an entry that is
// written later (writes of concurrent requests finish in any order).
//
// From disk, a call reads the times pages of the segments in number order
// (docs/storage.md: each gives the TimeKeys of 4,096 ordinals) and the
// entries they name, with one snapshot; numbers with no time are holes
// (never written, or deleted by retention) and are passed.
// Pure functions over the context; thread-safe.
#ifndef LOGSVC_STORE_FOLLOW_READER_H_
#define LOGSVC_STORE_FOLLOW_READER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "logsvc/log_store.h"
#include "store/index_search.h"
#include "store/tail_buffer.h"

namespace logsvc::store {

// Entries examined a call at most (matched or not), from memory or disk.
inline constexpr size_t kFollowExamineBudget = 4096;

std::string FollowPosition(uint64_t next_seq);
// false if `position` is not one FollowPosition made.
bool ParseFollowPosition(std::string_view position, uint64_t* next_seq);

// Fills a FollowPage from entries examined in number order.
class FollowPageBuilder {
 public:
  // `filter`'s from_ms: retention (older entries are passed, never sent).
  FollowPageBuilder(Filter filter, size_t limit, uint64_t from);
  // Examines the entry numbered `seq` (after every number examined before).
  void Examine(uint64_t seq, const LogEntry& e);
  // A number with no entry (a hole) passed.
  void Pass(uint64_t seq) { next_ = seq + 1; }
  // The limit or the budget is reached: stop examining.
  bool full() const { return page_.entries.size() >= limit_ || examined_ >= kFollowExamineBudget; }
  uint64_t next() const { return next_; }
  // The page, its position after everything examined or passed, and up to
  // `caught_up_to` when the caller saw every number below it.
  FollowPage Finish(uint64_t caught_up_to);

 private:
  Filter filter_;
  size_t limit_;
  size_t examined_ = 0;
  uint64_t next_;
  FollowPage page_;
};

// Examines the entries of `chunks` numbered in [b->next(), end).
void FollowFromChunks(const std::vector<TailBuffer::Chunk>& chunks, uint64_t end,
                      FollowPageBuilder* b);

// Examines what the disk holds numbered in [b->next(), end): kUnavailable for
// a read error, kInternal for corrupt records.
Status FollowFromDisk(const index::SearchContext& ctx, uint64_t end, FollowPageBuilder* b);

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_FOLLOW_READER_H_
