#include "cli/search_command.h"

#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "cli/entry_output.h"

namespace logsvc::cli {
namespace {

// The query string of the first page.
std::string FirstTarget(const SearchOptions& o, int limit) {
  std::string target = "/logs";
  if (!o.query.empty()) AddParam(&target, "q", o.query);
  if (!o.severity.empty()) AddParam(&target, "severity", o.severity);
  if (!o.from.empty()) AddParam(&target, "from", o.from);
  if (!o.to.empty()) AddParam(&target, "to", o.to);
  if (!o.order.empty()) AddParam(&target, "order", o.order);
  AddParam(&target, "limit", std::to_string(limit));
  return target;
}

// Walks the pages: `page` gets each page's "logs" array (raw JSON of each
// entry); stops after one page unless `all`. Exit status.
int Walk(ApiClient& api, const SearchOptions& o, int limit, bool all,
         const std::function<void(simdjson::dom::element entry)>& each) {
  std::string target = FirstTarget(o, limit);
  simdjson::dom::parser parser;
  for (;;) {
    auto r = api.Call("GET", target);
    if (!r.ok()) return ServerError(r.status().message());
    if (r.value().status != 200) return ServerError(ReplyError(r.value()));
    simdjson::dom::element doc;
    simdjson::dom::array logs;
    if (parser.parse(r.value().body).get(doc) || doc["logs"].get(logs)) {
      return ServerError("the server's reply is not a logsvc search reply");
    }
    for (simdjson::dom::element e : logs) each(e);
    std::string_view next;
    if (!all || doc["next"].get(next)) return kExitOk;  // null: the last page
    target = "/logs";
    AddParam(&target, "cursor", next);
    AddParam(&target, "limit", std::to_string(limit));
  }
}

}  // namespace

int RunSearch(const ClientOptions& client_options, const SearchOptions& o) {
  const std::string output = o.output.empty() ? "table" : o.output;
  if (output != "table" && output != "json" && output != "ndjson") {
    std::fprintf(stderr, "logsvc: error: --output is table, json or ndjson, not '%s'\n",
                 output.c_str());
    return kExitUsage;
  }
  auto client = OpenClient(client_options);
  if (!client) return kExitUsage;
  const bool colour = output == "table" && UseColour();
  bool first = true;
  if (output == "json") std::fputs("[", stdout);
  const int rc =
      Walk(*client, o, o.limit > 0 ? o.limit : 100, o.all, [&](simdjson::dom::element e) {
        if (output == "table") return PrintRow(e, colour);
        const std::string json = simdjson::minify(e);
        if (output == "json") std::fputs(first ? "\n" : ",\n", stdout);
        std::fputs(json.c_str(), stdout);
        if (output == "ndjson") std::fputc('\n', stdout);
        first = false;
      });
  if (output == "json") std::fputs(first ? "]\n" : "\n]\n", stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return ServerError("cannot write the output");
  return rc;
}

int RunExport(const ClientOptions& client_options, const SearchOptions& o) {
  auto client = OpenClient(client_options);
  if (!client) return kExitUsage;
  const bool progress = isatty(STDERR_FILENO);
  size_t n = 0;
  const int rc = Walk(*client, o, 1000, true, [&](simdjson::dom::element e) {
    const std::string json = simdjson::minify(e);
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fputc('\n', stdout);
    if (progress && ++n % 1000 == 0) std::fprintf(stderr, "\rexported %zu entries", n);
  });
  if (progress) std::fprintf(stderr, "\rexported %zu entries\n", n);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return ServerError("cannot write the output");
  return rc;
}

}  // namespace logsvc::cli
