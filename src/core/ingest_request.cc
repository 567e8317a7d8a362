#include "core/ingest_request.h"

#include <simdjson.h>

#include "core/utf8.h"

namespace logsvc {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

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

// Looks up a required string field, or says why it cannot be used.
Result<std::string_view> RequiredString(simdjson::dom::object obj, const char* name) {
  simdjson::dom::element value;
  if (obj[name].get(value) != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("Missing required field '") + name + "'.");
  }
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
    if (EqualsIgnoreCase(name, SeverityName(s))) {
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

  auto severity_field = RequiredString(obj, "severity");
  if (!severity_field.ok()) return severity_field.status();
  auto message_field = RequiredString(obj, "message");
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
