// The ingest request body and its validation: the one place that decides
// whether `{"severity": ..., "message": ...}` is acceptable. The standalone
// server and the Lambda functions both call ParseIngestRequest. Each entry of
// a batch (core/ingest_batch.h) is held to the same rules by the same code
// (core/ingest_entry.h).
#ifndef LOGSVC_CORE_INGEST_REQUEST_H_
#define LOGSVC_CORE_INGEST_REQUEST_H_

#include <string>
#include <string_view>

#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc {

struct IngestRequest {
  Severity severity;
  std::string message;    // trimmed; 1..kMaxMessageCodePoints code points
  Attributes attributes;  // from the optional "attributes" object (core/attributes.h)
};

// Validates a request body. On failure the Status is kInvalidArgument with a
// sentence that says what is wrong (suitable for a 400 reply). Rules:
//   - the body is valid UTF-8 and valid JSON, and is a JSON object;
//   - "severity": required string, info|warning|error in any letter case;
//   - "message": required string; trimmed of surrounding white space it is
//     non-empty and at most kMaxMessageCodePoints code points;
//   - "severity" and "message" each appear once: a body that repeats one (also
//     under an escaped spelling of its name) is refused, naming it;
//   - "attributes": an optional JSON object (core/attributes.h: flattened,
//     at most 64 keys; past a limit the body is refused);
//   - other fields are ignored (repeated or not).
// Thread-safe (uses a per-thread parser).
Result<IngestRequest> ParseIngestRequest(std::string_view body);

// Parses a severity name (trace, debug, info, warning, error, fatal) in any
// letter case.
bool ParseSeverity(std::string_view name, Severity* out);

// The shippers' spellings of a level, in any letter case, as the Loki push
// and Elasticsearch bulk formats carry them (a `level` label, `log.level`):
// the six names and trace/debug/info/warn/error/fatal's usual variants
// (`warn`, `err`, `critical`, `crit`, `panic`, `emerg`, `alert`, `notice`,
// `informational`, `dbug`, `eror`, `wrn`, `trc`, `fatal`...; OpenTelemetry's
// `INFO2`-style numbered names). False for anything else: the caller keeps
// its default (info).
bool ParseLevelName(std::string_view name, Severity* out);

}  // namespace logsvc

#endif  // LOGSVC_CORE_INGEST_REQUEST_H_
