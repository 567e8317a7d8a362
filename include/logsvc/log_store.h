// LogStore: where entries live. One interface; the embedded RocksDB store
// (src/store/rocksdb_store.h) and DynamoDB (src/store/dynamodb_store.h) are behind it.
//
// Every operation is asynchronous: it returns at once and reports through a
// completion callback, so that threads serving sockets never wait on a disk or
// a network. Contract for all callbacks:
//   - each is invoked exactly once, unless the store is destroyed first while
//     the operation is still queued (then it is destroyed without being called);
//   - it may run on any thread, including the caller's before the call returns,
//     so it must be cheap and must not block (post work elsewhere if needed);
//   - Status codes: kUnavailable means the store cannot serve now (disk full,
//     closed, remote down) and nothing was changed; kNotFound means no such entry.
// Implementations are thread-safe: any thread may call any method at any time.
#ifndef LOGSVC_LOG_STORE_H_
#define LOGSVC_LOG_STORE_H_

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/query.h"
#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc {

// An immutable list of entries. Shared, not copied: a store may hand the same
// list to many readers while nothing changes, and a reader may use its
// identity (the pointer) to cache what it derives from it.
using EntryList = std::shared_ptr<const std::vector<LogEntry>>;

// What a search asks of a store: the entries matching `filter`, in `order`
// (kDesc: newest first), at most `limit` of them, after `position`.
struct StoreQuery {
  Filter filter;
  Order order = Order::kDesc;
  size_t limit = kDefaultSearchLimit;  // 1..kMaxSearchLimit
  // Where the previous page stopped: its SearchPage::next, as this store
  // made it (the API carries it inside the cursor); "" for the first page.
  std::string position;
};

struct SearchPage {
  // Matching entries in the query's order. Shared: a store may hand the same
  // list to many callers (GET /logs with no parameters).
  EntryList entries;
  // "" when every matching entry has been returned; otherwise where the next
  // page starts. A page may hold fewer than `limit` entries (even none) and
  // still have a `next`: the store stopped at its search budget.
  std::string next;
  // Entries the store read and checked for this page (metrics); 0 where a
  // store does not count them (DynamoDB, the in-memory newest 100).
  uint64_t examined = 0;
};

// Volume by time: the entries matching `filter`, counted in buckets of
// `step_ms` aligned to the Unix epoch (StatsBucketCount in core/query.h).
struct StatsQuery {
  Filter filter;  // a finite range: from_ms and to_ms are given
  int64_t step_ms = 0;
  std::string position;  // as StoreQuery::position, for stats
};

struct StatsPage {
  // One row per bucket, oldest first, StatsBucketCount(...) of them:
  // counts[i][severity] for the bucket starting at
  // FloorDiv(from_ms, step) * step + i * step_ms.
  std::vector<std::array<int64_t, kSeverityCount>> counts;
  // As SearchPage::next: "" when every matching entry was counted; otherwise
  // the counts so far, and where to go on counting (the caller adds up).
  std::string next;
};

// An ingest a client may send again (HTTP's Idempotency-Key): the API makes
// both fields, opaque to the store, from the request.
struct IdempotentWrite {
  std::string key;          // names the write: the client's key and the route (32 bytes)
  std::string fingerprint;  // what was asked: a digest of the request (32 bytes)
};

// How long a store answers a key with what it stored under it.
inline constexpr int64_t kIdempotencyWindowMs = 24 * 3'600'000;

struct OnceResult {
  enum class Outcome {
    kStored,        // the entries were stored now
    kReplayed,      // stored before under this key: nothing stored now
    kOtherRequest,  // the key was used for a request with another fingerprint: nothing stored
    kInProgress,    // a write with this key is still going on: nothing stored, try later
  };
  Outcome outcome = Outcome::kStored;
  // kStored and kReplayed: the entries' ids and timestamps as stored (by the
  // first request, for a replay), in order.
  std::vector<std::string> ids;
  std::vector<int64_t> timestamps_ms;
};

// What a live tail asks of a store (LogStore::Follow): the entries stored
// after `position` that match `filter`, in the order they were stored.
struct FollowQuery {
  Filter filter;
  // Where the previous call stopped: a FollowPage::position (or one of its
  // entry_positions) this store made; "" for "from now": only entries
  // stored after the call.
  std::string position;
  size_t limit = 1000;  // entries at most
};

struct FollowPage {
  // Matching entries, in the order they were stored (the embedded store: the
  // order their sequence numbers were taken; DynamoDB: by timestamp).
  std::vector<LogEntry> entries;
  // entry_positions[i]: the position just after entries[i], to resume from
  // (an SSE event's id).
  std::vector<std::string> entry_positions;
  // The position after everything examined: the next call's. Never before
  // the last entry's.
  std::string position;
  // True when the call stopped at its limit or budget: more may be ready, so
  // call again at once; false: caught up, wait FollowInterval().
  bool more = false;
};

