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
// Limits on what a client controls: headers 16 KiB (431), body
// max_body_bytes (413), idle or slow reads closed after idle_timeout.
//
// Stop() is graceful: stop accepting, finish the requests in flight (up to
// drain_timeout), close keep-alive connections, then Run() returns.
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
