#include "core/ingest_request.h"

#include <simdjson.h>

#include "core/ascii.h"
#include "core/utf8.h"

namespace logsvc {
namespace {

const char* JsonTypeName(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
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
  Field severity, message;
};

Status FindFields(simdjson::dom::object obj, Fields* out) {
  for (auto [key, value] : obj) {
    Field* field = key == "severity" ? &out->severity : key == "message" ? &out->message : nullptr;
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

bool ParseSeverity(std::string_view name, Severity* out) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kError}) {
    if (ascii::EqualsIgnoreCase(name, SeverityName(s))) {
      *out = s;
      return true;
    }
  }
  return false;
}

Result<IngestRequest> ParseIngestRequest(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument(
        "Request body is empty: send a JSON object with 'severity' and 'message'.");
  }
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto error = parser.parse(body.data(), body.size(), /*realloc_if_needed=*/true).get(doc);
  if (error == simdjson::UTF8_ERROR) {
    return Status::InvalidArgument("Request body is not valid UTF-8.");
  }
  if (error != simdjson::SUCCESS) {
    return Status::InvalidArgument("Request body is not valid JSON.");
  }
  simdjson::dom::object obj;
  if (doc.get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("Request body must be a JSON object, not ") +
                                   JsonTypeName(doc.type()) + ".");
  }

  Fields fields;
  if (Status s = FindFields(obj, &fields); !s.ok()) return s;
  auto severity_field = RequiredString(fields.severity, "severity");
  if (!severity_field.ok()) return severity_field.status();
  auto message_field = RequiredString(fields.message, "message");
  if (!message_field.ok()) return message_field.status();

  IngestRequest req{};
  if (!ParseSeverity(severity_field.value(), &req.severity)) {
    return Status::InvalidArgument(
        "Field 'severity' must be one of: info, warning, error (any letter case).");
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
  req.message.assign(message);
  return req;
}

}  // namespace logsvc
