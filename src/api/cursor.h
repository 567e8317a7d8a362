// Cursors: the `next` of a search or stats reply, and the `cursor` parameter
// that continues it. A cursor carries the whole query (filters, order, page
// size, stats step) and the store's position (LogStore: SearchPage::next),
// so that following it needs nothing else, on any instance of the service.
//
// Format (base64url, no padding, of): version (1), kind (1), severities (4),
// from (8), to (8), order (1), limit (2), step (8), q (2-byte length + the
// canonical text, RenderText), position (2-byte length + bytes), then the
// first 8 bytes of SHA-256 over everything before. The checksum makes any
// change to a cursor (a typo, a truncated copy, an edit) a 400 rather than
// another query. It is not a secret: whoever could forge a cursor could send
// the same query as parameters, and every store checks the positions it is
// given (a malformed one is kInvalidArgument).
// Pure functions, thread-safe.
#ifndef LOGSVC_API_CURSOR_H_
#define LOGSVC_API_CURSOR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/query.h"
#include "logsvc/status.h"

namespace logsvc::api {

// kTail: a live tail's resume point (an event's id): the position alone,
// with the default filter (the stream's filters are its parameters).
enum class CursorKind : uint8_t { kSearch = 1, kStats = 2, kTail = 3 };

struct CursorState {
  CursorKind kind = CursorKind::kSearch;
  Filter filter;
  Order order = Order::kDesc;  // search only
  size_t limit = 0;            // search only
  int64_t step_ms = 0;         // stats only
  std::string position;        // the store's, opaque here
};

std::string EncodeCursor(const CursorState& state);

// kInvalidArgument naming 'cursor' if `text` is not a cursor EncodeCursor
// made (of `kind`), whole and unchanged.
Result<CursorState> DecodeCursor(std::string_view text, CursorKind kind);

}  // namespace logsvc::api

#endif  // LOGSVC_API_CURSOR_H_
