// The original design's DynamoDB item, and the request and response bodies
// logsvc exchanges with DynamoDB about it. Pure functions, no I/O.
//
// Table (unchanged from the original): partition key logId (S), sort key
// timestamp (N); attributes datetime (S), severity (S), message (S), type (S).
// GSI TimestampIndex: partition key type, sort key timestamp, projection ALL.
// `type` is "LOG" in the original; with index shards it is one of the values
// IndexPartition() gives.
#ifndef LOGSVC_STORE_DYNAMODB_ITEM_H_
#define LOGSVC_STORE_DYNAMODB_ITEM_H_

#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::store::dynamodb {

inline constexpr std::string_view kIndexName = "TimestampIndex";
inline constexpr std::string_view kOriginalPartition = "LOG";

// The GSI partition of shard `shard` (0-based): "LOG" for shard 0, so that one
// shard is exactly the original, then "LOG#1", "LOG#2", ...
std::string IndexPartition(int shard);

// The shard an entry goes to, from its id (uniform over shards; stable, so a
// retried write lands in the same place).
int ShardOf(std::string_view log_id, int shards);

std::string PutItemRequest(std::string_view table, const LogEntry& entry, std::string_view type);

// A page of the newest items of one index partition, newest first.
// `exclusive_start_key` is the LastEvaluatedKey of the previous page (raw JSON) or "".
std::string QueryRecentRequest(std::string_view table, std::string_view type, size_t limit,
                               std::string_view exclusive_start_key);

// The item(s) with this logId (consistent read).
std::string QueryByIdRequest(std::string_view table, std::string_view log_id);

std::string DescribeTableRequest(std::string_view table);

struct QueryPage {
  std::vector<LogEntry> entries;
  std::string last_evaluated_key;  // raw JSON; empty on the last page
  size_t skipped = 0;              // items that are not log entries (a bad severity...)
};

// Internal if the body is not a Query response.
Result<QueryPage> ParseQueryResponse(std::string_view body);

// Whether a DescribeTable response shows the original design's index
// TimestampIndex; InvalidArgument saying what is missing otherwise.
Status CheckTableDescription(std::string_view body, std::string_view table);

}  // namespace logsvc::store::dynamodb

#endif  // LOGSVC_STORE_DYNAMODB_ITEM_H_