class LogStore {
 public:
  using AppendCallback = std::function<void(Result<std::string>)>;              // the new log id
  using BatchCallback = std::function<void(Result<std::vector<std::string>>)>;  // ids, in order
  using SearchCallback = std::function<void(Result<SearchPage>)>;
  using StatsCallback = std::function<void(Result<StatsPage>)>;
  using GetCallback = std::function<void(Result<LogEntry>)>;
  using OnceCallback = std::function<void(Result<OnceResult>)>;
  using FollowCallback = std::function<void(Result<FollowPage>)>;

  virtual ~LogStore() = default;

  // Stores `entry` durably under a new log id (a UUID v4) that the store
  // chooses, and reports that id; entry.log_id is ignored. Success is reported
  // only once the entry would survive a crash of the process or the machine
  // (for RocksDB: its WAL is synced; for DynamoDB: PutItem was acknowledged).
  // On error the entry was not acknowledged, and it was not stored, with one
  // exception a remote store cannot rule out: a write whose reply never came
  // (DynamoDB: a PutItem that timed out) may have been stored all the same,
  // under the id this call would have reported.
  virtual void Append(LogEntry entry, AppendCallback done) = 0;

  // Stores every entry of `entries` (1..kMaxBatchEntries, already validated,
  // each with its own timestamp_ms) and reports their new ids in the same
  // order, once all are durable as for Append. On error none was
  // acknowledged; the embedded store then stored none (one atomic write),
  // while a remote store may have stored some (DynamoDB has no atomic write
  // of 10,000 items): the caller may send the batch again.
  virtual void AppendBatch(std::vector<LogEntry> entries, BatchCallback done) = 0;

  // AppendBatch, at most once per key within kIdempotencyWindowMs (and across
  // restarts): a second call with the same key and fingerprint stores
  // nothing and reports the first call's ids and timestamps (kReplayed);
  // with another fingerprint (or, for the same body, another number of
  // entries), kOtherRequest. The key's record is durable with the entries.
  // The embedded store writes both in one atomic write: a failed call leaves
  // the key free, and a second call while the first is queued is
  // kInProgress. A remote store (DynamoDB) writes the record, with the ids it
  // chose, before the entries: a call whose entries were partly written may
  // be repeated with the same key and body, which writes the same ids again
  // (never a second copy), and a concurrent second call does the same (it is
  // kReplayed once the entries are all written); the key stays bound to that
  // body for the window even if every write failed.
  virtual void AppendOnce(IdempotentWrite once, std::vector<LogEntry> entries,
                          OnceCallback done) = 0;

  // The entries matching query.filter, in query.order by timestamp, at most
  // query.limit, starting after query.position. Entries of the same
  // millisecond come in one order that the store keeps across pages and
  // reads (the embedded store: ingest order, later ingest first when newest
  // first). Following `next` from the first page returns every matching
  // entry exactly once, with entries stored meanwhile never shifting a page:
  // each page costs the same, however deep. Each call does bounded work (a
  // store's budget: see its header) and then returns what it found with a
  // `next`. A position this store did not make is kInvalidArgument.
  // The first page of the default query (every entry, newest first, limit
  // kRecentLimit: GET /logs) costs the same at any store size.
  virtual void Search(StoreQuery query, SearchCallback done) = 0;

  // Counts the entries matching query.filter by bucket and severity, with
  // the same bounded work per call as Search.
  virtual void Stats(StatsQuery query, StatsCallback done) = 0;

  // Live tail: the entries stored after query.position (see FollowQuery),
  // each once, in the order the store gives them. Following `position` from
  // one call to the next misses none that was acknowledged, across restarts
  // and reconnections, except what retention has deleted meanwhile; a store
  // that follows by timestamp (DynamoDB, store/follow_by_time.h) also misses
  // what was stored later than its settle delay after its timestamp. Bounded
  // work per call, as Search. A position this store did not make is
  // kInvalidArgument.
  virtual void Follow(FollowQuery query, FollowCallback done) = 0;
  // How long a follower waits after a call that found it caught up.
  virtual int64_t FollowIntervalMs() const = 0;
  // One sentence for followers on how this store's tail works (sent as a
  // comment at the start of each stream).
  virtual std::string_view FollowNote() const = 0;

  // The entry with this id, or kNotFound.
  virtual void Get(std::string log_id, GetCallback done) = 0;

  // True while the store takes writes. Cheap; safe to call on any thread.
  virtual bool Healthy() const = 0;

  // Finishes (and reports) what is in flight, then refuses new work with
  // kUnavailable. Idempotent; also done by the destructor.
  virtual void Close() = 0;
};

// The most entries one AppendBatch takes (a POST /logs batch).
inline constexpr size_t kMaxBatchEntries = 10000;

// The kNotFound every store reports for an id it does not hold.
inline Status EntryNotFound(std::string_view log_id) {
  return Status::NotFound("No log entry has id '" + std::string(log_id) + "'.");
}

}  // namespace logsvc

#endif  // LOGSVC_LOG_STORE_H_
