// DynamoDbStore: the LogStore on the original design's DynamoDB table, for
// the Lambda functions and for any number of stateless `logsvc serve`
// instances sharing one table. Nothing is kept between requests: every read
// asks DynamoDB, so every instance sees every write.
//
// Writes: one PutItem per entry, acknowledged by DynamoDB (durable across
// availability zones) before the callback reports OK. Its `type` (the GSI
// partition) is "LOG" with one index shard, exactly as the original writes;
// with N shards it is one of N partitions, chosen from the id, because one
// DynamoDB partition takes about 1,000 writes a second.
// Reads: Recent() queries every partition of TimestampIndex ("LOG" among
// them, so items the original functions wrote are seen) in parallel, newest
// first, and merges the newest `limit`. DynamoDB orders the index by
// timestamp only, so entries of the same millisecond come in its order, not
// necessarily ingest order. Get() is a consistent Query on the table's key.
//
// Errors: kUnavailable when DynamoDB cannot be reached or refuses (after the
// client's bounded retries, see aws/dynamodb_client.h); never OK for a write
// DynamoDB did not acknowledge. Thread-safe.
#ifndef LOGSVC_STORE_DYNAMODB_STORE_H_
#define LOGSVC_STORE_DYNAMODB_STORE_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "aws/dynamodb_client.h"
#include "aws/environment.h"
#include "logsvc/log_store.h"

namespace logsvc::store {

struct DynamoDbStoreOptions {
  std::string table;
  int index_shards = 1;  // 1..kMaxIndexShards
  // Ask DynamoDB at Open() whether the table and its index exist. The Lambda
  // functions skip it: their table is the one Terraform made, and their cold
  // start is measured up to the first request.
  bool check_table = true;
};

inline constexpr int kMaxIndexShards = 64;

// The settings a user gives (flags or their variables); the rest comes from
// the environment as the AWS tools read it (aws/environment.h).
struct DynamoDbSettings {
  std::string table;
  std::string region;    // "": AWS_REGION, then AWS_DEFAULT_REGION
  std::string endpoint;  // "": AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, then AWS's
  int index_shards = 1;
  bool check_table = true;
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
  void Recent(size_t limit, ListCallback done) override;
  void Get(std::string log_id, GetCallback done) override;
  // The outcome of the latest request to DynamoDB. While it is a failure, or
  // older than two seconds, a call starts a DescribeTable in the background
  // (at most one at a time, at most one a second) whose outcome later calls see.
  bool Healthy() const override;
  // Waits (up to 10 s) for the requests in flight to be answered; later calls
  // report kUnavailable.
  void Close() override;

 private:
  struct Gather;
  DynamoDbStore(std::unique_ptr<aws::DynamoDbClient> client, DynamoDbStoreOptions options);
  void QueryPartition(std::shared_ptr<Gather> gather, std::string type, size_t got,
                      std::string start_key);
  void Note(const Status& s) const;
  bool Begin();  // counts a request in flight; false once closed
  void End();

  const DynamoDbStoreOptions options_;
  std::unique_ptr<aws::DynamoDbClient> client_;
  std::string unreachable_at_start_;

  mutable std::atomic<bool> healthy_{true};
  mutable std::atomic<int64_t> last_outcome_ms_{0};
  mutable std::atomic<int64_t> last_probe_ms_{0};
  mutable std::atomic<bool> probing_{false};

  std::mutex mu_;
  std::condition_variable idle_cv_;
  int in_flight_ = 0;    // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_DYNAMODB_STORE_H_
