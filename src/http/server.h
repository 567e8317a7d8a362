// Server: HTTP/1.1 on Boost.Beast, in front of an api::Api.
//
// Threads: `threads` I/O threads, each running its own io_context; the
// acceptor hands each new connection to the next one in turn, and a
// connection stays on its thread for life (no locks on the request path).
// A request is read, handed to the Api, and its response written when the
// Api calls back (from a store thread: the reply reaches the connection's
// thread through that thread's mailbox, one post for all replies queued
// meanwhile). I/O threads never wait on the disk. Beast parses requests;
// replies are written from a formatted head (response_head.h) and the body.
//
// Limits on what a client controls:
//   - a request's header 16 KiB (431), and so is what is held unparsed of a
//     chunked body: a chunk-size line with its extensions (400) or the
//     trailer (431); the body max_body_bytes (413);
//   - framing that leaves the body's end in doubt is refused and the
//     connection closed (request_framing.h: Transfer-Encoding not ending in
//     chunked 400, other codings 501, Host missing or repeated 400);
//   - a request's header must arrive within idle_timeout, as must the next
//     request on a kept-alive connection;
//   - a reply that makes no progress for write_timeout closes its connection
//     (stream_write_timeout for a streamed body: GET /logs/tail);
//   - response bodies held for clients, summed over all connections, at most
//     max_pending_response_bytes (reply_budget.h; a GET /logs body shared by
//     many connections counts once; a streamed body's piece being written
//     counts too): past it a reply is a 503 and the
//     connection closes, though one reply always goes out when nothing is held;
//   - at most max_connections open: past it a new connection closes the
//     oldest idle one (waiting for a request, nothing of it received;
//     idle_connections.h), or with none idle gets a 503 and is closed.
// accept() failing (out of file descriptors) is retried with back-off from
// 10 ms to 1 s and logged once per episode.
//
// Stop() is graceful: stop accepting, finish the requests in flight (up to
// drain_timeout), close keep-alive connections, then Run() returns. Streamed
// bodies (GET /logs/tail) are cut then: their clients resume where they were.
#ifndef LOGSVC_HTTP_SERVER_H_
#define LOGSVC_HTTP_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/api.h"
#include "logsvc/status.h"

namespace logsvc::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port())
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  bool access_log = false;
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds drain_timeout{10};
  // Open connections at most; past it a new one closes the oldest idle one,
  // or is refused.
  size_t max_connections = 10000;
  // Response bodies held for clients that have not read them, in total (a
  // shared body counted once); past it, a reply is a 503 and the connection closes.
  size_t max_pending_response_bytes = size_t{256} << 20;
  // A reply that makes no progress for this long closes its connection.
  std::chrono::seconds write_timeout{10};
  // The same for a streamed body (GET /logs/tail): a client that stopped
  // reading holds one piece; after this long it is closed (and may resume
  // with Last-Event-ID).
  std::chrono::seconds stream_write_timeout{60};
};

class Server {
 public:
  // `api` must outlive the Server.
  Server(ServerOptions options, api::Api& api);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; kUnavailable (with the reason) if the address cannot be used.
  Status Listen();
  // The bound port: the real one when options.port was 0. Valid after Listen().
  uint16_t port() const;
  // Serves on the I/O threads until Stop() completes; call once, after Listen().
  void Run();
  // Begins a graceful stop. Thread-safe, idempotent; does not block.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace logsvc::http

#endif  // LOGSVC_HTTP_SERVER_H_
