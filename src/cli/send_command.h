// `logsvc send`: stores entries through POST /logs of any logsvc (standalone,
// or the Lambda ingest URL): MESSAGE as one entry, or, without it, each line
// of stdin as an entry, sent in batches of up to 1,000 (a batch is stored
// whole or not at all). Prints the new entry's id, or how many were stored.
#ifndef LOGSVC_CLI_SEND_COMMAND_H_
#define LOGSVC_CLI_SEND_COMMAND_H_

#include <string>
#include <vector>

#include "cli/api_client.h"

namespace logsvc::cli {

struct SendOptions {
  std::string severity = "info";
  std::vector<std::string> attributes;  // "key=value", each
  std::string message;                  // "": the lines of stdin
  bool message_given = false;
};

// Exit status: see api_client.h.
int RunSend(const ClientOptions& client, const SendOptions& options);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_SEND_COMMAND_H_
