#include "core/ingest_entry.h"

#include <string>

#include "core/ingest_request.h"
#include "core/utf8.h"

namespace logsvc::ingest {
namespace {

// The fields we read, found in one pass over the object. A field given
// twice is refused rather than one of its values picked: parsers disagree on
// which wins (simdjson's lookup takes the first, Python's json the last), and
// a body that means different things to different readers is not one we
// store. Keys compare unescaped ("sever\u0069ty" is "severity"). Repeats of
// fields we ignore are ignored with them.
struct Field {
  simdjson::dom::element value;
  bool present = false;
};
struct Fields {
  Field severity, message, timestamp, attributes;
};

Status FindFields(simdjson::dom::object obj, EntryContract contract, Fields* out) {
  const bool read_timestamp = contract == EntryContract::kBatch;
  for (auto [key, value] : obj) {
    Field* field = key == "severity"                      ? &out->severity
                   : key == "message"                     ? &out->message
                   : key == "attributes"                  ? &out->attributes
                   : read_timestamp && key == "timestamp" ? &out->timestamp
                                                          : nullptr;
    if (field == nullptr) continue;
    if (field->present) {
      return Status::InvalidArgument("Field '" + std::string(key) +
                                     "' appears more than once; send each field once.");
    }
    *field = {value, true};
  }
  return Status::Ok();
}

// A required string field, or why it cannot be used.
Result<std::string_view> RequiredString(const Field& field, const char* name) {
  if (!field.present) {
    return Status::InvalidArgument(std::string("Missing required field '") + name + "'.");
  }
  const simdjson::dom::element& value = field.value;
  std::string_view s;
  if (value.get(s) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("Field '") + name + "' must be a string, not " +
                                   JsonTypeName(value.type()) + ".");
  }
  return s;
}

}  // namespace

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

const char* JsonTypeName(simdjson::dom::element_type type) {
  using T = simdjson::dom::element_type;
  switch (type) {
    case T::ARRAY:
      return "an array";
    case T::OBJECT:
      return "an object";
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE:
      return "a number";
    case T::STRING:
      return "a string";
    case T::BOOL:
      return "a boolean";
    case T::NULL_VALUE:
      return "null";
  }
  return "of an unknown type";
}

Result<simdjson::dom::element> ParseJson(std::string_view text, std::string_view what) {
  simdjson::dom::element doc;
  auto error = ThreadParser().parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(doc);
  if (error == simdjson::SUCCESS) return doc;
  return Status::InvalidArgument(std::string(what) + (error == simdjson::UTF8_ERROR
                                                          ? " is not valid UTF-8."
                                                          : " is not valid JSON."));
}

Result<simdjson::dom::object> AsObject(simdjson::dom::element value, std::string_view what) {
  simdjson::dom::object object;
  if (value.get(object) == simdjson::SUCCESS) return object;
  return Status::InvalidArgument(std::string(what) + " must be a JSON object, not " +
                                 JsonTypeName(value.type()) + ".");
}

Status ParseEntryObject(simdjson::dom::object object, EntryContract contract, EntryFields* out) {
  Fields fields;
  if (Status s = FindFields(object, contract, &fields); !s.ok()) return s;
  auto severity_field = RequiredString(fields.severity, "severity");
  if (!severity_field.ok()) return severity_field.status();
  auto message_field = RequiredString(fields.message, "message");
  if (!message_field.ok()) return message_field.status();

  const bool known = ParseSeverity(severity_field.value(), &out->severity);
  if (contract == EntryContract::kSingle &&
      (!known || SeverityRank(out->severity) < SeverityRank(Severity::kInfo) ||
       out->severity == Severity::kFatal)) {
    return Status::InvalidArgument(
        "Field 'severity' must be one of: info, warning, error (any letter case).");
  }
  if (!known) {
    return Status::InvalidArgument(
        "Field 'severity' must be one of: trace, debug, info, warning, error, fatal (any letter "
        "case).");
  }
  std::string_view message = utf8::TrimWhitespace(message_field.value());
  if (message.empty()) {
    return Status::InvalidArgument("Field 'message' must not be empty.");
  }
  size_t length = utf8::CountCodePoints(message);
  if (length > kMaxMessageCodePoints) {
    return Status::InvalidArgument("Field 'message' is " + std::to_string(length) +
                                   " characters long; the limit is " +
                                   std::to_string(kMaxMessageCodePoints) + ".");
  }
  if (fields.attributes.present) {
    if (!fields.attributes.value.is_object()) {
      return Status::InvalidArgument(std::string("Field 'attributes' must be an object, not ") +
                                     JsonTypeName(fields.attributes.value.type()) + ".");
    }
    AttributeBuilder attributes;
    Status s = attributes.AddJsonObject(fields.attributes.value, "Field 'attributes'");
    Result<Attributes> built = s.ok() ? attributes.Finish() : Result<Attributes>(s);
    if (!built.ok()) {
      return Status::InvalidArgument("Field 'attributes': " + built.status().message());
    }
    out->attributes = std::move(built).value();
  }
  out->message = message;
  out->timestamp = fields.timestamp.value;
  out->has_timestamp = fields.timestamp.present;
  return Status::Ok();
}

}  // namespace logsvc::ingest
