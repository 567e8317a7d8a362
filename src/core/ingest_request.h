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
  std::string message;  // trimmed; 1..kMaxMessageCodePoints code points
};

// Validates a request body. On failure the Status is kInvalidArgument with a
// sentence that says what is wrong (suitable for a 400 reply). Rules:
//   - the body is valid UTF-8 and valid JSON, and is a JSON object;
//   - "severity": required string, info|warning|error in any letter case;
//   - "message": required string; trimmed of surrounding white space it is
//     non-empty and at most kMaxMessageCodePoints code points;
//   - "severity" and "message" each appear once: a body that repeats one (also
//     under an escaped spelling of its name) is refused, naming it;
//   - other fields are ignored (repeated or not).
// Thread-safe (uses a per-thread parser).
Result<IngestRequest> ParseIngestRequest(std::string_view body);

// Parses a severity name in any letter case.
bool ParseSeverity(std::string_view name, Severity* out);

}  // namespace logsvc

#endif  // LOGSVC_CORE_INGEST_REQUEST_H_
