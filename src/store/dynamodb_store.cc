#include "store/dynamodb_store.h"

#include "core/ascii.h"
#include "core/datetime.h"

#include <algorithm>
#include <chrono>

#include "core/datetime.h"
#include "core/uuid.h"
#include "store/dynamodb_item.h"
#include "store/dynamodb_position.h"
#include "store/dynamodb_walk.h"
#include "store/follow_by_time.h"
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

// One Search or Stats call: its walk, and the round of Queries in flight.
struct DynamoDbStore::Walk {
  std::shared_ptr<dynamodb::IndexWalk> walk;
  Filter filter;
  Order order = Order::kDesc;
  std::function<void(Status)> finish;  // reports the walk's result, or the error
  util::Mutex mu;
  size_t pending GUARDED_BY(mu) = 0;  // Queries of this round not yet answered
  Status error GUARDED_BY(mu);        // the round's first failure
};

// One AppendBatch call: its entries, cut into BatchWriteItem requests.
struct DynamoDbStore::Batch {
  std::vector<LogEntry> entries;
  BatchCallback done;
  size_t requests = 0;
  util::Mutex mu;
  size_t next GUARDED_BY(mu) = 0;  // the next request to send
  int in_flight GUARDED_BY(mu) = 0;
  Status error GUARDED_BY(mu);  // the first failure
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
                                          .check_table = settings.check_table,
                                          .retention_ms = settings.retention_ms});
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
  util::MutexLock lock(&mu_);
  if (closed_) return false;
  ++in_flight_;
  return true;
}

void DynamoDbStore::End() {
  util::MutexLock lock(&mu_);
  if (--in_flight_ == 0) idle_cv_.SignalAll();
}

void DynamoDbStore::Close() {
  util::MutexLock lock(&mu_);
  closed_ = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (in_flight_ > 0 && idle_cv_.WaitUntil(&mu_, deadline)) {
  }
}

void DynamoDbStore::Append(LogEntry entry, AppendCallback done) {
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  // The table's key: random, so items spread evenly over DynamoDB's partitions.
  entry.log_id = uuid::Format(uuid::NewV4());
  const std::string type =
      dynamodb::IndexPartition(dynamodb::ShardOf(entry.log_id, options_.index_shards));
  client_->Call("PutItem",
                dynamodb::PutItemRequest(options_.table, entry, type, options_.retention_ms / 1000),
                [this, id = entry.log_id, done = std::move(done)](Result<std::string> r) mutable {
                  Note(r.status());
                  // A write DynamoDB refused as invalid is our bug, not the client's.
                  if (r.ok()) {
                    done(std::move(id));
                  } else {
                    done(AsStoreError(r.status()));
                  }
                  done = nullptr;  // before End(): see End()
                  End();
                });
}

void DynamoDbStore::AppendBatch(std::vector<LogEntry> entries, BatchCallback done) {
  // Each entry gets its id as Append gives it, and keeps its own timestamp.
  for (LogEntry& e : entries) e.log_id = uuid::Format(uuid::NewV4());
  WriteItems(std::move(entries), std::move(done));
}

void DynamoDbStore::AppendOnce(IdempotentWrite once, std::vector<LogEntry> entries,
                               OnceCallback done) {
  if (entries.empty() || entries.size() > kMaxBatchEntries || once.fingerprint.size() != 32) {
    return done(Status::Internal("AppendOnce takes 1 to 10,000 entries and a 32-byte fingerprint"));
  }
  auto write = std::make_shared<OnceWrite>();
  write->item_id = dynamodb::OnceItemId(once.key);
  write->fingerprint_hex = ascii::LowerHex(once.fingerprint);
  write->entries = std::move(entries);
  write->done = std::move(done);
  LookUpOnce(std::move(write), 0);
}

