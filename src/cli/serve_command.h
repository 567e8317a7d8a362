// `logsvc serve`: wires the store, the Api and the HTTP server together and
// runs until SIGTERM or SIGINT.
#ifndef LOGSVC_CLI_SERVE_COMMAND_H_
#define LOGSVC_CLI_SERVE_COMMAND_H_

#include "cli/serve_options.h"

namespace logsvc::cli {

// Returns the process exit status: 0 after a clean stop, 2 if the settings
// cannot be used (a one-line error on stderr, before anything listens).
int RunServe(const ServeOptions& options);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_SERVE_COMMAND_H_
