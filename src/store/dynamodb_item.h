// The original design's DynamoDB item, and the request and response bodies
// logsvc exchanges with DynamoDB about it. Pure functions, no I/O.
//
// Table (unchanged from the original): partition key logId (S), sort key
// timestamp (N); attributes datetime (S), severity (S), message (S), type (S),
// and, for an entry that has attributes, attributes (M: each a string, S).
// GSI TimestampIndex: partition key type, sort key timestamp, projection ALL.
// `type` is "LOG" in the original; with index shards it is one of the values
// IndexPartition() gives.
#ifndef LOGSVC_STORE_DYNAMODB_ITEM_H_
#define LOGSVC_STORE_DYNAMODB_ITEM_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/query.h"
#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::store::dynamodb {

inline constexpr std::string_view kIndexName = "TimestampIndex";
inline constexpr std::string_view kOriginalPartition = "LOG";

// The most items one BatchWriteItem request may put (DynamoDB's limit).
inline constexpr size_t kBatchWriteItems = 25;

// The GSI partition of shard `shard` (0-based): "LOG" for shard 0, so that one
// shard is exactly the original, then "LOG#1", "LOG#2", ...
std::string IndexPartition(int shard);

// The shard an entry goes to, from its id (uniform over shards; stable, so a
// retried write lands in the same place).
int ShardOf(std::string_view log_id, int shards);

// The table's TTL attribute (Terraform's ttl_attribute_name, by default).
inline constexpr char kExpiresAtAttribute[] = "expiresAt";

// The item of `entry` (log_id set), in index partition `type`; with
// `retention_s` > 0 it carries expiresAt (N): the entry's time in Unix
// seconds plus retention_s, the table's TTL attribute.
std::string PutItemRequest(std::string_view table, const LogEntry& entry, std::string_view type,
                           int64_t retention_s = 0);

// One BatchWriteItem of `entries` (1..kBatchWriteItems, ids set, distinct),
// each item exactly as PutItemRequest writes it, its type
// IndexPartition(ShardOf(log_id, index_shards)).
std::string BatchWriteItemRequest(std::string_view table, std::span<const LogEntry> entries,
                                  int index_shards, int64_t retention_s = 0);

// What BatchWriteItem left undone: the request that retries its
// UnprocessedItems ({"RequestItems": <them>}), or "" when every item was
// written. Internal if the body is not a BatchWriteItem response.
Result<std::string> ParseBatchWriteItemResponse(std::string_view body);

// A timestamp attribute's number in whole milliseconds (truncated):
// "1706356800000", and as other writers spell it, "1706356800000.0" or
// "1.7063568E12". False if it is not a number within ±9e18.
bool ParseTimestampMillis(std::string_view number, int64_t* out);

// The bounds of the key condition on timestamp for [from_ms, to_ms): the
// least and the greatest number DynamoDB can hold whose whole milliseconds
// (ParseTimestampMillis) are in the range. Another writer's 1000.5 is at
// millisecond 1000, so it is found in [1000, 1001) as Matches says it is;
// for whole numbers they are from_ms and to_ms - 1 ("1999.99...9").
std::string LowestNumberOf(int64_t from_ms);
std::string HighestNumberBefore(int64_t to_ms);

// The key of an item in TimestampIndex, without its partition (`type`, which
// the shard gives): the table key, logId and timestamp.
struct ItemKey {
  std::string log_id;
  // The timestamp as DynamoDB wrote the number ("1706356800000"; another
  // writer's "1706356800000.5" stays as it is, so the key is exact).
  std::string timestamp;
  int64_t timestamp_ms = 0;  // its value, truncated to a whole millisecond
  bool operator==(const ItemKey&) const = default;
};

// One page of one index partition, in time order (oldest first for kAsc),
// restricted by key condition to timestamps in [from_ms, to_ms) (from_ms <
// to_ms; see LowestNumberOf), at most `limit` items read.
struct IndexQuery {
  std::string_view table;
  std::string_view type;  // the partition
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  Order order = Order::kDesc;
  size_t limit = 1;
  // Only entries of these severities are wanted: DynamoDB is asked to leave
  // out items whose severity is exactly the stored (lower-case) name of
  // another one. Anything else (other letter cases, no severity) still comes
  // back, so the caller's Matches decides exactly as it would without the
  // filter; DynamoDB charges the same reads either way, only fewer bytes travel.
  SeveritySet severities = SeveritySet::All();
  const ItemKey* exclusive_start = nullptr;  // resume after this item of `type`
};
std::string QueryIndexRequest(const IndexQuery& query);

// The item(s) with this logId (consistent read).
std::string QueryByIdRequest(std::string_view table, std::string_view log_id);

std::string DescribeTableRequest(std::string_view table);

// An item of a Query response that is a log entry (see VisitQueryResponse);
// the views point into the response.
struct ItemView {
  std::string_view log_id;
  std::string_view timestamp;  // the number's text, as ItemKey::timestamp
  int64_t timestamp_ms;
  Severity severity;
  std::string_view message;
  Attributes attributes;  // copied: most items have none

  LogEntry ToEntry() const;
  ItemKey Key() const;
};

struct QueryInfo {
  size_t scanned = 0;  // ScannedCount: items DynamoDB read, before its FilterExpression
  size_t skipped = 0;  // items sent back that are not log entries (a bad severity...)
  // LastEvaluatedKey: where the next page starts; nullopt on the last page.
  std::optional<ItemKey> last_evaluated;
};

// Calls `visit` for each item of a Query response that is a log entry: logId
// S, timestamp N (a number; 1706356800000.0 and 1.7063568E12 are read too),
// severity S naming a severity in any letter case, message S, and attributes
// M if there are any (string values only). Other items are
// counted in `skipped`. Internal if the body is not a Query response.
Result<QueryInfo> VisitQueryResponse(std::string_view body,
                                     const std::function<void(const ItemView&)>& visit);

struct QueryPage {
  std::vector<LogEntry> entries;
  size_t skipped = 0;
};

// The log entries of a Query response (VisitQueryResponse).
Result<QueryPage> ParseQueryResponse(std::string_view body);

// ---- Idempotency (LogStore::AppendOnce) ----
// An AppendOnce's record is an item of the same table: logId "once#" and the
// key in hex, timestamp 0, no `type` (so it is in no index partition, and no
// read of entries sees it), attributes fingerprint (S, hex), written (N, ms),
// expiresAt (N, Unix seconds: the table's TTL attribute) and entries (B: per
// entry its id's 16 bytes and its timestamp's 8, big-endian, in order; 24
// bytes an entry, 240,000 for a batch of 10,000: within DynamoDB's 400 KB).
struct OnceItem {
  std::string fingerprint_hex;
  int64_t written_ms = 0;
  std::vector<std::string> ids;  // formatted UUIDs
  std::vector<int64_t> timestamps_ms;
};
std::string OnceItemId(std::string_view key);
// PutItem of the record, unless one written after stale_before_ms is there
// (ConditionalCheckFailedException then).
std::string PutOnceItemRequest(std::string_view table, std::string_view item_id,
                               const OnceItem& item, int64_t stale_before_ms);
// The record in a Query response (QueryByIdRequest of its id); nullopt if
// there is none. Internal if the body or the item is malformed.
Result<std::optional<OnceItem>> ParseOnceItemResponse(std::string_view body);

// Whether a DescribeTable response shows the original design's index
// TimestampIndex; InvalidArgument saying what is missing otherwise.
Status CheckTableDescription(std::string_view body, std::string_view table);

}  // namespace logsvc::store::dynamodb

#endif  // LOGSVC_STORE_DYNAMODB_ITEM_H_
