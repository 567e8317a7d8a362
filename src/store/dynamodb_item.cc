#include "store/dynamodb_item.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>

#include "core/datetime.h"
#include "core/ingest_request.h"
#include "core/json_writer.h"

namespace logsvc::store::dynamodb {
namespace {

void AppendAttr(std::string* out, std::string_view name, std::string_view kind,
                std::string_view value) {
  json::AppendString(out, name);
  out->append(":{\"").append(kind).append("\":");
  json::AppendString(out, value);
  out->push_back('}');
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  json::AppendString(out, name);
  out->push_back(':');
  json::AppendString(out, value);
}

// The value of a string ("S") or number ("N") attribute of an item.
bool AttrValue(simdjson::dom::object item, std::string_view name, std::string_view kind,
               std::string_view* out) {
  simdjson::dom::object attr;
  if (item[name].get(attr)) return false;
  return !attr[kind].get(*out);
}

bool ParseTimestamp(std::string_view n, int64_t* out) {
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), *out);
  if (ec == std::errc() && end == n.data() + n.size()) return true;
  // A number written as 1706356800000.0 or 1.7063568E12 by another client.
  double d = 0;
  auto [end2, ec2] = std::from_chars(n.data(), n.data() + n.size(), d);
  // Beyond ±9.2e18 the cast would be undefined; no real timestamp is near it.
  if (ec2 != std::errc() || end2 != n.data() + n.size() || !(std::fabs(d) < 9.0e18)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ItemToEntry(simdjson::dom::object item, LogEntry* e) {
  std::string_view id, ts, severity, message;
  if (!AttrValue(item, "logId", "S", &id) || !AttrValue(item, "timestamp", "N", &ts) ||
      !AttrValue(item, "severity", "S", &severity) || !AttrValue(item, "message", "S", &message)) {
    return false;
  }
  if (!ParseTimestamp(ts, &e->timestamp_ms) || !ParseSeverity(severity, &e->severity)) {
    return false;
  }
  e->log_id = std::string(id);
  e->message = std::string(message);
  return true;
}

}  // namespace

std::string IndexPartition(int shard) {
  return shard == 0 ? std::string(kOriginalPartition)
                    : std::string(kOriginalPartition) + "#" + std::to_string(shard);
}

int ShardOf(std::string_view log_id, int shards) {
  // FNV-1a: ids are random, any mixing hash spreads them evenly.
  uint32_t h = 2166136261u;
  for (char c : log_id) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return shards <= 1 ? 0 : static_cast<int>(h % static_cast<uint32_t>(shards));
}

std::string PutItemRequest(std::string_view table, const LogEntry& entry, std::string_view type) {
  std::string out = "{";
  AppendField(&out, "TableName", table);
  out += ",\"Item\":{";
  AppendAttr(&out, "logId", "S", entry.log_id);
  out += ',';
  AppendAttr(&out, "timestamp", "N", std::to_string(entry.timestamp_ms));
  out += ',';
  AppendAttr(&out, "datetime", "S", FormatIso8601Millis(entry.timestamp_ms));
  out += ',';
  AppendAttr(&out, "severity", "S", SeverityName(entry.severity));
  out += ',';
  AppendAttr(&out, "message", "S", entry.message);
  out += ',';
  AppendAttr(&out, "type", "S", type);
  out += "}}";
  return out;
}

std::string QueryRecentRequest(std::string_view table, std::string_view type, size_t limit,
                               std::string_view exclusive_start_key) {
  std::string out = "{";
  AppendField(&out, "TableName", table);
  out += ',';
  AppendField(&out, "IndexName", kIndexName);
  // "type" is a DynamoDB reserved word, hence the placeholder.
  out += ",\"KeyConditionExpression\":\"#t = :t\",\"ExpressionAttributeNames\":{\"#t\":\"type\"},";
  out += "\"ExpressionAttributeValues\":{";
  AppendAttr(&out, ":t", "S", type);
  out += "},\"ScanIndexForward\":false,\"Limit\":" + std::to_string(limit);
  if (!exclusive_start_key.empty()) {
    out += ",\"ExclusiveStartKey\":";
    out += exclusive_start_key;  // DynamoDB's own JSON, passed back as it came
  }
  out += '}';
  return out;
}

std::string QueryByIdRequest(std::string_view table, std::string_view log_id) {
  std::string out = "{";
  AppendField(&out, "TableName", table);
  out += ",\"KeyConditionExpression\":\"logId = :id\",\"ExpressionAttributeValues\":{";
  AppendAttr(&out, ":id", "S", log_id);
  out += "},\"ConsistentRead\":true,\"Limit\":1}";
  return out;
}

std::string DescribeTableRequest(std::string_view table) {
  std::string out = "{";
  AppendField(&out, "TableName", table);
  out += '}';
  return out;
}

Result<QueryPage> ParseQueryResponse(std::string_view body) {
  // One parser per thread, reused: its buffers are allocated once, not per page.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array items;
  if (parser.parse(body.data(), body.size()).get(doc) || doc["Items"].get(items)) {
    return Status::Internal("DynamoDB sent a Query response without Items");
  }
  QueryPage page;
  for (simdjson::dom::element el : items) {
    simdjson::dom::object item;
    LogEntry e;
    if (el.get(item) || !ItemToEntry(item, &e)) {
      ++page.skipped;
      continue;
    }
    page.entries.push_back(std::move(e));
  }
  simdjson::dom::element last;
  if (!doc["LastEvaluatedKey"].get(last)) page.last_evaluated_key = simdjson::minify(last);
  return page;
}

Status CheckTableDescription(std::string_view body, std::string_view table) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array indexes;
  if (parser.parse(body.data(), body.size()).get(doc)) {
    return Status::Internal("DynamoDB sent a DescribeTable response that is not JSON");
  }
  if (!doc["Table"]["GlobalSecondaryIndexes"].get(indexes)) {
    for (simdjson::dom::element index : indexes) {
      std::string_view name;
      simdjson::dom::array keys;
      if (index["IndexName"].get(name) || name != kIndexName || index["KeySchema"].get(keys)) {
        continue;
      }
      bool hash_type = false, range_timestamp = false;
      for (simdjson::dom::element key : keys) {
        std::string_view attr, kind;
        if (key["AttributeName"].get(attr) || key["KeyType"].get(kind)) continue;
        hash_type |= attr == "type" && kind == "HASH";
        range_timestamp |= attr == "timestamp" && kind == "RANGE";
      }
      if (hash_type && range_timestamp) return Status::Ok();
    }
  }
  return Status::InvalidArgument("the table " + std::string(table) + " has no index " +
                                 std::string(kIndexName) +
                                 " (partition key type, sort key timestamp), as the original "
                                 "design's table has");
}

}  // namespace logsvc::store::dynamodb