// The record first (a consistent read): a key seen within the window answers
// with its ids, which are written again (the same items: a retry after a
// partial failure completes the write, never duplicates it). A new key's
// record is put before the entries, conditionally, so that of two requests
// racing with one key, one makes the ids and the other uses them.
void DynamoDbStore::LookUpOnce(std::shared_ptr<OnceWrite> write, int attempt) {
  if (!Begin()) return write->done(Status::Unavailable(std::string(kClosed)));
  client_->Call(
      "Query", dynamodb::QueryByIdRequest(options_.table, write->item_id),
      [this, write, attempt](Result<std::string> r) mutable {
        Note(r.status());
        Result<std::optional<dynamodb::OnceItem>> found =
            r.ok() ? dynamodb::ParseOnceItemResponse(r.value())
                   : Result<std::optional<dynamodb::OnceItem>>(AsStoreError(r.status()));
        const int64_t now = NowUnixMillis();
        if (!found.ok()) {
          write->done(found.status());
        } else if (found.value() && now - found.value()->written_ms <= kIdempotencyWindowMs) {
          const dynamodb::OnceItem& item = *found.value();
          if (item.fingerprint_hex != write->fingerprint_hex ||
              item.ids.size() != write->entries.size()) {
            write->done(OnceResult{OnceResult::Outcome::kOtherRequest, {}, {}});
          } else {
            WriteOnceEntries(write, item, OnceResult::Outcome::kReplayed);
          }
        } else if (attempt > 0) {
          write->done(Status::Unavailable("DynamoDB did not settle an idempotency record"));
        } else {
          dynamodb::OnceItem item{write->fingerprint_hex, now, {}, {}};
          for (const LogEntry& e : write->entries) {
            item.ids.push_back(uuid::Format(uuid::NewV4()));
            item.timestamps_ms.push_back(e.timestamp_ms);
          }
          PutOnce(write, std::move(item));
        }
        write.reset();  // before End(): see End()
        End();
      });
}

void DynamoDbStore::PutOnce(std::shared_ptr<OnceWrite> write, dynamodb::OnceItem item) {
  if (!Begin()) return write->done(Status::Unavailable(std::string(kClosed)));
  std::string body = dynamodb::PutOnceItemRequest(options_.table, write->item_id, item,
                                                  item.written_ms - kIdempotencyWindowMs);
  client_->Call("PutItem", std::move(body),
                [this, write, item = std::move(item)](Result<std::string> r) mutable {
                  // Losing the race for a key is the condition doing its job, not a
                  // failure worth a log line.
                  const bool lost_race =
                      !r.ok() &&
                      r.status().message().find("ConditionalCheckFailed") != std::string::npos;
                  if (!lost_race) Note(r.status());
                  if (r.ok()) {
                    WriteOnceEntries(write, item, OnceResult::Outcome::kStored);
                  } else if (lost_race) {
                    LookUpOnce(write, 1);  // another request put it first: use its ids
                  } else {
                    write->done(AsStoreError(r.status()));
                  }
                  write.reset();  // before End(): see End()
                  End();
                });
}

void DynamoDbStore::WriteOnceEntries(const std::shared_ptr<OnceWrite>& write,
                                     const dynamodb::OnceItem& item, OnceResult::Outcome outcome) {
  for (size_t i = 0; i < write->entries.size(); ++i) {
    write->entries[i].log_id = item.ids[i];
    write->entries[i].timestamp_ms = item.timestamps_ms[i];
  }
  WriteItems(std::move(write->entries),
             [done = std::move(write->done), outcome,
              timestamps = item.timestamps_ms](Result<std::vector<std::string>> ids) mutable {
               if (!ids.ok()) return done(ids.status());
               done(OnceResult{outcome, std::move(ids).value(), std::move(timestamps)});
             });
}

void DynamoDbStore::WriteItems(std::vector<LogEntry> entries, BatchCallback done) {
  if (entries.empty()) return done(std::vector<std::string>());
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  auto batch = std::make_shared<Batch>();
  batch->requests = (entries.size() + dynamodb::kBatchWriteItems - 1) / dynamodb::kBatchWriteItems;
  batch->entries = std::move(entries);
  batch->done = std::move(done);
  StartBatchRequests(batch);
}

void DynamoDbStore::StartBatchRequests(const std::shared_ptr<Batch>& batch) {
  std::vector<size_t> to_send;
  {
    util::MutexLock lock(&batch->mu);
    while (batch->error.ok() && batch->in_flight < kBatchRequestsInFlight &&
           batch->next < batch->requests) {
      to_send.push_back(batch->next++);
      ++batch->in_flight;
    }
  }
  // Sent outside the lock: a request that fails at once reports on this thread.
  for (size_t i : to_send) {
    const size_t begin = i * dynamodb::kBatchWriteItems;
    const size_t n = std::min(dynamodb::kBatchWriteItems, batch->entries.size() - begin);
    std::span<const LogEntry> part(batch->entries.data() + begin, n);
    SendBatchRequest(batch,
                     dynamodb::BatchWriteItemRequest(options_.table, part, options_.index_shards,
                                                     options_.retention_ms / 1000),
                     1);
  }
}

