// `logsvc tail`: follows GET /logs/tail (Server-Sent Events) of a standalone
// logsvc and prints each entry as it comes (a table row, or NDJSON with
// --output ndjson). When the stream breaks (the server restarts, the network
// drops) it reconnects after a second with Last-Event-ID, the last event id
// it saw, so nothing is missed or printed twice. Runs until interrupted.
// Plain HTTP only for now (the Lambda functions do not serve the tail).
#ifndef LOGSVC_CLI_TAIL_COMMAND_H_
#define LOGSVC_CLI_TAIL_COMMAND_H_

#include <string>

#include "cli/api_client.h"

namespace logsvc::cli {

struct TailOptions {
  std::string query;  // q
  std::string severity;
  std::string output;  // "table" (default) or "ndjson"
};

// Exit status (see api_client.h): 1 if the server refuses the stream (a bad
// query, a wrong key); it never ends otherwise.
int RunTail(const ClientOptions& client, const TailOptions& options);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_TAIL_COMMAND_H_
