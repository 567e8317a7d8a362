// Search requests: what GET /logs?... and GET /logs/stats?... ask for, parsed
// from the URL query string, and the filter every store applies the same way.
// Pure functions, no I/O, thread-safe; "now" is passed in. docs/search.md
// describes the parameters for users.
//
//   GET /logs?severity=error,warning&from=2026-12-01T00:00:00Z&to=now
//            &q=timeout%20-retry&limit=100&order=desc&cursor=...
//   GET /logs/stats?severity=...&from=...&to=...&q=...&step=1h
//
// Every error is kInvalidArgument with one sentence that names the parameter,
// says what is wrong and what is accepted (the API answers it with a 400).
#ifndef LOGSVC_CORE_QUERY_H_
#define LOGSVC_CORE_QUERY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text_query.h"
#include "core/time_bound.h"
#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc {

// A set of severities, one bit per Severity value: room for 32, so more
// severities (trace, debug, fatal) only need their enumerators, and a minimum
// (severity>=warning) is the set of those at or above it.
class SeveritySet {
 public:
  SeveritySet() = default;  // empty
  // Every severity there is (every value SeverityName and ParseSeverity know).
  static SeveritySet All();

  bool Contains(Severity s) const { return (bits_ >> static_cast<unsigned>(s)) & 1u; }
  void Add(Severity s) { bits_ |= 1u << static_cast<unsigned>(s); }
  bool empty() const { return bits_ == 0; }
  uint32_t bits() const { return bits_; }
  bool operator==(const SeveritySet&) const = default;

 private:
  uint32_t bits_ = 0;
};

// What an entry must satisfy; the same for a search and for stats.
struct Filter {
  SeveritySet severities = SeveritySet::All();
  int64_t from_ms = kTimeMinMs;  // inclusive, Unix ms
  int64_t to_ms = kTimeMaxMs;    // exclusive; from_ms <= to_ms
  TextQuery text;                // no terms: any message
  // attr.<key>=<value>: the entry has each of these keys with exactly this
  // value (bytes compared, case-sensitive). At most kMaxAttributeFilters.
  Attributes attributes;

  // True when no entry is left out but by time: every severity, any
  // message, no attribute filter. (Stores take shortcuts then; a new kind of
  // filter must make this false, or they would ignore it.)
  bool AnyEntry() const {
    return severities == SeveritySet::All() && text.empty() && attributes.empty();
  }
};

inline constexpr size_t kMaxAttributeFilters = 8;
inline constexpr size_t kMaxAttributeFilterBytes = 1024;  // keys and values, together

// The reference predicate: severity in the set, from_ms <= timestamp < to_ms,
// every attribute filter met, and the message matches the text (see Matches
// in text_query.h).
bool Matches(const Filter& filter, int64_t timestamp_ms, Severity severity,
             std::string_view message, const Attributes& attributes);

enum class Order : uint8_t { kDesc, kAsc };  // newest first (the default), oldest first

inline constexpr size_t kDefaultSearchLimit = 100;
inline constexpr size_t kMaxSearchLimit = 1000;
// A cursor as sent (base64url): room for a 1 KiB `q`, 1 KiB of attribute
// filters and 64 DynamoDB shards' positions.
inline constexpr size_t kMaxCursorBytes = 8192;

struct SearchRequest {
  Filter filter;  // default: every entry of all time
  size_t limit = kDefaultSearchLimit;
  Order order = Order::kDesc;
  std::string cursor;        // decoded, opaque (api/cursor.h checks it); empty: the first page
  bool limit_given = false;  // `limit` was a parameter (it may change a cursor's page size)
  // False for an empty query string: the caller serves GET /logs as before.
  bool any_parameter = false;
};

// Parses the query string of GET /logs (`raw_query`: after the '?', without
// it). Parameters, each at most once, names case-sensitive:
//   q         search text (text_query.h)
//   severity  comma-separated severity names, any letter case, white space
//             around each allowed: the entry's severity is one of them
//   severity> (sent as severity>=warning): the entry's severity is this one
//             or graver (SeverityRank); with `severity` too, both apply
//   attr.<key> (repeatable, at most kMaxAttributeFilters, their keys and
//             values at most kMaxAttributeFilterBytes together): the entry
//             has attribute <key> with exactly this value
//   from, to  time bounds (time_bound.h): from inclusive, to exclusive;
//             from after to is an error, from == to an empty range
//   limit     1..1000 (default 100)
//   order     desc or asc, any letter case (default desc)
//   cursor    opaque, 1..kMaxCursorBytes bytes once decoded; it carries the
//             query, so only `limit` may come with it (the page size)
// Any other name is an error naming it.
Result<SearchRequest> ParseSearchParams(std::string_view raw_query, int64_t now_ms);

inline constexpr int64_t kDefaultStatsRangeMs = 24 * 3'600'000;
inline constexpr int64_t kAutoStatsBuckets = 100;
inline constexpr int64_t kMaxStatsBuckets = 1000;

struct StatsRequest {
  // Default range: the last 24 hours (to: now; from: 24 h before to).
  Filter filter;
  int64_t step_ms = 0;  // bucket width, at least one second
  std::string cursor;   // as SearchRequest::cursor; it carries the whole request
  bool any_parameter = false;
};

// Parses the query string of GET /logs/stats: q, severity, severity>=, attr.*,
// from and to as for
// a search (but the range defaults to the last 24 hours), and
//   step   a bucket width (ParseStep: 1m, 1h, 1d, 30s, ...). Omitted: about
//          kAutoStatsBuckets buckets over the range, the step being the
//          smallest of 1s 2s 5s 10s 15s 30s 1m 2m 5m 10m 15m 30m 1h 2h 3h 6h
//          12h 1d,
//          or a whole number of days, that gives at most that many.
//   cursor the `next` of a previous stats reply, alone.
// More than kMaxStatsBuckets buckets is an error naming 'step'.
Result<StatsRequest> ParseStatsParams(std::string_view raw_query, int64_t now_ms);

struct TailRequest {
  Filter filter;       // every time: a tail follows what is stored from now on
  std::string cursor;  // an event's id (decoded, opaque: api/cursor.h checks it); "" for none
};

// Parses the query string of GET /logs/tail: q, severity, severity>=, attr.*
// as for a search, and
//   cursor  the id of an event the stream sent: go on after it (the same as
//           the Last-Event-ID header). Unlike a search's, it is only a place:
//           the filters are the parameters given with it.
// Any other name is an error naming it.
Result<TailRequest> ParseTailParams(std::string_view raw_query);

// The number of buckets of `step_ms` over [from_ms, to_ms): buckets are
// aligned to multiples of the step since the Unix epoch (a 1d step: UTC days),
// the first one holding from_ms; 0 for an empty range.
int64_t StatsBucketCount(int64_t from_ms, int64_t to_ms, int64_t step_ms);

}  // namespace logsvc

#endif  // LOGSVC_CORE_QUERY_H_
