#include "store/dynamodb_item.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/ascii.h"
#include "core/base64.h"
#include "core/datetime.h"
#include "core/ingest_request.h"
#include "core/json_writer.h"
#include "core/uuid.h"
#include "logsvc/log_store.h"

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

// The entry an item holds, as views into the response; false if it is not one.
bool ReadItem(simdjson::dom::object item, ItemView* v) {
  std::string_view severity;
  if (!AttrValue(item, "logId", "S", &v->log_id) ||
      !AttrValue(item, "timestamp", "N", &v->timestamp) ||
      !AttrValue(item, "severity", "S", &severity) ||
      !AttrValue(item, "message", "S", &v->message)) {
    return false;
  }
  if (!ParseTimestampMillis(v->timestamp, &v->timestamp_ms) ||
      !ParseSeverity(severity, &v->severity)) {
    return false;
  }
  // "attributes": a map of strings (M of S). Values of other types (another
  // writer's) are left out; LogEntry keeps them sorted by key, DynamoDB's map
  // has no order.
  v->attributes.clear();
  simdjson::dom::object map;
  if (!item["attributes"]["M"].get(map)) {
    for (auto [key, value] : map) {
      std::string_view text;
      if (value["S"].get(text)) continue;
      v->attributes.push_back(Attribute{std::string(key), std::string(text)});
    }
    std::sort(v->attributes.begin(), v->attributes.end(),
              [](const Attribute& a, const Attribute& b) { return a.key < b.key; });
  }
  return true;
}

// The attributes of one item, without braces: PutItem's and BatchWriteItem's.
void AppendItem(std::string* out, const LogEntry& entry, std::string_view type,
                int64_t retention_s) {
  AppendAttr(out, "logId", "S", entry.log_id);
  out->push_back(',');
  AppendAttr(out, "timestamp", "N", std::to_string(entry.timestamp_ms));
  out->push_back(',');
  AppendAttr(out, "datetime", "S", FormatIso8601Millis(entry.timestamp_ms));
  out->push_back(',');
  AppendAttr(out, "severity", "S", SeverityName(entry.severity));
  out->push_back(',');
  AppendAttr(out, "message", "S", entry.message);
  out->push_back(',');
  AppendAttr(out, "type", "S", type);
  if (retention_s > 0) {
    out->push_back(',');
    AppendAttr(out, kExpiresAtAttribute, "N",
               std::to_string(FloorDiv(entry.timestamp_ms, 1000) + retention_s));
  }
  if (entry.attributes.empty()) return;
  out->append(",\"attributes\":{\"M\":{");
  for (size_t i = 0; i < entry.attributes.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendAttr(out, entry.attributes[i].key, "S", entry.attributes[i].value);
  }
  out->append("}}");
}

// An index key as ExclusiveStartKey takes it: the table key and the partition.
void AppendKey(std::string* out, const ItemKey& key, std::string_view type) {
  out->push_back('{');
  AppendAttr(out, "logId", "S", key.log_id);
  out->push_back(',');
  AppendAttr(out, "timestamp", "N", key.timestamp);
  out->push_back(',');
  AppendAttr(out, "type", "S", type);
  out->push_back('}');
}

// DynamoDB keeps 38 significant digits of a number.
constexpr size_t kNumberDigits = 38;

// `digits` (a whole number's) followed by as many 9s after the point as
// DynamoDB keeps: the largest number of that whole part.
std::string WithNines(std::string digits) {
  const size_t significant = digits == "0" ? 0 : digits.size();
  digits.push_back('.');
  digits.append(kNumberDigits - significant, '9');
  return digits;
}

}  // namespace

std::string LowestNumberOf(int64_t from_ms) {
  // Above 0 a number truncates to from_ms from from_ms on; at or below it,
  // from just above from_ms - 1 (-0.5 truncates to 0).
  if (from_ms > 0) return std::to_string(from_ms);
  return "-" + WithNines(std::to_string(0 - static_cast<uint64_t>(from_ms)));
}

std::string HighestNumberBefore(int64_t to_ms) {
  const int64_t last = to_ms - 1;
  return last >= 0 ? WithNines(std::to_string(last)) : std::to_string(last);
}

