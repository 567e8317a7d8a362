// One log entry as a POST /logs body gives it: a JSON object with "severity"
// and "message" (and, in a batch, "timestamp"). The one validator of such an
// object, shared by the single-entry body (core/ingest_request.h) and every
// entry of a batch (core/ingest_batch.h), so both take and refuse exactly the
// same entries with the same sentences. Internal to src/core.
#ifndef LOGSVC_CORE_INGEST_ENTRY_H_
#define LOGSVC_CORE_INGEST_ENTRY_H_

#include <simdjson.h>

#include <string_view>

#include "core/attributes.h"
#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::ingest {

// This thread's DOM parser, shared by every body parser of src/core so that a
// thread holds one parser's buffers (they grow to the largest body parsed).
// A document parsed with it is valid until the thread's next parse.
simdjson::dom::parser& ThreadParser();

// "an object", "a number", "null"...: how error sentences name a JSON type.
const char* JsonTypeName(simdjson::dom::element_type type);

// `text` parsed with ThreadParser(), or the sentence "<what> is not valid
// UTF-8." or "<what> is not valid JSON." (what: "Request body", "The line").
Result<simdjson::dom::element> ParseJson(std::string_view text, std::string_view what);

// `value` as an object, or "<what> must be a JSON object, not <its type>.".
Result<simdjson::dom::object> AsObject(simdjson::dom::element value, std::string_view what);

// The two contracts of POST /logs. kSingle: the original design's body, whose
// severities are info, warning and error, and whose "timestamp" is ignored
// with every other unknown field. kBatch: an entry of a batch, with all six
// severities and a "timestamp" of its own.
enum class EntryContract { kSingle, kBatch };

struct EntryFields {
  Severity severity;
  std::string_view message;  // trimmed; points into the parsed document
  // The "timestamp" value, unchecked; present only when it was read and given.
  simdjson::dom::element timestamp;
  bool has_timestamp = false;
  Attributes attributes;  // from "attributes" (core/attributes.h); empty if none
};

// Validates one entry object, by the rules ParseIngestRequest documents:
//   - "severity": required string, in any letter case: info|warning|error
//     (kSingle) or trace|debug|info|warning|error|fatal (kBatch);
//   - "attributes": optional JSON object, flattened and bounded by
//     core/attributes.h's rules (an error names the field);
//   - "message": required string; trimmed of surrounding white space it is
//     non-empty and at most kMaxMessageCodePoints code points;
//   - each field read appears once (names compare unescaped), or the object
//     is refused naming it; other fields are ignored, repeated or not.
// The error is kInvalidArgument with the sentence a client gets.
Status ParseEntryObject(simdjson::dom::object object, EntryContract contract, EntryFields* out);

}  // namespace logsvc::ingest

#endif  // LOGSVC_CORE_INGEST_ENTRY_H_
