#include "store/dynamodb_store.h"

#include "core/uuid.h"

#include <algorithm>
#include <chrono>

#include "core/datetime.h"
#include "core/uuid.h"
#include "store/dynamodb_item.h"
#include "util/log.h"

namespace logsvc::store {
namespace {

constexpr std::string_view kClosed = "the store is closed";
constexpr int64_t kProbeIntervalMs = 1000;
constexpr int64_t kStaleAfterMs = 2000;

// A missing table is the operator's problem, not the client's: 503, not 404.
Status AsStoreError(const Status& s) {
  if (s.code() == Status::Code::kNotFound || s.code() == Status::Code::kInvalidArgument) {
    return Status::Unavailable(s.message());
  }
  return s;
}

}  // namespace

// One Recent() call: the partitions still to answer and what they found.
struct DynamoDbStore::Gather {
  size_t limit;
  ListCallback done;
  std::mutex mu;
  int pending;                  // guarded by mu
  std::vector<LogEntry> found;  // guarded by mu
  Status error;                 // guarded by mu; the first failure
};

Result<std::unique_ptr<DynamoDbStore>> DynamoDbStore::Open(
    std::unique_ptr<aws::DynamoDbClient> client, DynamoDbStoreOptions options) {
  if (options.table.empty()) return Status::InvalidArgument("no DynamoDB table name given");
  if (options.index_shards < 1 || options.index_shards > kMaxIndexShards) {
    return Status::InvalidArgument(
        "the number of index shards (--dynamodb-index-shards, LOGSVC_DYNAMODB_INDEX_SHARDS) is " +
        std::to_string(options.index_shards) + "; it must be 1 to " +
        std::to_string(kMaxIndexShards));
  }
  std::unique_ptr<DynamoDbStore> store(new DynamoDbStore(std::move(client), std::move(options)));
  if (store->options_.check_table) {
    const std::string& table = store->options_.table;
    auto r = store->client_->CallAndWait("DescribeTable", dynamodb::DescribeTableRequest(table));
    if (r.ok()) {
      if (Status s = dynamodb::CheckTableDescription(r.value(), table); !s.ok()) return s;
    } else if (r.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("the DynamoDB table " + table + " does not exist at " +
                              store->client_->endpoint_url());
    } else {
      // Not logged here: the service's first log line is its start-up line.
      store->unreachable_at_start_ = r.status().message();
      store->healthy_ = false;
    }
    store->last_outcome_ms_ = NowUnixMillis();
  }
  return store;
}

Result<std::unique_ptr<DynamoDbStore>> DynamoDbStore::Open(const DynamoDbSettings& settings,
                                                           const aws::Getenv& getenv) {
  if (settings.table.empty()) {
    return Status::InvalidArgument("no DynamoDB table: use --dynamodb-table NAME");
  }
  auto region = aws::ResolveRegion(settings.region, getenv);
  if (!region.ok()) return region.status();
  auto credentials = aws::LoadCredentials(getenv);
  if (!credentials.ok()) return credentials.status();
  aws::DynamoDbClientOptions client_options;
  client_options.region = region.value();
  client_options.endpoint_url =
      aws::ResolveDynamoDbEndpoint(settings.endpoint, region.value(), getenv);
  client_options.credentials = std::move(credentials).value();
  auto client = aws::DynamoDbClient::Create(std::move(client_options));
  if (!client.ok()) return client.status();
  return Open(std::move(client).value(), {.table = settings.table,
                                          .index_shards = settings.index_shards,
                                          .check_table = settings.check_table});
}

DynamoDbStore::DynamoDbStore(std::unique_ptr<aws::DynamoDbClient> client,
                             DynamoDbStoreOptions options)
    : options_(std::move(options)), client_(std::move(client)) {}

DynamoDbStore::~DynamoDbStore() {
  Close();
  // Joins the client's thread: no callback of ours runs after this.
  client_.reset();
}

void DynamoDbStore::Note(const Status& s) const {
  if (s.code() == Status::Code::kInvalidArgument || s.code() == Status::Code::kInternal) {
    // DynamoDB refused a request as malformed: a bug of ours, logged each time.
    log::Error("dynamodb refused a request").Str("error", s.message());
    return;
  }
  if (!s.ok() && s.code() != Status::Code::kUnavailable) return;
  last_outcome_ms_ = NowUnixMillis();
  // Logged when it changes, not per request: an outage is one line, not thousands.
  if (healthy_.exchange(s.ok()) != s.ok()) {
    if (s.ok()) {
      log::Info("dynamodb available again").Str("table", options_.table);
    } else {
      log::Warn("dynamodb unavailable; answering 503 until it is back")
          .Str("table", options_.table)
          .Str("error", s.message());
    }
  }
}

bool DynamoDbStore::Begin() {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  ++in_flight_;
  return true;
}

void DynamoDbStore::End() {
  std::lock_guard lock(mu_);
  if (--in_flight_ == 0) idle_cv_.notify_all();
}

void DynamoDbStore::Close() {
  std::unique_lock lock(mu_);
  closed_ = true;
  idle_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return in_flight_ == 0; });
}

