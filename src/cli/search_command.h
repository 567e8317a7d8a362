// `logsvc search` and `logsvc export`: GET /logs with the search parameters
// (docs/search.md), on any logsvc.
//   search: one page (--limit, default 100), or with --all every page,
//           following `next`; as a table (local times; severity in colour on
//           a terminal, unless NO_COLOR is set), json (the replies' entries as
//           one array) or ndjson (one entry a line).
//   export: every page as NDJSON on stdout, 1,000 a request, with a count on
//           stderr as it goes when stderr is a terminal.
#ifndef LOGSVC_CLI_SEARCH_COMMAND_H_
#define LOGSVC_CLI_SEARCH_COMMAND_H_

#include <string>

#include "cli/api_client.h"

namespace logsvc::cli {

struct SearchOptions {
  std::string query;  // q
  std::string severity, from, to, order;
  int limit = 0;  // 0: the server's default (100)
  bool all = false;
  std::string output;  // "table" (default), "json", "ndjson"
};

// Exit status: see api_client.h.
int RunSearch(const ClientOptions& client, const SearchOptions& options);
int RunExport(const ClientOptions& client, const SearchOptions& options);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_SEARCH_COMMAND_H_
