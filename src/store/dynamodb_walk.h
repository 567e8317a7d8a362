// The walks of DynamoDbStore::Search and ::Stats over the index shards of
// TimestampIndex, as state machines without I/O: the store asks a walk which
// Queries to send (NextFetches), sends them in parallel, hands each answer
// back (Add), and repeats until the walk asks for nothing; then it takes the
// result (Finish). Not thread-safe: the store calls one walk from one thread
// at a time.
//
// Budget of one call (one page of a search, one step of stats), so that a
// call does bounded work whatever the query:
//   - at most kWalkRounds rounds, a round being one Query to each shard that
//     needs one, in parallel: so at most that many Queries per shard, and as
//     many round trips one after the other;
//   - at most kWalkItemBudget items read in all, the sum of the requests'
//     Limit (DynamoDB also stops a page at 1 MB);
//   - one Query reads at most kMaxQueryLimit items.
// When the budget is spent the call returns what it found and a position to
// continue from. Search's Limits: a shard's first request of a call asks for
// the entries still wanted (what Recent() asked before: with no filter the
// first page costs what it did); later ones for as many as the matches seen so
// far in this call suggest it needs (rate of matches among items read),
// with a quarter more, split over the shards still open.
// Memory: one round's answers (DynamoDB: at most 1 MB each) and, per shard,
// the matches read and not yet returned, at most the entries still wanted
// (the rest is dropped and read again later).
#ifndef LOGSVC_STORE_DYNAMODB_WALK_H_
#define LOGSVC_STORE_DYNAMODB_WALK_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/query.h"
#include "logsvc/log_store.h"
#include "store/dynamodb_position.h"

namespace logsvc::store::dynamodb {

inline constexpr size_t kWalkItemBudget = 20000;
inline constexpr int kWalkRounds = 8;
inline constexpr size_t kMaxQueryLimit = 4000;

// One Query a walk wants: `limit` items of shard `shard`'s partition, in the
// walk's order, after `start` (none: from the start of the range).
struct ShardFetch {
  int shard = 0;
  size_t limit = 0;
  std::optional<ItemKey> start;
};

class IndexWalk {
 public:
  virtual ~IndexWalk() = default;
  // The Queries to send now, all at once; none when the walk is over.
  virtual std::vector<ShardFetch> NextFetches() = 0;
  // The body DynamoDB answered to this round's fetch of `shard`. Internal if
  // it is not a Query response.
  virtual Status Add(int shard, std::string_view body) = 0;
};

// A page of a search. The order of entries (documented in
// dynamodb_store.h): by timestamp, then by shard index, then in DynamoDB's
// order within the shard; kDesc is exactly the reverse of kAsc. Shards are
// merged as they are read: an entry is returned only once every shard has
// been read past it (or is known to hold nothing before it).
class SearchWalk final : public IndexWalk {
 public:
  // `start`: one cursor per shard (DecodePosition). limit >= 1.
  SearchWalk(const Filter& filter, Order order, size_t limit, std::vector<ShardCursor> start);

  std::vector<ShardFetch> NextFetches() override;
  Status Add(int shard, std::string_view body) override;
  // The entries found and where the next page starts ("" if nothing is left).
  SearchPage Finish();

 private:
  struct Buffered {
    LogEntry entry;
    std::string timestamp;  // DynamoDB's text of it, for the item's key
  };
  struct Shard {
    ShardCursor start;
    std::deque<Buffered> buffer;  // matches read, not yet returned, in shard order
    std::optional<ItemKey> last_returned;
    std::optional<ItemKey> read_to;  // where the next Query starts; none: the range's start
    bool done = false;               // nothing after read_to
    bool asked_before = false;       // a Query was sent in this call
    size_t asked = 0;                // the Limit of this round's Query
  };
  void Merge();
  size_t Wanted() const { return limit_ - found_.size(); }

  const Filter filter_;
  const Order order_;
  const size_t limit_;
  std::vector<Shard> shards_;
  std::vector<LogEntry> found_;
  size_t budget_ = kWalkItemBudget;
  int rounds_ = 0;
  size_t read_ = 0;     // items DynamoDB read in this call
  size_t matched_ = 0;  // of which matched
};

// One step of stats: counts by bucket and severity of the entries matching
// the filter, each shard read oldest first on its own.
class StatsWalk final : public IndexWalk {
 public:
  // from_ms < to_ms; step_ms > 0; the bucket count is at most kMaxStatsBuckets.
  StatsWalk(const Filter& filter, int64_t step_ms, std::vector<ShardCursor> start);

  std::vector<ShardFetch> NextFetches() override;
  Status Add(int shard, std::string_view body) override;
  StatsPage Finish();

 private:
  struct Shard {
    ShardCursor at;
    size_t asked = 0;
  };
  const Filter filter_;
  const int64_t step_ms_;
  const int64_t first_bucket_;
  std::vector<Shard> shards_;
  std::vector<std::array<int64_t, kSeverityCount>> counts_;
  size_t budget_ = kWalkItemBudget;
  int rounds_ = 0;
};

}  // namespace logsvc::store::dynamodb

#endif  // LOGSVC_STORE_DYNAMODB_WALK_H_