bool ParseTimestampMillis(std::string_view n, int64_t* out) {
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

std::string PutItemRequest(std::string_view table, const LogEntry& entry, std::string_view type,
                           int64_t retention_s) {
  std::string out = "{";
  AppendField(&out, "TableName", table);
  out += ",\"Item\":{";
  AppendItem(&out, entry, type, retention_s);
  out += "}}";
  return out;
}

std::string BatchWriteItemRequest(std::string_view table, std::span<const LogEntry> entries,
                                  int index_shards, int64_t retention_s) {
  std::string out = "{\"RequestItems\":{";
  json::AppendString(&out, table);
  out += ":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += "{\"PutRequest\":{\"Item\":{";
    AppendItem(&out, entries[i], IndexPartition(ShardOf(entries[i].log_id, index_shards)),
               retention_s);
    out += "}}}";
  }
  out += "]}}";
  return out;
}

Result<std::string> ParseBatchWriteItemResponse(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(body.data(), body.size()).get(doc)) {
    return Status::Internal("DynamoDB sent a BatchWriteItem response that is not a JSON object");
  }
  simdjson::dom::object unprocessed;
  if (doc["UnprocessedItems"].get(unprocessed) || unprocessed.size() == 0) return std::string();
  // Passed back as it came: the items DynamoDB names are the ones it did not write.
  return "{\"RequestItems\":" + simdjson::minify(unprocessed) + "}";
}

