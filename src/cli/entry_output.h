// How the client commands (search, tail) show an entry of a reply on a
// terminal: one line of local time (milliseconds), severity (in colour when
// asked), message and attributes.
#ifndef LOGSVC_CLI_ENTRY_OUTPUT_H_
#define LOGSVC_CLI_ENTRY_OUTPUT_H_

#include <simdjson.h>

namespace logsvc::cli {

// Prints the entry (a reply's JSON object) as one table row on stdout.
void PrintRow(simdjson::dom::element entry, bool colour);

// Colours on stdout: only on a terminal, and not with NO_COLOR set.
bool UseColour();

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_ENTRY_OUTPUT_H_
