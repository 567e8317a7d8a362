// ApiClient: what the command-line client subcommands (send, search, export,
// tail) share: the server's address and key, one blocking request at a time
// over net::HttpClient, and how a failure becomes the one line and exit
// status they print. One per command.
//
// Exit statuses of every client command: 0 success, 1 the server refused or
// could not be reached (an error line on stderr), 2 a usage error.
#ifndef LOGSVC_CLI_API_CLIENT_H_
#define LOGSVC_CLI_API_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>

#include "logsvc/status.h"
#include "net/http_client.h"

namespace logsvc::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitServer = 1;
inline constexpr int kExitUsage = 2;

struct ClientOptions {
  std::string url = "http://127.0.0.1:8080";  // --url, LOGSVC_URL
  std::string key;                            // --key, LOGSVC_KEY: sent as a Bearer token
};

class ApiClient {
 public:
  // InvalidArgument naming --url if it is not an http(s) URL.
  static Result<std::unique_ptr<ApiClient>> Open(const ClientOptions& options);

  // Sends and waits (up to a minute). A reply of any status is returned;
  // kUnavailable when there is none (the sentence says why).
  // Thread-safe: several threads may call at once (each waits for its own).
  Result<net::HttpResponse> Call(std::string method, std::string target, std::string body = "",
                                 std::string content_type = "", net::Headers extra = {});

  // The headers every request carries: the key, if any.
  net::Headers AuthHeaders() const;
  const net::Endpoint& endpoint() const { return client_.endpoint(); }

 private:
  ApiClient(net::HttpClientOptions options, std::string key)
      : client_(std::move(options)), key_(std::move(key)) {}
  net::HttpClient client_;
  std::string key_;
};

// ApiClient::Open for a command: null (the error line already on stderr,
// the caller exits kExitUsage) when --url is not usable.
std::unique_ptr<ApiClient> OpenClient(const ClientOptions& options);

// The sentence of a non-2xx reply: its JSON "error", else its status.
std::string ReplyError(const net::HttpResponse& r);

// POSTs entries to /logs (a JSON array or NDJSON body) with this
// Idempotency-Key until they are stored, or were before (*replayed), retrying
// what the server cannot take now (unreachable, 429 and 503 after their
// Retry-After, 409 for a write of the key still in progress) up to 10 times:
// the key makes a repeat safe. "" on success; else why not.
// `reply`, when given, gets the 201's body.
std::string PostEntries(ApiClient& api, std::string body, std::string_view content_type,
                        std::string_view key, bool* replayed, std::string* reply = nullptr);

// A random Idempotency-Key (a UUID v4), for a write that has no natural one.
std::string RandomIdempotencyKey();

// Prints "logsvc: error: <what>" on stderr and returns kExitServer.
int ServerError(std::string_view what);

// Appends "name=value" to a query string being built ('?' or '&' first),
// the value percent-encoded.
void AddParam(std::string* target, std::string_view name, std::string_view value);

}  // namespace logsvc::cli

#endif  // LOGSVC_CLI_API_CLIENT_H_