std::string QueryIndexRequest(const IndexQuery& q) {
  std::string out = "{";
  AppendField(&out, "TableName", q.table);
  out += ',';
  AppendField(&out, "IndexName", kIndexName);
  // "type", "timestamp" and "severity" may be DynamoDB reserved words, hence
  // the placeholders. BETWEEN is inclusive, the range's end is not: the
  // bounds are the numbers whose whole milliseconds are in the range.
  out +=
      ",\"KeyConditionExpression\":\"#t = :t AND #ts BETWEEN :from AND :last\","
      "\"ExpressionAttributeNames\":{\"#t\":\"type\",\"#ts\":\"timestamp\"";
  // The severities the filter leaves out, by their stored spelling.
  std::vector<std::string_view> unwanted;
  for (size_t s = 0; s < kSeverityCount; ++s) {
    if (!q.severities.Contains(static_cast<Severity>(s))) {
      unwanted.push_back(SeverityName(static_cast<Severity>(s)));
    }
  }
  if (!unwanted.empty()) out += ",\"#sev\":\"severity\"";
  out += "},\"ExpressionAttributeValues\":{";
  AppendAttr(&out, ":t", "S", q.type);
  out += ',';
  AppendAttr(&out, ":from", "N", LowestNumberOf(q.from_ms));
  out += ',';
  AppendAttr(&out, ":last", "N", HighestNumberBefore(q.to_ms));
  for (size_t i = 0; i < unwanted.size(); ++i) {
    out += ',';
    AppendAttr(&out, ":x" + std::to_string(i), "S", unwanted[i]);
  }
  out += '}';
  if (!unwanted.empty()) {
    out += ",\"FilterExpression\":\"NOT (#sev IN (";
    for (size_t i = 0; i < unwanted.size(); ++i) {
      if (i > 0) out += ", ";
      out += ":x" + std::to_string(i);
    }
    out += "))\"";
  }
  out += ",\"ScanIndexForward\":";
  out += q.order == Order::kAsc ? "true" : "false";
  out += ",\"Limit\":" + std::to_string(q.limit);
  // Free: DynamoDB then says in its answer what the page cost.
  out += ",\"ReturnConsumedCapacity\":\"TOTAL\"";
  if (q.exclusive_start != nullptr) {
    out += ",\"ExclusiveStartKey\":";
    AppendKey(&out, *q.exclusive_start, q.type);
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

LogEntry ItemView::ToEntry() const {
  return LogEntry{std::string(log_id), timestamp_ms, severity, std::string(message), attributes};
}

ItemKey ItemView::Key() const {
  return ItemKey{std::string(log_id), std::string(timestamp), timestamp_ms};
}

Result<QueryInfo> VisitQueryResponse(std::string_view body,
                                     const std::function<void(const ItemView&)>& visit) {
  // One parser per thread, reused: its buffers are allocated once, not per page.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array items;
  if (parser.parse(body.data(), body.size()).get(doc) || doc["Items"].get(items)) {
    return Status::Internal("DynamoDB sent a Query response without Items");
  }
  QueryInfo info;
  uint64_t scanned = 0;
  info.scanned = doc["ScannedCount"].get(scanned) ? items.size() : static_cast<size_t>(scanned);
  for (simdjson::dom::element el : items) {
    simdjson::dom::object item;
    ItemView v;
    if (el.get(item) || !ReadItem(item, &v)) {
      ++info.skipped;
      continue;
    }
    visit(v);
  }
  simdjson::dom::object last;
  if (!doc["LastEvaluatedKey"].get(last)) {
    ItemKey key;
    std::string_view id, ts;
    if (!AttrValue(last, "logId", "S", &id) || !AttrValue(last, "timestamp", "N", &ts) ||
        !ParseTimestampMillis(ts, &key.timestamp_ms)) {
      return Status::Internal("DynamoDB sent a LastEvaluatedKey without logId and timestamp");
    }
    key.log_id = std::string(id);
    key.timestamp = std::string(ts);
    info.last_evaluated = std::move(key);
  }
  return info;
}

Result<QueryPage> ParseQueryResponse(std::string_view body) {
  QueryPage page;
  auto info =
      VisitQueryResponse(body, [&](const ItemView& v) { page.entries.push_back(v.ToEntry()); });
  if (!info.ok()) return info.status();
  page.skipped = info.value().skipped;
  return page;
}

std::string OnceItemId(std::string_view key) { return "once#" + ascii::LowerHex(key); }

std::string PutOnceItemRequest(std::string_view table, std::string_view item_id,
                               const OnceItem& item, int64_t stale_before_ms) {
  std::string packed;
  packed.reserve(24 * item.ids.size());
  for (size_t i = 0; i < item.ids.size(); ++i) {
    const auto id = uuid::Parse(item.ids[i]);
    const uuid::Bytes b = id ? *id : uuid::Bytes{};
    packed.append(reinterpret_cast<const char*>(b.data()), b.size());
    const auto ts = static_cast<uint64_t>(item.timestamps_ms[i]);
    for (int shift = 56; shift >= 0; shift -= 8) packed.push_back(static_cast<char>(ts >> shift));
  }
  std::string out = "{";
  AppendField(&out, "TableName", table);
  out += ",\"Item\":{";
  AppendAttr(&out, "logId", "S", item_id);
  out += ',';
  AppendAttr(&out, "timestamp", "N", "0");
  out += ',';
  AppendAttr(&out, "fingerprint", "S", item.fingerprint_hex);
  out += ',';
  AppendAttr(&out, "written", "N", std::to_string(item.written_ms));
  out += ',';
  AppendAttr(&out, kExpiresAtAttribute, "N",
             std::to_string(item.written_ms / 1000 + kIdempotencyWindowMs / 1000));
  out += ',';
  AppendAttr(&out, "entries", "B", base64::Encode(packed, base64::Alphabet::kStandard));
  out +=
      "},\"ConditionExpression\":\"attribute_not_exists(logId) OR written < :stale\","
      "\"ExpressionAttributeValues\":{";
  AppendAttr(&out, ":stale", "N", std::to_string(stale_before_ms));
  out += "}}";
  return out;
}

Result<std::optional<OnceItem>> ParseOnceItemResponse(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array items;
  if (parser.parse(body.data(), body.size()).get(doc) || doc["Items"].get(items)) {
    return Status::Internal("DynamoDB sent a Query response without Items");
  }
  for (simdjson::dom::element el : items) {
    simdjson::dom::object item;
    std::string_view fingerprint, written, entries;
    std::string packed;
    OnceItem out;
    if (el.get(item) || !AttrValue(item, "fingerprint", "S", &fingerprint) ||
        !AttrValue(item, "written", "N", &written) || !AttrValue(item, "entries", "B", &entries) ||
        !ParseTimestampMillis(written, &out.written_ms) ||
        !base64::Decode(entries, base64::Alphabet::kStandard, &packed) || packed.size() % 24 != 0) {
      return Status::Internal("DynamoDB holds a malformed idempotency record");
    }
    out.fingerprint_hex = std::string(fingerprint);
    for (size_t at = 0; at < packed.size(); at += 24) {
      uuid::Bytes b;
      std::copy(packed.begin() + static_cast<std::ptrdiff_t>(at),
                packed.begin() + static_cast<std::ptrdiff_t>(at + 16), b.begin());
      out.ids.push_back(uuid::Format(b));
      uint64_t ts = 0;
      for (size_t i = at + 16; i < at + 24; ++i)
        ts = (ts << 8) | static_cast<unsigned char>(packed[i]);
      out.timestamps_ms.push_back(static_cast<int64_t>(ts));
    }
    return std::optional<OnceItem>(std::move(out));
  }
  return std::optional<OnceItem>();
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
