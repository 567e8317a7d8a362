// DynamoDbStore: the LogStore on the original design's DynamoDB table, for
// the Lambda functions and for any number of stateless `logsvc serve`
// instances sharing one table. Nothing is kept between requests: every read
// asks DynamoDB, so every instance sees every write.
//
// Writes: one PutItem per entry, acknowledged by DynamoDB (durable across
// availability zones) before the callback reports OK. Its `type` (the GSI
// partition) is "LOG" with one index shard, exactly as the original writes;
// with N shards it is one of N partitions, chosen from the id, because one
// DynamoDB partition takes about 1,000 writes a second. AppendBatch writes the
// same items with BatchWriteItem, 25 a request, up to kBatchRequestsInFlight
// requests at once; items DynamoDB leaves unprocessed are sent again after the
// client's back-off, up to kBatchAttempts times a request. On any failure the
// batch reports kUnavailable once the requests in flight have ended, and some
// of its entries may have been stored (BatchWriteItem is not atomic).
//
// Search: the time range [from_ms, to_ms) is a key condition on every
// partition of TimestampIndex ("LOG", so items the original functions wrote
// are found, and "LOG#1".."LOG#<N-1>"), read in the query's order (newest
// first: ScanIndexForward false), the shards in parallel, merged into one
// order. Each item is checked with core's Matches (severity, time, words);
// DynamoDB only leaves out items whose severity is exactly the stored name of
// an unwanted one (FilterExpression), which Matches would refuse too.
// The range is on whole milliseconds: another writer's 1000.5 is at
// millisecond 1000 (as Get shows it), in [1000, 1001).
// Order, total and the same on every page and read: by timestamp, then by
// shard index (the partition), then in DynamoDB's order within the partition
// (by the item's table key); newest first is the exact reverse of oldest
// first. So entries of the same millisecond are not in ingest order.
// Position: each shard's cursor (store/dynamodb_position.h): not started,
// after the last item consumed (the next page's Query starts there with
// ExclusiveStartKey: items read but not returned are read again, never
// skipped), or exhausted. At most 1731 bytes for 64 shards with UUID ids
// (about 20 a shard in practice). A position made for another number of
// shards is kInvalidArgument. Entries written meanwhile never shift a page;
// a new entry lands on a later page only if it sorts after the position.
//
// Reads per call (store/dynamodb_walk.h): at most kWalkRounds (8) rounds of
// parallel Queries (so at most 8 Queries per shard, and 8 round trips one
// after the other), kWalkItemBudget (20,000) items read in all, each Query's
// Limit at most 4,000; when that is spent the page holds what was found and
// a `next`. Reads are eventually consistent (a GSI has no other): 0.5 read
// units per 4 KB, a Query's items' sizes added up and rounded up to 4 KB. A
// logsvc item with an 80-byte message is about 200 bytes; with such items:
//   (b) a page of the default query (every entry, newest first, limit 100):
//       one Query of Limit 100 per shard, as Recent() did before: 100 items,
//       ~20 KB, 2.5 read units a shard (1 shard: 2.5; 8 shards: 20), on
//       every page;
//   (a) severity=error, newest 100, with 1% errors: about 10,000 items read
//       (100 / 1%), ~2 MB: about 250 read units. Measured: on a model of the
//       index (dynamodb_walk_test) 10,208 items in 5 Queries on 1 shard,
//       10,574 in 33 on 8; on dynalite with 10,000 entries of 80-byte
//       messages (test_dynamodb.py, DynamoDB's own accounting; the table held
//       exactly 100 errors, so all of it was read) 244 units in 4 Queries on
//       1 shard, 247 in 16 on 8, and (b) 2.5 and 20 units;
//   the most a call reads: 20,000 items, ~490 read units at 200 bytes (at
//   most 2,500 with 1 KB items; DynamoDB's 1 MB cap per Query also bounds it).
// The FilterExpression saves bytes on the wire, not read units.
// Stats walks each shard oldest first with the same budget and no merge,
// counting Matches by bucket and severity; its position says where each
// shard stopped, and a caller adds up the counts of successive calls.
// Get() is a consistent Query on the table's key.
//
// Errors: kUnavailable when DynamoDB cannot be reached or refuses (after the
// client's bounded retries, see aws/dynamodb_client.h); never OK for a write
// DynamoDB did not acknowledge. Thread-safe.
#ifndef LOGSVC_STORE_DYNAMODB_STORE_H_
#define LOGSVC_STORE_DYNAMODB_STORE_H_

#include <atomic>
#include <memory>
#include <string>

#include "aws/dynamodb_client.h"
#include "aws/environment.h"
#include "logsvc/log_store.h"
#include "store/dynamodb_item.h"
#include "util/mutex.h"

