// BodyStream: a response body produced over time (GET /logs/tail). The
// transport sends the response's head, then asks for the body piece by
// piece, calling Next only once the previous piece is written: a client
// that does not read is never given more, so what it holds stays bounded.
// Destroying the stream ends it (the client left, the server stops).
#ifndef LOGSVC_API_BODY_STREAM_H_
#define LOGSVC_API_BODY_STREAM_H_

#include <cstdint>
#include <functional>
#include <string>

namespace logsvc::api {

class BodyStream {
 public:
  struct Piece {
    std::string bytes;  // to send; may be empty
    // How long before the next call: after `bytes` are written (0: at once),
    // or from now when there are none.
    int64_t wait_ms = 0;
    bool end = false;  // the body is complete after `bytes`: close the stream
  };
  virtual ~BodyStream() = default;
  // Calls `done` exactly once, on any thread, possibly before returning.
  virtual void Next(std::function<void(Piece)> done) = 0;
};

}  // namespace logsvc::api

#endif  // LOGSVC_API_BODY_STREAM_H_