void DynamoDbStore::SendBatchRequest(std::shared_ptr<Batch> batch, std::string body, int attempt) {
  client_->Call("BatchWriteItem", std::move(body),
                [this, batch, attempt](Result<std::string> r) mutable {
                  Note(r.status());
                  if (!r.ok()) return BatchRequestDone(batch, AsStoreError(r.status()));
                  auto retry = dynamodb::ParseBatchWriteItemResponse(r.value());
                  if (!retry.ok()) return BatchRequestDone(batch, retry.status());
                  if (retry.value().empty()) return BatchRequestDone(batch, Status::Ok());
                  if (attempt >= kBatchAttempts) {
                    return BatchRequestDone(
                        batch, Status::Unavailable("DynamoDB left items of a BatchWriteItem "
                                                   "unprocessed after " +
                                                   std::to_string(attempt) + " attempts"));
                  }
                  // Unprocessed items mean throttling: wait as the client does for it.
                  client_->After(client_->RetryDelay(attempt - 1),
                                 [this, batch, attempt, body = std::move(retry).value()]() mutable {
                                   SendBatchRequest(std::move(batch), std::move(body), attempt + 1);
                                 });
                });
}

void DynamoDbStore::BatchRequestDone(const std::shared_ptr<Batch>& batch, Status status) {
  bool finished;
  Status error;
  {
    util::MutexLock lock(&batch->mu);
    --batch->in_flight;
    if (!status.ok() && batch->error.ok()) batch->error = std::move(status);
    // After a failure no request is started; the batch ends with those in flight.
    finished = batch->in_flight == 0 && (batch->next == batch->requests || !batch->error.ok());
    error = batch->error;
  }
  if (!finished) return StartBatchRequests(batch);
  if (error.ok()) {
    std::vector<std::string> ids;
    ids.reserve(batch->entries.size());
    for (LogEntry& e : batch->entries) ids.push_back(std::move(e.log_id));
    batch->done(std::move(ids));
  } else {
    batch->done(Status::Unavailable("DynamoDB did not acknowledge every entry of the batch (" +
                                    error.message() + "); some of its " +
                                    std::to_string(batch->entries.size()) +
                                    " entries may have been stored, under ids never reported"));
  }
  batch->done = nullptr;  // before End(): see End()
  End();
}

void DynamoDbStore::Search(StoreQuery query, SearchCallback done) {
  std::optional<dynamodb::WalkBound> bound;
  auto cursors = dynamodb::DecodePosition(query.position, dynamodb::WalkKind::kSearch, query.order,
                                          options_.index_shards, query.filter.from_ms,
                                          query.filter.to_ms, &bound);
  if (!cursors.ok()) return done(cursors.status());
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  const size_t limit = std::clamp<size_t>(query.limit, 1, kMaxSearchLimit);
  auto search = std::make_shared<dynamodb::SearchWalk>(query.filter, query.order, limit,
                                                       std::move(cursors).value(), bound);
  if (options_.retention_ms > 0) {
    // Past retention, until DynamoDB's TTL deletes them: left out of the page
    // (which may then hold fewer than `limit`, as the contract allows).
    done = [cutoff = NowUnixMillis() - options_.retention_ms,
            done = std::move(done)](Result<SearchPage> page) mutable {
      if (page.ok() && !page.value().entries->empty() &&
          std::any_of(page.value().entries->begin(), page.value().entries->end(),
                      [&](const LogEntry& e) { return e.timestamp_ms < cutoff; })) {
        std::vector<LogEntry> kept;
        for (const LogEntry& e : *page.value().entries) {
          if (e.timestamp_ms >= cutoff) kept.push_back(e);
        }
        page.value().entries = std::make_shared<const std::vector<LogEntry>>(std::move(kept));
      }
      done(std::move(page));
    };
  }
  StartWalk(std::move(search), std::move(query.filter), query.order, std::move(done));
}

void DynamoDbStore::Follow(FollowQuery query, FollowCallback done) {
  FollowByTime(*this, std::move(query), NowUnixMillis(), std::move(done));
}

std::string_view DynamoDbStore::FollowNote() const {
  return "DynamoDB: the index partitions are polled once a second; an entry is sent about 3 s "
         "after its timestamp, and one that arrives stamped earlier than that is not sent "
         "(search finds it)";
}

