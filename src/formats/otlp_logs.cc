#include "formats/otlp_logs.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <mutex>
#include <type_traits>

#include "core/ascii.h"
#include "core/attributes.h"
#include "core/base64.h"
#include "core/datetime.h"
#include "core/ingest_batch.h"
#include "core/ingest_entry.h"
#include "core/ingest_request.h"
#include "core/json_writer.h"
#include "core/quoted.h"
#include "logsvc/log_store.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"

namespace logsvc::otlp {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_logs = opentelemetry::proto::logs::v1;
namespace pb_resource = opentelemetry::proto::resource::v1;
using ExportRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using KeyValues = google::protobuf::RepeatedPtrField<pb_common::KeyValue>;

// How deep arrays and kvlists may nest (in a body, an attribute, OTLP/JSON).
// Binary protobuf stops sooner: its parser's recursion limit is 100 messages.
constexpr int kMaxValueDepth = 64;

std::string Num(int64_t n) { return std::to_string(n); }

// ---------------------------------------------------------------------------
// Values as text.

Status TooLargeOnceParsed() {
  return Status::InvalidArgument(
      "The request's records take more than " + std::to_string(kMaxRequestEntryBytes >> 20) +
      " MiB once their resource's and scope's attributes are given to each: send fewer records "
      "a request.");
}

// A double as protobuf's JSON mapping writes it, unquoted: the shortest text
// that reads back the same, or NaN, Infinity, -Infinity.
std::string DoubleText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

// Appends `v` as JSON text: a kvlist as an object, an array as an array,
// bytes as a base64 string, a double that JSON cannot hold (NaN, ±Infinity)
// as its name in a string, an empty value as null. False when nested more
// than kMaxValueDepth deep.
bool AppendValueJson(std::string* out, const pb_common::AnyValue& v, int depth) {
  if (depth > kMaxValueDepth) return false;
  switch (v.value_case()) {
    case pb_common::AnyValue::kStringValue:
      json::AppendStringAsIs(out, v.string_value());
      return true;
    case pb_common::AnyValue::kBoolValue:
      out->append(v.bool_value() ? "true" : "false");
      return true;
    case pb_common::AnyValue::kIntValue:
      out->append(std::to_string(v.int_value()));
      return true;
    case pb_common::AnyValue::kDoubleValue: {
      const std::string text = DoubleText(v.double_value());
      if (std::isfinite(v.double_value())) {
        out->append(text);
      } else {
        json::AppendStringAsIs(out, text);
      }
      return true;
    }
    case pb_common::AnyValue::kBytesValue:
      out->push_back('"');
      base64::Append(v.bytes_value(), base64::Alphabet::kStandard, out);
      out->push_back('"');
      return true;
    case pb_common::AnyValue::kArrayValue: {
      out->push_back('[');
      bool first = true;
      for (const pb_common::AnyValue& e : v.array_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        if (!AppendValueJson(out, e, depth + 1)) return false;
      }
      out->push_back(']');
      return true;
    }
    case pb_common::AnyValue::kKvlistValue: {
      out->push_back('{');
      bool first = true;
      for (const pb_common::KeyValue& kv : v.kvlist_value().values()) {
        if (!first) out->push_back(',');
        first = false;
        json::AppendStringAsIs(out, kv.key());
        out->push_back(':');
        if (!AppendValueJson(out, kv.value(), depth + 1)) return false;
      }
      out->push_back('}');
      return true;
    }
    case pb_common::AnyValue::kStringValueStrindex:  // profiles only: treated as absent
    case pb_common::AnyValue::VALUE_NOT_SET:
      out->append("null");
      return true;
  }
  out->append("null");
  return true;
}

Status TooDeep(std::string_view what) {
  return Status::InvalidArgument(std::string(what) + " is nested more than " + Num(kMaxValueDepth) +
                                 " levels deep.");
}

// ---------------------------------------------------------------------------
// Records to entries.

Status AddValue(AttributeBuilder* b, std::string* key, const pb_common::AnyValue& v, int depth);

Status AddKeyValues(AttributeBuilder* b, std::string* key, const KeyValues& kvs, int depth) {
  const size_t base = key->size();
  for (const pb_common::KeyValue& kv : kvs) {
    if (base > 0) key->push_back('.');
    key->append(kv.key());
    // A key past the limit is refused here, before a kvlist makes it longer.
    if (key->size() > kMaxAttributeKeyBytes) return b->Add(*key, "");
    if (Status s = AddValue(b, key, kv.value(), depth); !s.ok()) return s;
    key->resize(base);
  }
  return Status::Ok();
}

Status AddValue(AttributeBuilder* b, std::string* key, const pb_common::AnyValue& v, int depth) {
  switch (v.value_case()) {
    case pb_common::AnyValue::kStringValue:
      return b->Add(*key, v.string_value());
    case pb_common::AnyValue::kBoolValue:
      return b->Add(*key, v.bool_value() ? "true" : "false");
    case pb_common::AnyValue::kIntValue:
      return b->Add(*key, std::to_string(v.int_value()));
    case pb_common::AnyValue::kDoubleValue:
      return b->Add(*key, DoubleText(v.double_value()));
    case pb_common::AnyValue::kBytesValue: {
      std::string text;
      base64::Append(v.bytes_value(), base64::Alphabet::kStandard, &text);
      return b->Add(*key, text);
    }
    case pb_common::AnyValue::kArrayValue: {
      std::string text;
      if (!AppendValueJson(&text, v, depth)) return TooDeep("Attribute " + Quoted(*key));
      return b->Add(*key, text);
    }
    case pb_common::AnyValue::kKvlistValue:
      if (depth >= kMaxValueDepth) return TooDeep("Attribute " + Quoted(*key));
      return AddKeyValues(b, key, v.kvlist_value().values(), depth + 1);
    case pb_common::AnyValue::kStringValueStrindex:
    case pb_common::AnyValue::VALUE_NOT_SET:
      return Status::Ok();
  }
  return Status::Ok();
}

// `attributes` (flattened) into `b`.
Status AddAttributes(AttributeBuilder* b, const KeyValues& attributes) {
  std::string key;
  return AddKeyValues(b, &key, attributes, 0);
}

// The attributes every record of a scope starts from: its resource's, its
// scope's, and the scope's name and version; or why none of them can be taken.
Result<Attributes> InheritedAttributes(const Attributes& resource,
                                       const pb_common::InstrumentationScope& scope) {
  AttributeBuilder b(AttributeBuilder::Repeats::kLaterWins);
  for (const Attribute& a : resource) {
    if (Status s = b.Add(a.key, a.value); !s.ok()) return s;
  }
  if (Status s = AddAttributes(&b, scope.attributes()); !s.ok()) return s;
  if (!scope.name().empty()) {
    if (Status s = b.Add("otel.scope.name", scope.name()); !s.ok()) return s;
  }
  if (!scope.version().empty()) {
    if (Status s = b.Add("otel.scope.version", scope.version()); !s.ok()) return s;
  }
  return b.Finish();
}

bool AllZero(std::string_view bytes) {
  for (char c : bytes) {
    if (c != 0) return false;
  }
  return true;
}

// The id `bytes` of `size` bytes as attribute `key` (lower-case hex); left out
// when empty or all zero (OTLP's "no id").
Status AddId(AttributeBuilder* b, std::string_view key, std::string_view field,
             std::string_view bytes, size_t size) {
  if (bytes.empty()) return Status::Ok();
  if (bytes.size() != size) {
    return Status::InvalidArgument("Its " + std::string(field) + " has " +
                                   Num(int64_t(bytes.size())) + " bytes; it must have " +
                                   Num(int64_t(size)) + ".");
  }
  if (AllZero(bytes)) return Status::Ok();
  return b->Add(key, ascii::LowerHex(bytes));
}

// The entry of one record, by the rules of otlp_logs.h.
Status ConvertRecord(const pb_logs::LogRecord& r, const Attributes& inherited, int64_t now_ms,
                     LogEntry* out) {
  // The time.
  const uint64_t nanos = r.time_unix_nano() != 0 ? r.time_unix_nano() : r.observed_time_unix_nano();
  const int64_t ms = nanos != 0 ? int64_t(nanos / 1'000'000) : now_ms;
  if (ms > now_ms + kMaxTimestampAheadMs) {
    return Status::InvalidArgument("Its time, " + FormatIso8601Millis(ms) + ", is more than " +
                                   Num(kMaxTimestampAheadMs / 60000) +
                                   " minutes ahead of the server's clock.");
  }

  // The message.
  std::string message;
  const pb_common::AnyValue& body = r.body();
  switch (body.value_case()) {
    case pb_common::AnyValue::kStringValue: {
      std::string_view text = body.string_value();
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      message.assign(text);
      break;
    }
    case pb_common::AnyValue::kBytesValue:
      base64::Append(body.bytes_value(), base64::Alphabet::kStandard, &message);
      break;
    case pb_common::AnyValue::kStringValueStrindex:
    case pb_common::AnyValue::VALUE_NOT_SET:
      break;
    default:
      if (!AppendValueJson(&message, body, 0)) return TooDeep("Its body");
  }
  if (message.size() > kMaxShippedMessageBytes) {
    return Status::InvalidArgument("Its body is " + Num(int64_t(message.size())) +
                                   " bytes long; a message has at most " +
                                   Num(int64_t(kMaxShippedMessageBytes)) + " bytes.");
  }
  if (!simdjson::validate_utf8(message.data(), message.size())) {
    return Status::InvalidArgument("Its body is not valid UTF-8.");
  }

  // The severity.
  const std::string& text = r.severity_text();
  Severity from_text = Severity::kInfo;
  const bool text_parsed = !text.empty() && ParseLevelName(text, &from_text);
  const std::optional<Severity> from_number = SeverityOfNumber(r.severity_number());
  const Severity severity = from_number ? *from_number : text_parsed ? from_text : Severity::kInfo;

  // The attributes.
  AttributeBuilder b(AttributeBuilder::Repeats::kLaterWins);
  for (const Attribute& a : inherited) {
    if (Status s = b.Add(a.key, a.value); !s.ok()) return s;
  }
  if (Status s = AddAttributes(&b, r.attributes()); !s.ok()) return s;
  if (!r.event_name().empty()) {
    if (Status s = b.Add("event.name", r.event_name()); !s.ok()) return s;
  }
  if (Status s = AddId(&b, "trace_id", "traceId", r.trace_id(), 16); !s.ok()) return s;
  if (Status s = AddId(&b, "span_id", "spanId", r.span_id(), 8); !s.ok()) return s;
  if (!text.empty() && !(text_parsed && from_text == severity)) {
    if (Status s = b.Add("severity_text", text); !s.ok()) return s;
  }
  Result<Attributes> attributes = b.Finish();
  if (!attributes.ok()) return attributes.status();

  out->log_id.clear();
  out->timestamp_ms = ms;
  out->severity = severity;
  out->message = std::move(message);
  out->attributes = std::move(attributes).value();
  return Status::Ok();
}

// `count`: the number of records, or 0 when only "more than the limit" is known.
Status TooManyRecords(size_t count) {
  const std::string limit = Num(int64_t(kMaxBatchEntries));
  return Status::InvalidArgument("The request has " +
                                 (count > 0 ? Num(int64_t(count)) : "more than " + limit) +
                                 " log records; send at most " + limit + " in one request.");
}

Result<ExportedLogs> ConvertRequest(const ExportRequest& request, int64_t now_ms) {
  ExportedLogs out;
  size_t total = 0;
  for (const pb_logs::ResourceLogs& rl : request.resource_logs()) {
    for (const pb_logs::ScopeLogs& sl : rl.scope_logs()) total += size_t(sl.log_records_size());
  }
  out.entries.reserve(total);
  const auto reject = [&out](const Status& why, int i, int j, int k) {
    if (out.rejected++ == 0) {
      out.first_rejection = "resourceLogs[" + Num(i) + "].scopeLogs[" + Num(j) + "].logRecords[" +
                            Num(k) + "]: " + why.message();
    }
  };
  size_t bytes = 0;
  for (int i = 0; i < request.resource_logs_size(); ++i) {
    const pb_logs::ResourceLogs& rl = request.resource_logs(i);
    Result<Attributes> resource = [&]() -> Result<Attributes> {
      AttributeBuilder b(AttributeBuilder::Repeats::kLaterWins);
      if (Status s = AddAttributes(&b, rl.resource().attributes()); !s.ok()) return s;
      return b.Finish();
    }();
    for (int j = 0; j < rl.scope_logs_size(); ++j) {
      const pb_logs::ScopeLogs& sl = rl.scope_logs(j);
      // A scope without records costs nothing (its attributes are not even
      // merged): an empty scope is two bytes of protobuf.
      if (sl.log_records_size() == 0) continue;
      Result<Attributes> inherited =
          resource.ok() ? InheritedAttributes(resource.value(), sl.scope()) : resource.status();
      for (int k = 0; k < sl.log_records_size(); ++k) {
        if (!inherited.ok()) {
          reject(inherited.status(), i, j, k);
          continue;
        }
        LogEntry entry{};
        if (Status s = ConvertRecord(sl.log_records(k), inherited.value(), now_ms, &entry);
            !s.ok()) {
          reject(s, i, j, k);
          continue;
        }
        bytes += EntryBytes(entry);
        if (bytes > kMaxRequestEntryBytes) return TooLargeOnceParsed();
        out.entries.push_back(std::move(entry));
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// OTLP/JSON into the generated classes.

using simdjson::dom::element;
using JsonType = simdjson::dom::element_type;

// A field of a message: its JSON name and its .proto name (either is taken).
struct FieldName {
  std::string_view camel;
  std::string_view snake;
};

template <size_t N>
int FieldIndex(std::string_view key, const std::array<FieldName, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (key == names[i].camel || key == names[i].snake) return int(i);
  }
  return -1;
}

class JsonReader {
 public:
  // The request in `root` into *out; false with error() set if it is not one.
  bool Request(element root, ExportRequest* out);
  const std::string& error() const { return error_; }

 private:
  // The path of the value being read, for error sentences
  // ("resourceLogs[0].scopeLogs[1].logRecords[2].body").
  class Step {
   public:
    Step(std::string* path, std::string_view name) : path_(path), size_(path->size()) {
      if (!path->empty()) path->push_back('.');
      path->append(name);
    }
    Step(std::string* path, size_t index) : path_(path), size_(path->size()) {
      path->push_back('[');
      path->append(std::to_string(index));
      path->push_back(']');
    }
    ~Step() { path_->resize(size_); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

   private:
    std::string* path_;
    size_t size_;
  };

  bool Fail(std::string_view problem) {
    // The path names fields of the protocol and indexes only: never long.
    error_ = "Field '" + path_ + "' " + std::string(problem);
    return false;
  }
  bool TypeError(std::string_view wanted, element v) {
    return Fail("must be " + std::string(wanted) + ", not " + ingest::JsonTypeName(v.type()) + ".");
  }

  // Calls field(index, value) for each member of the object `v` whose name
  // is in `names` and whose value is not null; refuses a field given twice
  // (under either spelling).
  template <size_t N, typename F>
  bool Fields(element v, const std::array<FieldName, N>& names, std::string_view type, F field) {
    if (!v.is_object()) return TypeError(std::string("an object (") + std::string(type) + ")", v);
    uint32_t seen = 0;
    simdjson::dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return TypeError("an object", v);
    for (auto [key, value] : object) {
      const int index = FieldIndex(key, names);
      if (index < 0) continue;  // OTLP/JSON receivers ignore unknown fields
      Step step(&path_, key);
      if (seen & (1u << index))
        return Fail("is given more than once (counting both spellings of its name).");
      seen |= 1u << index;
      if (value.is_null()) continue;
      if (!field(index, value)) return false;
    }
    return true;
  }

  // Calls item(value) for each element of the array `v`.
  template <typename F>
  bool Items(element v, F item) {
    if (!v.is_array()) return TypeError("an array", v);
    size_t i = 0;
    simdjson::dom::array array;
    if (v.get_array().get(array) != simdjson::SUCCESS) return TypeError("an array", v);
    for (element e : array) {
      Step step(&path_, i++);
      if (!item(e)) return false;
    }
    return true;
  }

  bool String(element v, std::string* out) {
    if (!v.is_string()) return TypeError("a string", v);
    out->assign(v.get_string().value_unsafe());
    return true;
  }
  bool Bool(element v, bool* out) {
    if (!v.is_bool()) return TypeError("true or false", v);
    *out = v.get_bool().value_unsafe();
    return true;
  }
  // An integer in [min, max]: a JSON number without a fraction, or a string
  // of decimal digits (protobuf's JSON mapping writes 64-bit ones so).
  template <typename Int>
  bool Integer(element v, Int* out) {
    constexpr auto kMin = std::numeric_limits<Int>::min();
    constexpr auto kMax = std::numeric_limits<Int>::max();
    const char* wanted = std::is_signed_v<Int>
                             ? "an integer (a JSON number or a string of digits)"
                             : "a non-negative integer (a JSON number or a string of digits)";
    switch (v.type()) {
      case JsonType::INT64: {
        const int64_t n = v.get_int64().value_unsafe();
        if constexpr (std::is_signed_v<Int>) {
          if (n < int64_t(kMin) || n > int64_t(kMax)) return Fail("is out of range.");
        } else {
          if (n < 0 || uint64_t(n) > uint64_t(kMax)) return Fail("is out of range.");
        }
        *out = Int(n);
        return true;
      }
      case JsonType::UINT64: {
        const uint64_t n = v.get_uint64().value_unsafe();
        if (n > uint64_t(kMax)) return Fail("is out of range.");
        *out = Int(n);
        return true;
      }
      case JsonType::DOUBLE: {
        const double d = v.get_double().value_unsafe();
        // 1e3 or 5.0: an integer all the same, if exactly one in range.
        if (d != std::floor(d) || d < double(kMin) ||
            d >= std::ldexp(1.0, std::numeric_limits<Int>::digits)) {
          return Fail(std::string("must be ") + wanted +
                      ", not a number with a fraction or out of range.");
        }
        *out = Int(d);
        return true;
      }
      case JsonType::STRING: {
        const std::string_view s = v.get_string().value_unsafe();
        Int n{};
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
          return Fail(std::string("must be ") + wanted + "; " + Quoted(s) + " is not one.");
        }
        *out = n;
        return true;
      }
      default:
        return TypeError(wanted, v);
    }
  }
  bool Double(element v, double* out) {
    switch (v.type()) {
      case JsonType::INT64:
        *out = double(v.get_int64().value_unsafe());
        return true;
      case JsonType::UINT64:
        *out = double(v.get_uint64().value_unsafe());
        return true;
      case JsonType::DOUBLE:
        *out = v.get_double().value_unsafe();
        return true;
      case JsonType::STRING: {
        const std::string_view s = v.get_string().value_unsafe();
        if (s == "NaN") {
          *out = std::numeric_limits<double>::quiet_NaN();
        } else if (s == "Infinity") {
          *out = std::numeric_limits<double>::infinity();
        } else if (s == "-Infinity") {
          *out = -std::numeric_limits<double>::infinity();
        } else {
          auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
          if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
            return Fail("must be a number; " + Quoted(s) + " is not one.");
          }
        }
        return true;
      }
      default:
        return TypeError("a number", v);
    }
  }
  bool Base64(element v, std::string* out) {
    if (!v.is_string()) return TypeError("a base64 string", v);
    out->clear();
    if (!base64::Decode(v.get_string().value_unsafe(), base64::Alphabet::kEither, out))
      return Fail("is not valid base64.");
    return true;
  }
  // traceId and spanId: OTLP/JSON writes them in hex, not base64.
  bool Hex(element v, std::string* out) {
    if (!v.is_string()) return TypeError("a hex string", v);
    out->clear();
    if (!ascii::DecodeHex(v.get_string().value_unsafe(), out)) {
      return Fail("must be hex digits (OTLP/JSON ids are hex, not base64); " +
                  Quoted(v.get_string().value_unsafe()) + " is not.");
    }
    return true;
  }
  bool SeverityNumberValue(element v, int* out) {
    if (v.is_string()) {
      const std::string_view s = v.get_string().value_unsafe();
      pb_logs::SeverityNumber n;
      if (pb_logs::SeverityNumber_Parse(std::string(s), &n)) {
        *out = n;
        return true;
      }
      // A string of digits: not what protobuf writes, but what it reads.
    }
    return Integer(v, out);
  }

  bool Value(element v, pb_common::AnyValue* out, int depth);
  bool KeyValue(element v, pb_common::KeyValue* out, int depth);
  bool KeyValueArray(element v, KeyValues* out, int depth) {
    return Items(v, [&](element e) { return KeyValue(e, out->Add(), depth); });
  }
  bool Record(element v, pb_logs::LogRecord* out);
  bool Scope(element v, pb_common::InstrumentationScope* out);
  bool ScopeLogs(element v, pb_logs::ScopeLogs* out);
  bool ResourceLogs(element v, pb_logs::ResourceLogs* out);

  std::string path_;
  std::string error_;
  size_t records_ = 0;
};

bool JsonReader::Value(element v, pb_common::AnyValue* out, int depth) {
  if (depth > kMaxValueDepth)
    return Fail("is nested more than " + Num(kMaxValueDepth) + " levels deep.");
  static constexpr std::array<FieldName, 7> kNames = {{{"stringValue", "string_value"},
                                                       {"boolValue", "bool_value"},
                                                       {"intValue", "int_value"},
                                                       {"doubleValue", "double_value"},
                                                       {"arrayValue", "array_value"},
                                                       {"kvlistValue", "kvlist_value"},
                                                       {"bytesValue", "bytes_value"}}};
  bool has_value = false;
  return Fields(v, kNames, "an AnyValue", [&](int index, element e) {
    if (has_value) return Fail("is a second value; an AnyValue has at most one.");
    has_value = true;
    switch (index) {
      case 0:
        return String(e, out->mutable_string_value());
      case 1: {
        bool b = false;
        if (!Bool(e, &b)) return false;
        out->set_bool_value(b);
        return true;
      }
      case 2: {
        int64_t n = 0;
        if (!Integer(e, &n)) return false;
        out->set_int_value(n);
        return true;
      }
      case 3: {
        double d = 0;
        if (!Double(e, &d)) return false;
        out->set_double_value(d);
        return true;
      }
      case 4: {
        static constexpr std::array<FieldName, 1> kValues = {{{"values", "values"}}};
        pb_common::ArrayValue* array = out->mutable_array_value();
        return Fields(e, kValues, "an ArrayValue", [&](int, element values) {
          return Items(values,
                       [&](element item) { return Value(item, array->add_values(), depth + 1); });
        });
      }
      case 5: {
        static constexpr std::array<FieldName, 1> kValues = {{{"values", "values"}}};
        pb_common::KeyValueList* list = out->mutable_kvlist_value();
        return Fields(e, kValues, "a KeyValueList", [&](int, element values) {
          return KeyValueArray(values, list->mutable_values(), depth + 1);
        });
      }
      default:
        return Base64(e, out->mutable_bytes_value());
    }
  });
}

bool JsonReader::KeyValue(element v, pb_common::KeyValue* out, int depth) {
  static constexpr std::array<FieldName, 2> kNames = {{{"key", "key"}, {"value", "value"}}};
  return Fields(v, kNames, "a KeyValue", [&](int index, element e) {
    return index == 0 ? String(e, out->mutable_key()) : Value(e, out->mutable_value(), depth);
  });
}

bool JsonReader::Record(element v, pb_logs::LogRecord* out) {
  static constexpr std::array<FieldName, 11> kNames = {
      {{"timeUnixNano", "time_unix_nano"},
       {"observedTimeUnixNano", "observed_time_unix_nano"},
       {"severityNumber", "severity_number"},
       {"severityText", "severity_text"},
       {"body", "body"},
       {"attributes", "attributes"},
       {"droppedAttributesCount", "dropped_attributes_count"},
       {"flags", "flags"},
       {"traceId", "trace_id"},
       {"spanId", "span_id"},
       {"eventName", "event_name"}}};
  return Fields(v, kNames, "a LogRecord", [&](int index, element e) {
    switch (index) {
      case 0:
      case 1: {
        uint64_t n = 0;
        if (!Integer(e, &n)) return false;
        index == 0 ? out->set_time_unix_nano(n) : out->set_observed_time_unix_nano(n);
        return true;
      }
      case 2: {
        int n = 0;
        if (!SeverityNumberValue(e, &n)) return false;
        out->set_severity_number(pb_logs::SeverityNumber(n));
        return true;
      }
      case 3:
        return String(e, out->mutable_severity_text());
      case 4:
        return Value(e, out->mutable_body(), 0);
      case 5:
        return KeyValueArray(e, out->mutable_attributes(), 0);
      case 6:
      case 7: {
        uint32_t n = 0;
        return Integer(e, &n);  // checked, not kept
      }
      case 8:
        return Hex(e, out->mutable_trace_id());
      case 9:
        return Hex(e, out->mutable_span_id());
      default:
        return String(e, out->mutable_event_name());
    }
  });
}

bool JsonReader::Scope(element v, pb_common::InstrumentationScope* out) {
  static constexpr std::array<FieldName, 4> kNames = {
      {{"name", "name"},
       {"version", "version"},
       {"attributes", "attributes"},
       {"droppedAttributesCount", "dropped_attributes_count"}}};
  return Fields(v, kNames, "an InstrumentationScope", [&](int index, element e) {
    switch (index) {
      case 0:
        return String(e, out->mutable_name());
      case 1:
        return String(e, out->mutable_version());
      case 2:
        return KeyValueArray(e, out->mutable_attributes(), 0);
      default: {
        uint32_t n = 0;
        return Integer(e, &n);
      }
    }
  });
}

bool JsonReader::ScopeLogs(element v, pb_logs::ScopeLogs* out) {
  static constexpr std::array<FieldName, 3> kNames = {
      {{"scope", "scope"}, {"logRecords", "log_records"}, {"schemaUrl", "schema_url"}}};
  return Fields(v, kNames, "a ScopeLogs", [&](int index, element e) {
    switch (index) {
      case 0:
        return Scope(e, out->mutable_scope());
      case 1:
        return Items(e, [&](element record) {
          if (++records_ > kMaxBatchEntries) {
            error_ = TooManyRecords(0).message();
            return false;
          }
          return Record(record, out->add_log_records());
        });
      default:
        return String(e, out->mutable_schema_url());
    }
  });
}

bool JsonReader::ResourceLogs(element v, pb_logs::ResourceLogs* out) {
  static constexpr std::array<FieldName, 3> kNames = {
      {{"resource", "resource"}, {"scopeLogs", "scope_logs"}, {"schemaUrl", "schema_url"}}};
  return Fields(v, kNames, "a ResourceLogs", [&](int index, element e) {
    switch (index) {
      case 0: {
        static constexpr std::array<FieldName, 2> kResource = {
            {{"attributes", "attributes"}, {"droppedAttributesCount", "dropped_attributes_count"}}};
        pb_resource::Resource* resource = out->mutable_resource();
        return Fields(e, kResource, "a Resource", [&](int field, element f) {
          if (field == 0) return KeyValueArray(f, resource->mutable_attributes(), 0);
          uint32_t n = 0;
          return Integer(f, &n);
        });
      }
      case 1:
        return Items(e, [&](element s) { return ScopeLogs(s, out->add_scope_logs()); });
      default:
        return String(e, out->mutable_schema_url());
    }
  });
}

bool JsonReader::Request(element root, ExportRequest* out) {
  if (!root.is_object()) {
    error_ =
        std::string("The request body must be a JSON object (an ExportLogsServiceRequest), not ") +
        ingest::JsonTypeName(root.type()) + ".";
    return false;
  }
  static constexpr std::array<FieldName, 1> kNames = {{{"resourceLogs", "resource_logs"}}};
  return Fields(root, kNames, "an ExportLogsServiceRequest", [&](int, element e) {
    return Items(e, [&](element rl) { return ResourceLogs(rl, out->add_resource_logs()); });
  });
}

// Protobuf's own log lines (a string field that is not UTF-8, say) would go
// to stderr, the service log's stream, for every such request: the reply
// already tells the client, so they are dropped.
void SilenceProtobufLog() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(nullptr); });
}

