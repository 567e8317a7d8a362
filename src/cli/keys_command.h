// The API keys file on disk (api/api_keys.h has its format): reading it for
// `logsvc serve --auth-keys`, and `logsvc keys create`, which adds a key.
#ifndef LOGSVC_CLI_KEYS_COMMAND_H_
#define LOGSVC_CLI_KEYS_COMMAND_H_

#include <memory>
#include <string>

#include "api/api_keys.h"
#include "logsvc/status.h"

namespace logsvc::cli {

// Reads and parses the keys file. InvalidArgument naming the file and what
// is wrong (it cannot be read, it is over 4 MiB, a line is malformed, it
// holds no key: an empty file never means "no authentication").
Result<std::shared_ptr<const api::KeyRing>> LoadKeyFile(const std::string& path);

// `logsvc keys create`: makes a key with these scopes ("ingest,read") and
// name, appends its line to `path` (created with mode 0600 if missing, and
// synced), and prints the key once on stdout. Exit status: 0, 1 if the file
// cannot be written, 2 for bad scopes or name.
// `limits`: the key's own rate limits (0: the server's).
int RunKeysCreate(const std::string& path, const std::string& scopes, const std::string& name,
                  const api::RateLimits& limits);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_KEYS_COMMAND_H_
