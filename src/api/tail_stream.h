// TailStream: the body of GET /logs/tail, Server-Sent Events
// (text/event-stream) of the entries stored from the start of the stream (or
// after a resume point), that match the filter, each once, in the store's
// follow order (LogStore::Follow).
//
//   : <how this store's tail works>      a comment, first
//   retry: 1000                          reconnect after 1 s
//   id: <resume point>                   with no entry yet: where the stream is
//
//   id: <resume point>                   one event per entry
//   data: {"logId":...}
//
//   : heartbeat                          when nothing was sent for a while,
//   id: <resume point>                   with where the stream is
//
//   event: error                         the store refused the resume point;
//   data: {"statusCode":400,...}         the stream ends
//
// An event's id (a tail cursor, api/cursor.h) resumes after that entry (an id
// alone, after everything examined so far): sent back as Last-Event-ID
// (EventSource does) or ?cursor=, on any server of the deployment, within
// retention.
//
// Flow: the transport calls Next only once the previous piece is written, so
// a client that stops reading stops the store reads for it: it holds one
// piece (kTailPageEntries entries, about kTailPieceBytes at most) and costs nothing more, whatever
// is ingested meanwhile. When it reads again it goes on from its position,
// from the store's memory or its disk, missing nothing.
// Not thread-safe: the transport calls Next once at a time (the callback may
// run on any thread, and the next Next after it).
#ifndef LOGSVC_API_TAIL_STREAM_H_
#define LOGSVC_API_TAIL_STREAM_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/body_stream.h"
#include "logsvc/log_store.h"
#include "util/metrics.h"

namespace logsvc::api {

// Entries a piece holds at most, and bytes: it ends after the entry that
// reaches kTailPieceBytes.
inline constexpr size_t kTailPageEntries = 500;
inline constexpr size_t kTailPieceBytes = 1 << 20;

class TailStream final : public BodyStream, public std::enable_shared_from_this<TailStream> {
 public:
  // `store` must outlive the stream. `position`: the store's, "" for "from
  // now". `on_end` runs when the stream is destroyed (frees its slot).
  TailStream(LogStore& store, Filter filter, std::string position,
             std::chrono::milliseconds heartbeat, std::function<void()> on_end);
  ~TailStream() override;

  void Next(std::function<void(Piece)> done) override;

 private:
  LogStore& store_;
  const Filter filter_;
  std::string position_;
  const std::chrono::milliseconds heartbeat_;
  std::function<void()> on_end_;
  bool started_ = false;
  std::chrono::steady_clock::time_point last_sent_;
};

}  // namespace logsvc::api

#endif  // LOGSVC_API_TAIL_STREAM_H_