// Appends protobuf field `number` (length-delimited) holding `bytes`.
void AppendLengthDelimited(google::protobuf::io::CodedOutputStream* out, int number,
                           std::string_view bytes) {
  out->WriteTag(uint32_t(number) << 3 | 2);
  out->WriteVarint32(uint32_t(bytes.size()));
  out->WriteRaw(bytes.data(), int(bytes.size()));
}

}  // namespace

std::optional<Encoding> EncodingOf(std::string_view content_type) {
  const std::string_view media = ascii::TrimOws(content_type.substr(0, content_type.find(';')));
  if (ascii::EqualsIgnoreCase(media, "application/x-protobuf")) return Encoding::kProtobuf;
  if (ascii::EqualsIgnoreCase(media, "application/json")) return Encoding::kJson;
  return std::nullopt;
}

std::string_view ContentTypeOf(Encoding encoding) {
  return encoding == Encoding::kProtobuf ? "application/x-protobuf" : "application/json";
}

std::optional<Severity> SeverityOfNumber(int64_t n) {
  if (n < 1 || n > 24) return std::nullopt;
  static constexpr std::array<Severity, 6> kByGroup = {Severity::kTrace, Severity::kDebug,
                                                       Severity::kInfo,  Severity::kWarning,
                                                       Severity::kError, Severity::kFatal};
  return kByGroup[size_t(n - 1) / 4];
}