namespace logsvc::store {

struct DynamoDbStoreOptions {
  std::string table;
  int index_shards = 1;  // 1..kMaxIndexShards
  // Ask DynamoDB at Open() whether the table and its index exist. The Lambda
  // functions skip it: their table is the one Terraform made, and their cold
  // start is measured up to the first request.
  bool check_table = true;
  // Retention: items carry expiresAt (their time plus this, the table's TTL
  // attribute, which DynamoDB deletes by within about 48 hours), and reads
  // leave out entries older than now minus this. 0: kept forever.
  int64_t retention_ms = 0;
};

inline constexpr int kMaxIndexShards = 64;
inline constexpr int kBatchRequestsInFlight = 8;
inline constexpr int kBatchAttempts = 6;  // per BatchWriteItem, for unprocessed items

// The settings a user gives (flags or their variables); the rest comes from
// the environment as the AWS tools read it (aws/environment.h).
struct DynamoDbSettings {
  std::string table;
  std::string region;    // "": AWS_REGION, then AWS_DEFAULT_REGION
  std::string endpoint;  // "": AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, then AWS's
  int index_shards = 1;
  bool check_table = true;
  int64_t retention_ms = 0;  // DynamoDbStoreOptions::retention_ms
};

class DynamoDbStore final : public LogStore {
 public:
  // With check_table: NotFound if the table does not exist, InvalidArgument
  // if it lacks the TimestampIndex. If DynamoDB cannot be reached the store
  // opens anyway, unhealthy, and recovers by itself (Healthy() probes).
  static Result<std::unique_ptr<DynamoDbStore>> Open(std::unique_ptr<aws::DynamoDbClient> client,
                                                     DynamoDbStoreOptions options);
  // Resolves region, endpoint and credentials from `settings` and the
  // environment, then Open()s. InvalidArgument names what is missing.
  static Result<std::unique_ptr<DynamoDbStore>> Open(const DynamoDbSettings& settings,
                                                     const aws::Getenv& getenv);
  ~DynamoDbStore() override;

  const std::string& table() const { return options_.table; }
  // Why DynamoDB could not be reached at Open(), or "" if it could (or was
  // not asked). The caller logs it, after its start-up line.
  const std::string& unreachable_at_start() const { return unreachable_at_start_; }
  int index_shards() const { return options_.index_shards; }
  const aws::DynamoDbClient& client() const { return *client_; }

  void Append(LogEntry entry, AppendCallback done) override;
  void AppendBatch(std::vector<LogEntry> entries, BatchCallback done) override;
  // The key's record is an item of the table (dynamodb_item.h, OnceItem).
  void AppendOnce(IdempotentWrite once, std::vector<LogEntry> entries, OnceCallback done) override;
  void Search(StoreQuery query, SearchCallback done) override;
  void Stats(StatsQuery query, StatsCallback done) override;
  // Polls the time index once a second (store/follow_by_time.h).
  void Follow(FollowQuery query, FollowCallback done) override;
  int64_t FollowIntervalMs() const override { return 1000; }
  std::string_view FollowNote() const override;
  // Search's first page of the default query, `limit` entries.
  void Get(std::string log_id, GetCallback done) override;
  // The outcome of the latest request to DynamoDB. While it is a failure, or
  // older than two seconds, a call starts a DescribeTable in the background
  // (at most one at a time, at most one a second) whose outcome later calls see.
  bool Healthy() const override;
  // Waits (up to 10 s) for the requests in flight to be answered; later calls
  // report kUnavailable.
  void Close() override;

 private:
  struct Walk;
  struct Batch;
  // One AppendOnce call.
  struct OnceWrite {
    std::string item_id;
    std::string fingerprint_hex;
    std::vector<LogEntry> entries;
    OnceCallback done;
  };
  void LookUpOnce(std::shared_ptr<OnceWrite> write, int attempt);
  void PutOnce(std::shared_ptr<OnceWrite> write, dynamodb::OnceItem item);
  void WriteOnceEntries(const std::shared_ptr<OnceWrite>& write, const dynamodb::OnceItem& item,
                        OnceResult::Outcome outcome);
  // BatchWriteItems of entries whose ids are set, 25 a request, in parallel.
  void WriteItems(std::vector<LogEntry> entries, BatchCallback done);
  DynamoDbStore(std::unique_ptr<aws::DynamoDbClient> client, DynamoDbStoreOptions options);
  // Runs `walk` (a SearchWalk or StatsWalk) and reports its Finish() to `done`.
  template <typename WalkType, typename Callback>
  void StartWalk(std::shared_ptr<WalkType> walk, Filter filter, Order order, Callback done);
  // Sends a walk's next round of Queries, or ends it.
  void Drive(std::shared_ptr<Walk> walk);
  void StartBatchRequests(const std::shared_ptr<Batch>& batch);
  void SendBatchRequest(std::shared_ptr<Batch> batch, std::string body, int attempt);
  void BatchRequestDone(const std::shared_ptr<Batch>& batch, Status status);
  void Note(const Status& s) const;
  bool Begin() EXCLUDES(mu_);  // counts a request in flight; false once closed
  // The request is over. Its caller's callback, and whatever it holds (a
  // connection of the HTTP server, say), must be destroyed before: Close()
  // returns once every request has ended, and the server and the Api are
  // destroyed after it, on another thread.
  void End() EXCLUDES(mu_);

  const DynamoDbStoreOptions options_;
  std::unique_ptr<aws::DynamoDbClient> client_;
  std::string unreachable_at_start_;

  mutable std::atomic<bool> healthy_{true};
  mutable std::atomic<int64_t> last_outcome_ms_{0};
  mutable std::atomic<int64_t> last_probe_ms_{0};
  mutable std::atomic<bool> probing_{false};

  util::Mutex mu_;
  util::CondVar idle_cv_;  // in_flight_ fell to 0
  int in_flight_ GUARDED_BY(mu_) = 0;
  bool closed_ GUARDED_BY(mu_) = false;
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_DYNAMODB_STORE_H_