void DynamoDbStore::Append(LogEntry entry, AppendCallback done) {
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  // The table's key: random, so items spread evenly over DynamoDB's partitions.
  entry.log_id = uuid::Format(uuid::NewV4());
  const std::string type =
      dynamodb::IndexPartition(dynamodb::ShardOf(entry.log_id, options_.index_shards));
  client_->Call("PutItem", dynamodb::PutItemRequest(options_.table, entry, type),
                [this, id = entry.log_id, done = std::move(done)](Result<std::string> r) mutable {
                  Note(r.status());
                  // A write DynamoDB refused as invalid is our bug, not the client's.
                  if (r.ok()) {
                    done(std::move(id));
                  } else {
                    done(AsStoreError(r.status()));
                  }
                  End();
                });
}

void DynamoDbStore::Recent(size_t limit, ListCallback done) {
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  auto gather = std::make_shared<Gather>();
  gather->limit = limit;
  gather->done = std::move(done);
  gather->pending = options_.index_shards;
  for (int shard = 0; shard < options_.index_shards; ++shard) {
    QueryPartition(gather, dynamodb::IndexPartition(shard), 0, "");
  }
}

void DynamoDbStore::QueryPartition(std::shared_ptr<Gather> gather, std::string type, size_t got,
                                   std::string start_key) {
  std::string request =
      dynamodb::QueryRecentRequest(options_.table, type, gather->limit - got, start_key);
  client_->Call("Query", std::move(request),
                [this, gather, type = std::move(type), got](Result<std::string> r) mutable {
                  Note(r.status());
                  Status error;
                  if (r.ok()) {
                    auto page = dynamodb::ParseQueryResponse(r.value());
                    if (page.ok()) {
                      got += page.value().entries.size() + page.value().skipped;
                      {
                        std::lock_guard lock(gather->mu);
                        for (LogEntry& e : page.value().entries)
                          gather->found.push_back(std::move(e));
                      }
                      // A page ends at 1 MB: go on until the partition has given `limit`.
                      if (!page.value().last_evaluated_key.empty() && got < gather->limit) {
                        return QueryPartition(gather, std::move(type), got,
                                              std::move(page.value().last_evaluated_key));
                      }
                    } else {
                      error = page.status();
                    }
                  } else {
                    error = AsStoreError(r.status());
                  }
                  std::unique_lock lock(gather->mu);
                  if (!error.ok() && gather->error.ok()) gather->error = error;
                  if (--gather->pending > 0) return;
                  lock.unlock();
                  if (!gather->error.ok()) {
                    gather->done(gather->error);
                  } else {
                    auto& all = gather->found;
                    std::sort(all.begin(), all.end(), [](const LogEntry& a, const LogEntry& b) {
                      return a.timestamp_ms > b.timestamp_ms;
                    });
                    if (all.size() > gather->limit) all.resize(gather->limit);
                    gather->done(std::make_shared<const std::vector<LogEntry>>(std::move(all)));
                  }
                  End();
                });
}

void DynamoDbStore::Get(std::string log_id, GetCallback done) {
  // Every id logsvc or the original hands out is a 36-character UUID; a key
  // over DynamoDB's 2048-byte limit cannot exist, so it is not asked about.
  if (log_id.size() > 1024) return done(EntryNotFound(log_id));
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  std::string request = dynamodb::QueryByIdRequest(options_.table, log_id);
  client_->Call("Query", std::move(request),
                [this, log_id = std::move(log_id), done = std::move(done)](Result<std::string> r) {
                  Note(r.status());
                  if (!r.ok()) {
                    done(AsStoreError(r.status()));
                  } else if (auto page = dynamodb::ParseQueryResponse(r.value()); !page.ok()) {
                    done(page.status());
                  } else if (page.value().entries.empty()) {
                    done(EntryNotFound(log_id));
                  } else {
                    done(std::move(page.value().entries.front()));
                  }
                  End();
                });
}

bool DynamoDbStore::Healthy() const {
  const int64_t now = NowUnixMillis();
  const bool stale = now - last_outcome_ms_.load() > kStaleAfterMs;
  if ((!healthy_ || stale) && now - last_probe_ms_.load() >= kProbeIntervalMs &&
      !probing_.exchange(true)) {
    last_probe_ms_ = now;
    client_->Call("DescribeTable", dynamodb::DescribeTableRequest(options_.table),
                  [this](Result<std::string> r) {
                    // A missing table is as unhealthy as an unreachable one.
                    Note(r.ok() ? Status::Ok() : Status::Unavailable(r.status().message()));
                    probing_ = false;
                  });
  }
  return healthy_;
}

}  // namespace logsvc::store
