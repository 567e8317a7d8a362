#include "api/tail_stream.h"

#include <algorithm>

#include "api/cursor.h"
#include "api/responses.h"

namespace logsvc::api {

TailStream::TailStream(LogStore& store, Filter filter, std::string position,
                       std::chrono::milliseconds heartbeat, std::function<void()> on_end)
    : store_(store),
      filter_(std::move(filter)),
      position_(std::move(position)),
      heartbeat_(heartbeat),
      on_end_(std::move(on_end)) {}

TailStream::~TailStream() {
  if (on_end_) on_end_();
}

namespace {

std::string EventId(std::string position) {
  CursorState resume;
  resume.kind = CursorKind::kTail;
  resume.position = std::move(position);
  return EncodeCursor(resume);
}

}  // namespace

void TailStream::Next(std::function<void(Piece)> done) {
  using Clock = std::chrono::steady_clock;
  FollowQuery query{filter_, position_, kTailPageEntries};
  store_.Follow(std::move(query), [self = shared_from_this(),
                                   done = std::move(done)](Result<FollowPage> r) mutable {
    Piece piece;
    const bool first = !self->started_;
    if (first) {
      // First: what the client is getting, and how soon to reconnect.
      self->started_ = true;
      piece.bytes =
          ": logsvc live tail: " + std::string(self->store_.FollowNote()) + "\nretry: 1000\n\n";
    }
    const auto now = Clock::now();
    const bool heartbeat_due = now - self->last_sent_ >= self->heartbeat_;
    if (!r.ok()) {
      if (r.status().code() == Status::Code::kInvalidArgument) {
        piece.bytes += "event: error\ndata: " + ErrorBody(400, r.status().message()) + "\n\n";
        piece.end = true;
      } else {
        // The store cannot serve now: try again from the same place, and
        // keep the stream open meanwhile.
        if (heartbeat_due) piece.bytes += ": heartbeat (the store cannot be read now)\n\n";
        piece.wait_ms = 1000;
      }
      if (!piece.bytes.empty()) self->last_sent_ = now;
      return done(std::move(piece));
    }
    FollowPage& page = r.value();
    bool cut = false;
    for (size_t i = 0; i < page.entries.size(); ++i) {
      AppendTailEvent(&piece.bytes, page.entries[i], EventId(page.entry_positions[i]));
      if (piece.bytes.size() >= kTailPieceBytes && i + 1 < page.entries.size()) {
        // Enough for one write: the rest comes with the next call.
        self->position_ = std::move(page.entry_positions[i]);
        cut = true;
        break;
      }
    }
    if (!cut) self->position_ = std::move(page.position);
    page.more = page.more || cut;
    if (page.entries.empty() && (first || heartbeat_due)) {
      // With no event, an id alone (a block without data): a client that
      // reconnects before its first match, or after a long quiet, resumes
      // from here and not from "now", and does not read again what was
      // passed (EventSource keeps it as lastEventId).
      if (!first) piece.bytes += ": heartbeat\n";  // also keeps proxies from closing the stream
      piece.bytes += "id: " + EventId(self->position_) + "\n\n";
    }
    if (!piece.bytes.empty()) {
      self->last_sent_ = now;
      // Caught up: the next call after a poll interval, so that a follower
      // of a busy store gets its events a few pieces a second, not one
      // small piece per entry.
      if (!page.more) piece.wait_ms = self->store_.FollowIntervalMs();
    } else if (!page.more) {
      const auto until_heartbeat = std::chrono::duration_cast<std::chrono::milliseconds>(
          self->last_sent_ + self->heartbeat_ - now);
      piece.wait_ms =
          std::clamp<int64_t>(until_heartbeat.count(), 1, self->store_.FollowIntervalMs());
    }
    done(std::move(piece));
  });
}

}  // namespace logsvc::api
