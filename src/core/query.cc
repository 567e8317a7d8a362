#include "core/query.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "core/attributes.h"
#include "core/datetime.h"
#include "core/ingest_request.h"
#include "core/query_string.h"
#include "core/quoted.h"

namespace logsvc {
namespace {

enum Param {
  kQ,
  kSeverity,
  kMinSeverity,
  kFrom,
  kTo,
  kLimit,
  kOrder,
  kCursor,
  kStep,
  kAttr,
  kParamCount
};

struct ParamSpec {
  std::string_view name;   // as sent: `severity>=warning` is the parameter "severity>"
  std::string_view shown;  // in sentences
  bool search;             // GET /logs takes it
  bool stats;              // GET /logs/stats takes it
  bool tail;               // GET /logs/tail takes it
};

constexpr std::string_view kAttrPrefix = "attr.";

constexpr std::array<ParamSpec, kParamCount> kParams = {{
    {"q", "q", true, true, true},
    {"severity", "severity", true, true, true},
    {"severity>", "severity>=", true, true, true},
    {"from", "from", true, true, false},
    {"to", "to", true, true, false},
    {"limit", "limit", true, false, false},
    {"order", "order", true, false, false},
    {"cursor", "cursor", true, true, true},
    {"step", "step", false, true, false},
    {"attr.", "attr.<key>", true, true, true},  // repeatable; matched by prefix
}};

enum class Route { kSearch, kStats, kTail };

// The decoded values by Param; nullopt where not given.
struct Collected {
  std::array<std::optional<std::string>, kParamCount> values;
  Attributes attributes;  // the attr.<key> parameters, in the order given
  bool any = false;
};

bool Takes(Route route, const ParamSpec& spec) {
  return route == Route::kSearch ? spec.search : route == Route::kStats ? spec.stats : spec.tail;
}

std::string_view RouteName(Route route) {
  return route == Route::kSearch  ? "GET /logs"
         : route == Route::kStats ? "GET /logs/stats"
                                  : "GET /logs/tail";
}

// "a, b and c": the parameters `route` takes.
std::string ParamList(Route route) {
  std::vector<std::string_view> names;
  for (const ParamSpec& s : kParams) {
    if (Takes(route, s)) names.push_back(s.shown);
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

Status ParamError(Param p, std::string rest) {
  return Status::InvalidArgument("Parameter '" + std::string(kParams[p].shown) + "' " + rest);
}

// One attr.<key>=<value> parameter, checked and added to c->attributes.
Status CollectAttribute(QueryParam& qp, Collected* c) {
  std::string key = qp.name.substr(kAttrPrefix.size());
  if (std::string problem = AttributeKeyProblem(key); !problem.empty()) {
    return Status::InvalidArgument("Parameter " + Quoted(qp.name) + ": " + problem);
  }
  if (c->attributes.size() >= kMaxAttributeFilters) {
    return Status::InvalidArgument("More than " + std::to_string(kMaxAttributeFilters) +
                                   " attr.<key> parameters: give at most " +
                                   std::to_string(kMaxAttributeFilters) + ".");
  }
  size_t bytes = key.size() + qp.value.size();
  for (const Attribute& a : c->attributes) bytes += a.key.size() + a.value.size();
  if (bytes > kMaxAttributeFilterBytes) {
    return Status::InvalidArgument("The attr.<key> parameters have more than " +
                                   std::to_string(kMaxAttributeFilterBytes) +
                                   " bytes of keys and values together; give fewer or shorter.");
  }
  c->attributes.push_back(Attribute{std::move(key), std::move(qp.value)});
  return Status::Ok();
}

Result<Collected> Collect(std::string_view raw_query, Route route) {
  Result<std::vector<QueryParam>> params = ParseQueryString(raw_query);
  if (!params.ok()) return params.status();
  Collected c;
  for (QueryParam& qp : params.value()) {
    c.any = true;
    if (qp.name.starts_with(kAttrPrefix)) {
      if (Status s = CollectAttribute(qp, &c); !s.ok()) return s;
      continue;
    }
    size_t found = kParamCount;
    for (size_t i = 0; i < kParamCount; ++i) {
      if (kParams[i].name == qp.name && i != kAttr) found = i;
    }
    if (found == kParamCount || !Takes(route, kParams[found])) {
      return Status::InvalidArgument("Unknown parameter " + Quoted(qp.name) + ": " +
                                     std::string(RouteName(route)) + " takes " + ParamList(route) +
                                     ".");
    }
    if (c.values[found].has_value()) {
      return ParamError(static_cast<Param>(found),
                        "is given more than once: give it once (severity takes a "
                        "comma-separated list; attr.<key> may repeat).");
    }
    c.values[found] = std::move(qp.value);
  }
  return c;
}

// "trace, debug, info, warning, error, fatal": the severity names, least
// grave first.
std::string SeverityNames() {
  std::string out;
  for (Severity s : kSeveritiesByRank) {
    if (!out.empty()) out += ", ";
    out += SeverityName(s);
  }
  return out;
}

std::string_view TrimSpaces(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

Result<SeveritySet> ParseSeverities(std::string_view list) {
  SeveritySet set;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = std::min(list.find(',', pos), list.size());
    std::string_view name = TrimSpaces(list.substr(pos, comma - pos));
    pos = comma + 1;
    Severity s;
    if (name.empty()) {
      return ParamError(kSeverity, "has an empty entry: give one or more of " + SeverityNames() +
                                       ", comma-separated (any letter case).");
    }
    if (!ParseSeverity(name, &s)) {
      return ParamError(kSeverity, "has " + Quoted(name) + ", which is not a severity: give " +
                                       "one or more of " + SeverityNames() +
                                       ", comma-separated (any letter case).");
    }
    set.Add(s);
  }
  return set;
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (c != lower[i]) return false;
  }
  return true;
}

std::string ShowTime(int64_t ms) {
  return ms < kTimeMaxMs ? FormatIso8601Millis(ms) : std::to_string(ms);
}

// The parameters both routes take; the time range defaults by route.
Result<Filter> ParseFilter(const Collected& c, int64_t now_ms, Route route) {
  Filter f;
  if (const auto& q = c.values[kQ]) {
    Result<TextQuery> text = ParseText(*q);
    if (!text.ok()) return text.status();
    f.text = std::move(text).value();
  }
  if (const auto& sev = c.values[kSeverity]) {
    Result<SeveritySet> set = ParseSeverities(*sev);
    if (!set.ok()) return set.status();
    f.severities = set.value();
  }
  if (const auto& min = c.values[kMinSeverity]) {
    Severity floor;
    if (!ParseSeverity(TrimSpaces(*min), &floor)) {
      return ParamError(kMinSeverity,
                        "has " + Quoted(*min) + ", which is not a severity: give " + "one of " +
                            SeverityNames() +
                            " (any letter case): entries that grave or graver match.");
    }
    SeveritySet at_least;
    for (Severity s : kSeveritiesByRank) {
      if (SeverityRank(s) >= SeverityRank(floor) && f.severities.Contains(s)) at_least.Add(s);
    }
    // With `severity` too, both apply: an empty set is an empty result, not
    // an error, as an empty time range is.
    f.severities = at_least;
  }
  f.attributes = c.attributes;
  std::optional<int64_t> from, to;
  if (const auto& v = c.values[kFrom]) {
    Result<int64_t> t = ParseTimeBound("from", *v, now_ms);
    if (!t.ok()) return t.status();
    from = t.value();
  }
  if (const auto& v = c.values[kTo]) {
    Result<int64_t> t = ParseTimeBound("to", *v, now_ms);
    if (!t.ok()) return t.status();
    to = t.value();
  }
  if (route != Route::kStats) {
    f.from_ms = from.value_or(kTimeMinMs);
    f.to_ms = to.value_or(kTimeMaxMs);
  } else {  // stats: the last 24 hours, or the 24 hours before `to`
    f.to_ms = to.value_or(now_ms);
    f.from_ms = from.value_or(std::max(kTimeMinMs, f.to_ms - kDefaultStatsRangeMs));
  }
  if (f.from_ms > f.to_ms) {
    return ParamError(kFrom, "(" + ShowTime(f.from_ms) + ") is after 'to' (" +
                                 (to ? "" : "by default now, ") + ShowTime(f.to_ms) +
                                 "): 'from' is the first instant of the range, 'to' the end.");
  }
  return f;
}

Result<size_t> ParseLimit(std::string_view s) {
  size_t v = 0;
  bool ok = !s.empty() && s.size() <= 4;
  for (char ch : s) {
    ok = ok && ch >= '0' && ch <= '9';
    v = v * 10 + static_cast<size_t>(ch - '0');
  }
  if (!ok || v < 1 || v > kMaxSearchLimit) {
    return ParamError(kLimit, "is " + Quoted(s) + ": give a whole number from 1 to " +
                                  std::to_string(kMaxSearchLimit) + ".");
  }
  return v;
}

// The smallest round step that cuts the range into at most kAutoStatsBuckets.
int64_t AutoStep(int64_t from_ms, int64_t to_ms) {
  static constexpr int64_t kS = 1000, kM = 60 * kS, kH = 60 * kM, kD = 24 * kH;
  static constexpr int64_t kSteps[] = {1 * kS, 2 * kS, 5 * kS, 10 * kS, 15 * kS, 30 * kS,
                                       1 * kM, 2 * kM, 5 * kM, 10 * kM, 15 * kM, 30 * kM,
                                       1 * kH, 2 * kH, 3 * kH, 6 * kH,  12 * kH, 1 * kD};
  for (int64_t step : kSteps) {
    if (StatsBucketCount(from_ms, to_ms, step) <= kAutoStatsBuckets) return step;
  }
  // At least the range's length over kAutoStatsBuckets days, rounded up; more
  // when the range's ends do not fall on multiples of the step.
  int64_t days = (to_ms - from_ms - 1) / (kAutoStatsBuckets * kD) + 1;
  while (StatsBucketCount(from_ms, to_ms, days * kD) > kAutoStatsBuckets) ++days;
  return days * kD;
}

}  // namespace

SeveritySet SeveritySet::All() {
  // A value is a severity when its name parses back to it: no second list of
  // severities to keep in step with log_entry.h and the ingest validator.
  SeveritySet all;
  for (unsigned v = 0; v < 32; ++v) {
    Severity s = static_cast<Severity>(v), back;
    if (ParseSeverity(SeverityName(s), &back) && back == s) all.Add(s);
  }
  return all;
}

bool Matches(const Filter& filter, int64_t timestamp_ms, Severity severity,
             std::string_view message, const Attributes& attributes) {
  if (!filter.severities.Contains(severity) || timestamp_ms < filter.from_ms ||
      timestamp_ms >= filter.to_ms) {
    return false;
  }
  for (const Attribute& wanted : filter.attributes) {
    const std::string* value = FindAttribute(attributes, wanted.key);
    if (value == nullptr || *value != wanted.value) return false;
  }
  return Matches(filter.text, message);
}

int64_t StatsBucketCount(int64_t from_ms, int64_t to_ms, int64_t step_ms) {
  if (from_ms >= to_ms) return 0;
  return FloorDiv(to_ms - 1, step_ms) - FloorDiv(from_ms, step_ms) + 1;
}

// The cursor, checked to come alone: it carries the query, so a filter
// beside it would be ignored or contradict it (`limit` may change the page
// size of a search).
Result<std::string> CursorAlone(const Collected& c, Route route) {
  const std::string& cursor = *c.values[kCursor];
  if (!c.attributes.empty()) {
    return ParamError(kAttr,
                      "cannot be given with 'cursor': the cursor carries the query it "
                      "continues.");
  }
  if (cursor.empty() || cursor.size() > kMaxCursorBytes) {
    return ParamError(kCursor,
                      "is not a cursor this service gave out: pass the previous reply's 'next' "
                      "unchanged.");
  }
  for (size_t i = 0; i < kParamCount; ++i) {
    if (i == kCursor || !c.values[i] || (i == kLimit && route == Route::kSearch)) continue;
    return ParamError(static_cast<Param>(i),
                      "cannot be given with 'cursor': the cursor carries the query it continues" +
                          std::string(route == Route::kSearch ? " (only 'limit' may change)" : "") +
                          ".");
  }
  return cursor;
}

Result<SearchRequest> ParseSearchParams(std::string_view raw_query, int64_t now_ms) {
  Result<Collected> c = Collect(raw_query, Route::kSearch);
  if (!c.ok()) return c.status();
  const auto& v = c.value().values;
  SearchRequest req;
  req.any_parameter = c.value().any;
  Result<Filter> filter = ParseFilter(c.value(), now_ms, Route::kSearch);
  if (!filter.ok()) return filter.status();
  req.filter = std::move(filter).value();
  if (v[kLimit]) {
    Result<size_t> limit = ParseLimit(*v[kLimit]);
    if (!limit.ok()) return limit.status();
    req.limit = limit.value();
  }
  if (v[kOrder]) {
    if (EqualsIgnoreAsciiCase(*v[kOrder], "asc")) {
      req.order = Order::kAsc;
    } else if (!EqualsIgnoreAsciiCase(*v[kOrder], "desc")) {
      return ParamError(
          kOrder, "is " + Quoted(*v[kOrder]) + ": give desc (newest first, the default) or asc.");
    }
  }
  req.limit_given = v[kLimit].has_value();
  if (v[kCursor]) {
    Result<std::string> cursor = CursorAlone(c.value(), Route::kSearch);
    if (!cursor.ok()) return cursor.status();
    req.cursor = std::move(cursor).value();
  }
  return req;
}

Result<StatsRequest> ParseStatsParams(std::string_view raw_query, int64_t now_ms) {
  Result<Collected> c = Collect(raw_query, Route::kStats);
  if (!c.ok()) return c.status();
  StatsRequest req;
  req.any_parameter = c.value().any;
  if (c.value().values[kCursor]) {
    Result<std::string> cursor = CursorAlone(c.value(), Route::kStats);
    if (!cursor.ok()) return cursor.status();
    req.cursor = std::move(cursor).value();
    return req;
  }
  Result<Filter> filter = ParseFilter(c.value(), now_ms, Route::kStats);
  if (!filter.ok()) return filter.status();
  req.filter = std::move(filter).value();
  const Filter& f = req.filter;
  if (const auto& step = c.value().values[kStep]) {
    Result<int64_t> ms = ParseStep(*step);
    if (!ms.ok()) return ms.status();
    req.step_ms = ms.value();
    int64_t buckets = StatsBucketCount(f.from_ms, f.to_ms, req.step_ms);
    if (buckets > kMaxStatsBuckets) {
      return ParamError(kStep, "is " + Quoted(*step) + ", which makes " + std::to_string(buckets) +
                                   " buckets over the range; at most " +
                                   std::to_string(kMaxStatsBuckets) +
                                   ": give a larger step or a shorter range.");
    }
  } else {
    req.step_ms = AutoStep(f.from_ms, f.to_ms);
  }
  return req;
}

Result<TailRequest> ParseTailParams(std::string_view raw_query) {
  Result<Collected> c = Collect(raw_query, Route::kTail);
  if (!c.ok()) return c.status();
  TailRequest req;
  // No time parameters: the tail takes what is stored from now on (now_ms unused).
  Result<Filter> filter = ParseFilter(c.value(), 0, Route::kTail);
  if (!filter.ok()) return filter.status();
  req.filter = std::move(filter).value();
  if (const auto& cursor = c.value().values[kCursor]) {
    if (cursor->empty() || cursor->size() > kMaxCursorBytes) {
      return ParamError(kCursor,
                        "is not a resume point this service gave out: pass an event's id "
                        "unchanged.");
    }
    req.cursor = *cursor;
  }
  return req;
}

}  // namespace logsvc