void DynamoDbStore::Stats(StatsQuery query, StatsCallback done) {
  const Filter& f = query.filter;
  if (query.step_ms <= 0 || f.from_ms > f.to_ms ||
      StatsBucketCount(f.from_ms, f.to_ms, query.step_ms) > kMaxStatsBuckets) {
    return done(Status::InvalidArgument("The stats range must be finite, with at most " +
                                        std::to_string(kMaxStatsBuckets) + " buckets."));
  }
  auto cursors = dynamodb::DecodePosition(query.position, dynamodb::WalkKind::kStats, Order::kAsc,
                                          options_.index_shards, f.from_ms, f.to_ms);
  if (!cursors.ok()) return done(cursors.status());
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  auto stats = std::make_shared<dynamodb::StatsWalk>(f, query.step_ms, std::move(cursors).value());
  if (options_.retention_ms > 0) {
    // Buckets wholly past retention count nothing (their items wait for the
    // TTL); the one the cutoff falls in may still count some of them.
    done = [cutoff = NowUnixMillis() - options_.retention_ms,
            first = FloorDiv(f.from_ms, query.step_ms) * query.step_ms, step = query.step_ms,
            done = std::move(done)](Result<StatsPage> page) mutable {
      if (page.ok()) {
        for (size_t i = 0; i < page.value().counts.size(); ++i) {
          if (first + static_cast<int64_t>(i + 1) * step <= cutoff) page.value().counts[i] = {};
        }
      }
      done(std::move(page));
    };
  }
  StartWalk(std::move(stats), std::move(query.filter), Order::kAsc, std::move(done));
}

template <typename WalkType, typename Callback>
void DynamoDbStore::StartWalk(std::shared_ptr<WalkType> walk, Filter filter, Order order,
                              Callback done) {
  auto run = std::make_shared<Walk>();
  run->walk = walk;
  run->filter = std::move(filter);
  run->order = order;
  run->finish = [walk, done = std::move(done)](Status s) {
    if (s.ok()) {
      done(walk->Finish());
    } else {
      done(std::move(s));
    }
  };
  Drive(std::move(run));
}

void DynamoDbStore::Drive(std::shared_ptr<Walk> walk) {
  std::vector<dynamodb::ShardFetch> fetches = walk->walk->NextFetches();
  if (fetches.empty()) {
    walk->finish(Status::Ok());
    walk->finish = nullptr;  // before End(): see End()
    return End();
  }
  {
    // Before the first Query is sent: the answers decrement it.
    util::MutexLock lock(&walk->mu);
    walk->pending = fetches.size();
  }
  for (const dynamodb::ShardFetch& fetch : fetches) {
    const std::string type = dynamodb::IndexPartition(fetch.shard);
    dynamodb::IndexQuery q{.table = options_.table,
                           .type = type,
                           .from_ms = walk->filter.from_ms,
                           .to_ms = walk->filter.to_ms,
                           .order = walk->order,
                           .limit = fetch.limit,
                           .severities = walk->filter.severities,
                           .exclusive_start = fetch.start ? &*fetch.start : nullptr};
    client_->Call("Query", dynamodb::QueryIndexRequest(q),
                  [this, walk, shard = fetch.shard](Result<std::string> r) {
                    Note(r.status());
                    util::MutexLock lock(&walk->mu);
                    if (!walk->error.ok()) {
                      // The call fails anyway: this answer is not looked at.
                    } else if (r.ok()) {
                      walk->error = walk->walk->Add(shard, r.value());
                    } else {
                      walk->error = AsStoreError(r.status());
                    }
                    if (--walk->pending > 0) return;
                    const Status error = walk->error;
                    lock.Unlock();
                    if (error.ok()) return Drive(walk);
                    walk->finish(error);
                    walk->finish = nullptr;  // before End(): see End()
                    End();
                  });
  }
}

void DynamoDbStore::Get(std::string log_id, GetCallback done) {
  // Every id logsvc or the original hands out is a 36-character UUID; a key
  // over DynamoDB's 2048-byte limit cannot exist, so it is not asked about.
  if (log_id.size() > 1024) return done(EntryNotFound(log_id));
  if (!Begin()) return done(Status::Unavailable(std::string(kClosed)));
  std::string request = dynamodb::QueryByIdRequest(options_.table, log_id);
  client_->Call(
      "Query", std::move(request),
      [this, log_id = std::move(log_id), done = std::move(done)](Result<std::string> r) mutable {
        Note(r.status());
        if (!r.ok()) {
          done(AsStoreError(r.status()));
        } else if (auto page = dynamodb::ParseQueryResponse(r.value()); !page.ok()) {
          done(page.status());
        } else if (page.value().entries.empty() ||
                   (options_.retention_ms > 0 && page.value().entries.front().timestamp_ms <
                                                     NowUnixMillis() - options_.retention_ms)) {
          done(EntryNotFound(log_id));
        } else {
          done(std::move(page.value().entries.front()));
        }
        done = nullptr;  // before End(): see End()
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
