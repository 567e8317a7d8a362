#include "cli/send_command.h"

#include <cstdio>
#include <iostream>

#include "core/json_writer.h"

namespace logsvc::cli {
namespace {

constexpr size_t kBatchEntries = 1000;
constexpr size_t kBatchBytes = 512 * 1024;  // under the server's default 1 MiB body

// {"severity":...,"message":...,"attributes":{...}}
void AppendEntry(std::string* out, const SendOptions& o, std::string_view message) {
  out->append("{\"severity\":");
  json::AppendString(out, o.severity);
  out->append(",\"message\":");
  json::AppendString(out, message);
  if (!o.attributes.empty()) {
    out->append(",\"attributes\":{");
    for (size_t i = 0; i < o.attributes.size(); ++i) {
      const std::string& kv = o.attributes[i];
      const size_t eq = kv.find('=');
      if (i) out->push_back(',');
      json::AppendString(out, kv.substr(0, eq));
      out->push_back(':');
      json::AppendString(out, kv.substr(eq + 1));
    }
    out->push_back('}');
  }
  out->push_back('}');
}

}  // namespace

int RunSend(const ClientOptions& client_options, const SendOptions& o) {
  for (const std::string& kv : o.attributes) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      std::fprintf(stderr, "logsvc: error: --attr takes key=value, not '%s'\n", kv.c_str());
      return kExitUsage;
    }
  }
  auto client = OpenClient(client_options);
  if (!client) return kExitUsage;
  ApiClient& api = *client;
  if (o.message_given) {
    std::string body;
    AppendEntry(&body, o, o.message);
    // A key of its own: a request sent again (a dropped connection, a 503)
    // never stores the entry twice.
    std::string reply;
    bool replayed = false;
    if (std::string why = PostEntries(api, std::move(body), "application/json",
                                      RandomIdempotencyKey(), &replayed, &reply);
        !why.empty()) {
      return ServerError(why);
    }
    // The reply's logId.
    const size_t at = reply.find("\"logId\":\"");
    std::printf("%s\n", at == std::string::npos ? "stored" : reply.substr(at + 9, 36).c_str());
    return kExitOk;
  }
  // Lines of stdin, batched: one POST of up to kBatchEntries (or kBatchBytes).
  size_t stored = 0, line_number = 0;
  std::string body, line;
  size_t in_batch = 0;
  auto flush = [&]() -> int {
    if (in_batch == 0) return kExitOk;
    body.push_back(']');
    bool replayed = false;
    const std::string why =
        PostEntries(api, std::move(body), "application/json", RandomIdempotencyKey(), &replayed);
    body.clear();
    if (!why.empty()) {
      return ServerError(why + "; the " + std::to_string(in_batch) + " lines up to line " +
                         std::to_string(line_number) + " were not stored, the " +
                         std::to_string(stored) + " before them were");
    }
    stored += in_batch;
    in_batch = 0;
    return kExitOk;
  };
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines
    body.push_back(in_batch == 0 ? '[' : ',');
    AppendEntry(&body, o, line);
    if (++in_batch >= kBatchEntries || body.size() >= kBatchBytes) {
      if (int rc = flush(); rc != kExitOk) return rc;
    }
  }
  if (int rc = flush(); rc != kExitOk) return rc;
  std::printf("stored %zu entries\n", stored);
  return kExitOk;
}

}  // namespace logsvc::cli
