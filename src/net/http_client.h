// HttpClient: an asynchronous HTTP/1.1 client (Boost.Beast, OpenSSL for
// https) for one endpoint, with keep-alive connections. The DynamoDB client
// and the Lambda Runtime API client sit on it.
//
// Threads: the client runs its own I/O thread; Send() may be called from any
// thread and returns at once. Callbacks run on the client's thread, so they
// must be quick and must not block (see LogStore for the same contract).
// Destroying the client stops its thread: requests still in flight are
// abandoned and their callbacks destroyed without being called.
//
// Errors: a response of any status is a success of Send(); kUnavailable means
// no response (cannot resolve, connect, handshake; timeout; connection lost).
// A request that fails on a reused keep-alive connection before any response
// byte arrives (not by timing out) is sent once more on a fresh connection:
// the server may have closed the idle connection just then. So callers should
// send only requests that may be repeated (idempotent ones), or accept that.
//
// TLS: the peer's certificate chain and host name are verified. The CA bundle
// is options.ca_file, else Amazon Linux's /etc/pki/tls/certs/ca-bundle.crt,
// else OpenSSL's default paths. TLS is set up on first use only, so a process
// that starts and never calls out pays nothing for it (Lambda cold starts).
#ifndef LOGSVC_NET_HTTP_CLIENT_H_
#define LOGSVC_NET_HTTP_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logsvc/status.h"

namespace logsvc::net {

// "http://host[:port]" or "https://host[:port]", an optional path ignored.
struct Endpoint {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::string port;  // "80", "443" or as given
  // The Host header: host, plus ":port" when the port is not the scheme's default.
  std::string host_header;
};

// InvalidArgument with a sentence if `url` is not an http(s) URL with a host.
Result<Endpoint> ParseEndpoint(std::string_view url);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";  // path and query, as in the request line
  Headers headers;           // Host and Content-Length are added
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;

  // The first header of this name (case-insensitive), or "".
  std::string_view Header(std::string_view name) const;
};

struct HttpClientOptions {
  Endpoint endpoint;
  std::chrono::milliseconds connect_timeout{1000};  // resolve + connect + TLS handshake
  // Writing the request and reading the whole response; zero: no limit (for
  // long polls such as the Lambda Runtime API's /next).
  std::chrono::milliseconds request_timeout{2000};
  size_t max_response_bytes = 16 << 20;
  size_t max_idle_connections = 64;
  std::string ca_file;  // see the TLS note above
};

class HttpClient {
 public:
  using Done = std::function<void(Result<HttpResponse>)>;

  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void Send(HttpRequest request, Done done);

  // Runs `fn` on the client's thread after `delay` (for retry back-off).
  void After(std::chrono::milliseconds delay, std::function<void()> fn);

  const Endpoint& endpoint() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Sends and waits for the outcome; for threads that may block (a CLI, the
// Lambda handler). Never call it on a client's own thread, nor while another
// thread may destroy the client (a dropped callback would leave it waiting).
Result<HttpResponse> SendAndWait(HttpClient& client, HttpRequest request);

}  // namespace logsvc::net

#endif  // LOGSVC_NET_HTTP_CLIENT_H_