Result<ExportedLogs> ParseExportLogsRequest(std::string_view body, Encoding encoding,
                                            int64_t now_ms) {
  SilenceProtobufLog();
  google::protobuf::ArenaOptions options;
  options.start_block_size = 64 * 1024;
  options.max_block_size = 1024 * 1024;
  google::protobuf::Arena arena(options);
  auto* request = google::protobuf::Arena::CreateMessage<ExportRequest>(&arena);
  if (encoding == Encoding::kProtobuf) {
    if (body.size() > size_t(std::numeric_limits<int>::max()) ||
        !request->ParseFromArray(body.data(), int(body.size()))) {
      return Status::InvalidArgument(
          "The request body is not an OTLP ExportLogsServiceRequest in binary protobuf: it is "
          "truncated, not protobuf, or has a string that is not UTF-8.");
    }
    size_t records = 0;
    for (const pb_logs::ResourceLogs& rl : request->resource_logs()) {
      for (const pb_logs::ScopeLogs& sl : rl.scope_logs()) records += size_t(sl.log_records_size());
    }
    if (records > kMaxBatchEntries) return TooManyRecords(records);
  } else {
    auto root = ingest::ParseJson(body, "Request body");
    if (!root.ok()) return root.status();
    JsonReader reader;
    if (!reader.Request(root.value(), request)) return Status::InvalidArgument(reader.error());
  }
  return ConvertRequest(*request, now_ms);
}

std::string ExportResponseBody(Encoding encoding, int64_t rejected,
                               std::string_view error_message) {
  if (encoding == Encoding::kJson) {
    if (rejected == 0) return "{}";
    // int64 as a string, as protobuf's JSON mapping writes it.
    std::string out =
        "{\"partialSuccess\":{\"rejectedLogRecords\":\"" + Num(rejected) + "\",\"errorMessage\":";
    json::AppendString(&out, error_message);
    out += "}}";
    return out;
  }
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse response;
  if (rejected != 0) {
    auto* partial = response.mutable_partial_success();
    partial->set_rejected_log_records(rejected);
    partial->set_error_message(std::string(error_message));
  }
  return response.SerializeAsString();
}

std::string StatusBody(Encoding encoding, int code, std::string_view message) {
  if (encoding == Encoding::kJson) {
    std::string out = "{\"code\":" + Num(code) + ",\"message\":";
    json::AppendString(&out, message);
    out += "}";
    return out;
  }
  // google.rpc.Status: code (1, int32), message (2, string), details (3) unused.
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(1 << 3 | 0);
    coded.WriteVarint32(uint32_t(code));
    AppendLengthDelimited(&coded, 2, message);
  }
  return out;
}

}  // namespace logsvc::otlp
