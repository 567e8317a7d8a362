#include "formats/es_bulk.h"

#include <simdjson.h>

#include <cmath>
#include <utility>

#include "core/ascii.h"
#include "core/attributes.h"
#include "core/ingest_batch.h"
#include "core/ingest_request.h"
#include "core/json_writer.h"
#include "core/query_string.h"
#include "core/quoted.h"
#include "core/time_bound.h"
#include "logsvc/log_store.h"

namespace logsvc::formats {
namespace {

std::string Count(size_t n) { return std::to_string(n); }

simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

// Documents nested deeper than this are refused (AttributeBuilder's limit).
constexpr int kMaxDepth = 64;
// A document with more leaf fields than this is refused before any is copied.
constexpr size_t kMaxLeaves = 4 * kMaxAttributes;

// One leaf of a document: its flattened key and its value (not an object).
struct Leaf {
  std::string key;
  simdjson::dom::element value;
};

// Why an item is refused: its reply's error.
struct ItemError {
  std::string type;
  std::string reason;
};

constexpr std::string_view kMapperParsing = "mapper_parsing_exception";

Status Flatten(std::string* key, simdjson::dom::element value, int depth, std::vector<Leaf>* out) {
  simdjson::dom::object object;
  if (value.get(object) != simdjson::SUCCESS) {
    if (out->size() >= kMaxLeaves) {
      return Status::InvalidArgument("The document has more than " + Count(kMaxLeaves) +
                                     " fields.");
    }
    out->push_back(Leaf{*key, value});
    return Status::Ok();
  }
  if (depth >= kMaxDepth) {
    return Status::InvalidArgument("The document is nested more than " + Count(kMaxDepth) +
                                   " levels deep.");
  }
  const size_t base = key->size();
  for (auto [k, v] : object) {
    if (base > 0) key->push_back('.');
    key->append(k);
    if (std::string problem = AttributeKeyProblem(*key); !problem.empty()) {
      return Status::InvalidArgument(std::move(problem));
    }
    if (Status s = Flatten(key, v, depth + 1, out); !s.ok()) return s;
    key->resize(base);
  }
  return Status::Ok();
}

const Leaf* FindLeaf(const std::vector<Leaf>& leaves, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    for (const Leaf& leaf : leaves) {
      if (leaf.key == name) return &leaf;
    }
  }
  return nullptr;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// The entry time a time field gives, in Unix ms (not yet checked against now).
Result<int64_t> TimeOf(const Leaf& leaf, int64_t now_ms) {
  const std::string subject = "Field " + Quoted(leaf.key);
  using T = simdjson::dom::element_type;
  switch (leaf.value.type()) {
    case T::NULL_VALUE:
      return now_ms;
    case T::INT64:
      return leaf.value.get_int64().value_unsafe();
    case T::UINT64:
      return Status::InvalidArgument(subject + " is too far in the future.");
    case T::DOUBLE: {
      const double d = leaf.value.get_double().value_unsafe();
      if (!std::isfinite(d) || d < -1e15 || d > 1e15) {
        return Status::InvalidArgument(subject + " is not a time logsvc can store.");
      }
      return static_cast<int64_t>(std::floor(d));
    }
    case T::STRING: {
      const std::string_view s = leaf.value.get_string().value_unsafe();
      if (AllDigits(s)) {
        if (s.size() > 15) return Status::InvalidArgument(subject + " is too far in the future.");
        int64_t ms = 0;
        for (char c : s) ms = ms * 10 + (c - '0');
        return ms;
      }
      // A date alone (Elasticsearch's strict_date_optional_time): its midnight, UTC.
      if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
        return ParseRfc3339(subject, std::string(s) + "T00:00:00Z", false);
      }
      return ParseRfc3339(subject, s, false);
    }
    default:
      return Status::InvalidArgument(subject + " must be an RFC 3339 time or Unix milliseconds.");
  }
}

// The message a message field gives; "" when it gives none (empty, null).
std::string MessageOf(const Leaf& leaf) {
  using T = simdjson::dom::element_type;
  switch (leaf.value.type()) {
    case T::STRING:
      return std::string(leaf.value.get_string().value_unsafe());
    case T::NULL_VALUE:
      return "";
    case T::BOOL:
      return leaf.value.get_bool().value_unsafe() ? "true" : "false";
    default:
      return simdjson::minify(leaf.value);
  }
}

// The entry of one document line, or why the item is refused.
std::optional<ItemError> ParseDocument(std::string_view line, const EsFieldNames& fields,
                                       int64_t now_ms, LogEntry* out) {
  simdjson::dom::element doc;
  if (Parser().parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) {
    return ItemError{std::string(kMapperParsing),
                     "failed to parse: the document is not valid JSON (or not UTF-8)."};
  }
  if (!doc.is_object()) {
    return ItemError{std::string(kMapperParsing),
                     "failed to parse: the document must be a JSON object."};
  }
  std::vector<Leaf> leaves;
  std::string key;
  if (Status s = Flatten(&key, doc, 0, &leaves); !s.ok()) {
    return ItemError{std::string(kMapperParsing), s.message()};
  }

  const Leaf* message_leaf = FindLeaf(leaves, fields.message);
  std::string message = message_leaf ? MessageOf(*message_leaf) : std::string();
  if (message.empty()) {
    message_leaf = nullptr;  // stored with its whole document as the message
    message = simdjson::minify(doc);
  }
  if (message.size() > kMaxShippedMessageBytes) {
    return ItemError{std::string(kMapperParsing), "The message is " + Count(message.size()) +
                                                      " bytes long; messages have at most " +
                                                      Count(kMaxShippedMessageBytes) + " bytes."};
  }

  int64_t ms = now_ms;
  const Leaf* time_leaf = FindLeaf(leaves, fields.time);
  if (time_leaf) {
    Result<int64_t> t = TimeOf(*time_leaf, now_ms);
    if (!t.ok()) return ItemError{std::string(kMapperParsing), t.status().message()};
    ms = t.value();
    if (ms < 0) {
      return ItemError{std::string(kMapperParsing),
                       "Field " + Quoted(time_leaf->key) + " is before 1970."};
    }
    if (ms > now_ms + kMaxTimestampAheadMs) {
      return ItemError{std::string(kMapperParsing),
                       "Field " + Quoted(time_leaf->key) +
                           " is more than 10 minutes in the future; send entries with the time "
                           "they were logged."};
    }
  }

  Severity severity = Severity::kInfo;
  if (const Leaf* level = FindLeaf(leaves, fields.level)) {
    std::string_view name;
    if (level->value.get(name) == simdjson::SUCCESS && !ParseLevelName(name, &severity)) {
      severity = Severity::kInfo;
    }
  }

  AttributeBuilder attributes;
  for (const Leaf& leaf : leaves) {
    if (&leaf == message_leaf || &leaf == time_leaf) continue;
    if (Status s = attributes.AddJson(leaf.key, leaf.value); !s.ok()) {
      return ItemError{std::string(kMapperParsing), s.message()};
    }
  }
  Result<Attributes> attrs = attributes.Finish();
  if (!attrs.ok()) return ItemError{std::string(kMapperParsing), attrs.status().message()};
  *out = LogEntry{{}, ms, severity, std::move(message), std::move(attrs).value()};
  return std::nullopt;
}

// The lines of an NDJSON body, LF or CRLF.
class Lines {
 public:
  explicit Lines(std::string_view body) : body_(body) {}
  bool Next(std::string_view* line) {
    if (pos_ >= body_.size()) return false;
    size_t end = body_.find('\n', pos_);
    if (end == std::string_view::npos) end = body_.size();
    *line = body_.substr(pos_, end - pos_);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  size_t number() const { return number_; }  // of the last line read, from 1

 private:
  std::string_view body_;
  size_t pos_ = 0;
  size_t number_ = 0;
};

bool Blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

Status BadAction(size_t line_number, std::string_view why) {
  return Status::InvalidArgument("Malformed action/metadata line [" + Count(line_number) +
                                 "]: " + std::string(why));
}

void AppendItem(std::string* out, const EsBulkItem& item, const std::vector<std::string>& ids,
                size_t seq_no) {
  out->append("{");
  json::AppendString(out, item.action);
  out->append(":{\"_index\":");
  json::AppendString(out, item.index);
  if (item.entry) {
    out->append(",\"_id\":");
    json::AppendString(out, *item.entry < ids.size() ? ids[*item.entry] : std::string());
    out->append(
        ",\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":1,\"successful\":1,"
        "\"failed\":0},\"_seq_no\":");
    json::AppendInt(out, static_cast<int64_t>(seq_no));
    out->append(",\"_primary_term\":1,\"status\":201}}");
    return;
  }
  out->append(",\"_id\":null,\"status\":");
  json::AppendInt(out, item.status);
  out->append(",\"error\":{\"type\":");
  json::AppendString(out, item.error_type);
  out->append(",\"reason\":");
  json::AppendString(out, item.error_reason);
  out->append("}}}");
}

}  // namespace

Result<EsFieldNames> ParseEsFieldParams(std::string_view raw_query) {
  EsFieldNames names;
  Result<std::vector<QueryParam>> params = ParseQueryString(raw_query);
  if (!params.ok()) return params.status();
  for (const QueryParam& p : params.value()) {
    std::vector<std::string>* list = p.name == "_msg_field"     ? &names.message
                                     : p.name == "_time_field"  ? &names.time
                                     : p.name == "_level_field" ? &names.level
                                                                : nullptr;
    if (list == nullptr) continue;
    list->clear();
    Status problem = Status::Ok();
    ascii::ForEachListItem(p.value, [&](std::string_view name) {
      if (!problem.ok()) return;
      if (list->size() == kMaxEsFieldCandidates) {
        problem = Status::InvalidArgument("Parameter '" + p.name + "' names more than " +
                                          Count(kMaxEsFieldCandidates) + " fields.");
      } else if (name.size() > kMaxAttributeKeyBytes) {
        problem = Status::InvalidArgument("Parameter '" + p.name + "' names a field longer than " +
                                          Count(kMaxAttributeKeyBytes) + " bytes.");
      } else {
        list->emplace_back(name);
      }
    });
    if (!problem.ok()) return problem;
    if (list->empty()) {
      return Status::InvalidArgument("Parameter '" + p.name +
                                     "' must name one or more fields, comma-separated.");
    }
  }
  return names;
}

Result<EsBulk> ParseEsBulk(std::string_view body, std::string_view path_index,
                           const EsFieldNames& fields, int64_t now_ms) {
  EsBulk bulk;
  Lines lines(body);
  std::string_view line;
  while (lines.Next(&line)) {
    if (Blank(line)) continue;
    const size_t action_line = lines.number();
    if (bulk.items.size() == kMaxBatchEntries) {
      return Status::InvalidArgument("The bulk request has more than " + Count(kMaxBatchEntries) +
                                     " actions; send at most " + Count(kMaxBatchEntries) +
                                     " per request.");
    }
    EsBulkItem item;
    {
      simdjson::dom::element action;
      simdjson::dom::object object;
      if (Parser().parse(line.data(), line.size()).get(action) != simdjson::SUCCESS) {
        return BadAction(action_line, "it is not valid JSON.");
      }
      if (action.get(object) != simdjson::SUCCESS || object.size() != 1) {
        return BadAction(action_line,
                         "expected a JSON object with one action (create, index, delete or "
                         "update).");
      }
      auto [name, metadata] = *object.begin();
      if (name != "create" && name != "index" && name != "delete" && name != "update") {
        return BadAction(action_line, "expected one of [create, delete, index, update] but found " +
                                          Quoted(name) + ".");
      }
      item.action = std::string(name);
      simdjson::dom::object meta;
      if (metadata.get(meta) != simdjson::SUCCESS) {
        return BadAction(action_line, "the action's metadata must be a JSON object.");
      }
      simdjson::dom::element index_element;
      if (meta["_index"].get(index_element) == simdjson::SUCCESS) {
        std::string_view index;
        if (index_element.get(index) != simdjson::SUCCESS) {
          return BadAction(action_line, "'_index' must be a string.");
        }
        item.index = std::string(index);
      } else {
        item.index = std::string(path_index);
      }
      if (item.index.empty()) {
        return BadAction(action_line, "no index: give '_index', or POST to /{index}/_bulk.");
      }
      if (item.index.size() > 255) {
        return BadAction(action_line, "the index name is longer than 255 bytes.");
      }
    }
    if (item.action == "delete") {  // no document line follows
      item.status = 400;
      item.error_type = "illegal_argument_exception";
      item.error_reason =
          "logsvc only appends log entries: the bulk action 'delete' is not "
          "supported; use create or index.";
      bulk.items.push_back(std::move(item));
      continue;
    }
    std::string_view doc;
    if (!lines.Next(&doc)) {
      return Status::InvalidArgument("The action on line " + Count(action_line) +
                                     " has no document line after it.");
    }
    if (item.action == "update") {
      item.status = 400;
      item.error_type = "illegal_argument_exception";
      item.error_reason =
          "logsvc only appends log entries: the bulk action 'update' is not "
          "supported; use create or index.";
      bulk.items.push_back(std::move(item));
      continue;
    }
    LogEntry entry;
    if (std::optional<ItemError> error = ParseDocument(doc, fields, now_ms, &entry)) {
      item.status = 400;
      item.error_type = std::move(error->type);
      item.error_reason = std::move(error->reason);
    } else {
      item.entry = bulk.entries.size();
      bulk.entries.push_back(std::move(entry));
    }
    bulk.items.push_back(std::move(item));
  }
  if (bulk.items.empty()) {
    return Status::InvalidArgument(
        "The bulk request has no actions: send NDJSON, an action line "
        "({\"create\":{}}) then a document line, per entry.");
  }
  return bulk;
}

std::string EsBulkReply(const EsBulk& bulk, const std::vector<std::string>& ids, int64_t took_ms) {
  std::string out;
  out.reserve(64 + bulk.items.size() * 200);
  out.append("{\"took\":");
  json::AppendInt(&out, took_ms);
  bool errors = false;
  for (const EsBulkItem& item : bulk.items) errors |= !item.entry.has_value();
  out.append(errors ? ",\"errors\":true,\"items\":[" : ",\"errors\":false,\"items\":[");
  size_t seq_no = 0;
  for (size_t i = 0; i < bulk.items.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendItem(&out, bulk.items[i], ids, bulk.items[i].entry ? seq_no++ : 0);
  }
  out.append("]}");
  return out;
}

std::string EsErrorBody(int status, std::string_view type, std::string_view reason) {
  std::string cause = "{\"type\":";
  json::AppendString(&cause, type);
  cause.append(",\"reason\":");
  json::AppendString(&cause, reason);
  std::string out = "{\"error\":{\"root_cause\":[" + cause + "}],";
  out.append(cause.substr(1));
  out.append("},\"status\":");
  json::AppendInt(&out, status);
  out.push_back('}');
  return out;
}

}  // namespace logsvc::formats
