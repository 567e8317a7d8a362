// `logsvc import FILE...`: stores files of entries through POST /logs, in
// batches of up to 1,000 (or 512 KiB), several requests at once. A file is
// NDJSON (one entry object a line) or a JSON array of entries, sent as they
// are (the server validates them), or plain text: one entry a line, its
// severity --severity, or guessed from the line (a word such as ERROR, FATAL
// or CRITICAL: error; WARN or WARNING: warning; else info).
//
// Resumable: each batch carries an Idempotency-Key made from the batch itself
// (the file's name, the batch's place in it and its bytes), so running the
// same import again after an interruption stores what was missing and
// replays, without storing twice, what was already there (within the
// server's 24 hours). Not across a file that grew meanwhile (its last batch
// changes: up to 1,000 entries again) or was renamed (all again).
// Plain text lines get the server's time of arrival as their timestamp:
// with several requests at once, batches may interleave.
// A progress line (entries, entries/s, ETA by bytes) on stderr when it is a
// terminal; at the end one line: imported N entries (M already there).
#ifndef LOGSVC_CLI_IMPORT_COMMAND_H_
#define LOGSVC_CLI_IMPORT_COMMAND_H_

#include <string>
#include <vector>

#include "cli/api_client.h"

namespace logsvc::cli {

struct ImportOptions {
  std::vector<std::string> files;
  std::string severity;  // plain text: the severity of every line ("": guessed)
  int concurrency = 4;   // requests in flight
};

// Exit status: see api_client.h (1: a batch was refused or could not be
// sent; what was stored stays stored, and running it again goes on).
int RunImport(const ClientOptions& client, const ImportOptions& options);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_IMPORT_COMMAND_H_
