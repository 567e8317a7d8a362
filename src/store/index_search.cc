#include "store/index_search.h"

#include <roaring/roaring.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>

#include "core/datetime.h"
#include "store/entry_codec.h"

namespace logsvc::store::index {
namespace {

using Clock = std::chrono::steady_clock;

// Positions. Search: 'K' and the TimeKey the walk stopped at (exclusive in
// the walk's direction). Stats: 'S', the segment and the ordinal to go on at.
constexpr char kSearchTag = 'K';
constexpr char kStatsTag = 'S';

std::string StatsPosition(uint64_t segment, uint32_t ordinal) {
  std::string p(1, kStatsTag);
  for (int i = 7; i >= 0; --i) p.push_back(static_cast<char>((segment >> (8 * i)) & 0xff));
  for (int i = 3; i >= 0; --i) p.push_back(static_cast<char>((ordinal >> (8 * i)) & 0xff));
  return p;
}

bool ParseStatsPosition(std::string_view p, uint64_t* segment, uint32_t* ordinal) {
  if (p.size() != 13 || p[0] != kStatsTag) return false;
  *segment = 0;
  *ordinal = 0;
  for (char ch : p.substr(1, 8)) *segment = (*segment << 8) | static_cast<unsigned char>(ch);
  for (char ch : p.substr(9, 4)) *ordinal = (*ordinal << 8) | static_cast<unsigned char>(ch);
  return *ordinal < kSegmentSize;
}

Status BadPosition() {
  return Status::InvalidArgument(
      "Parameter 'cursor' does not hold a position of this store: pass the previous reply's "
      "'next' unchanged, to the server that gave it.");
}

Status ReadError(const rocksdb::Status& s) {
  return Status::Unavailable("the RocksDB store failed: " + s.ToString());
}

// An owned CRoaring bitmap (null: the empty set).
class Bitmap {
 public:
  Bitmap() = default;
  explicit Bitmap(roaring_bitmap_t* r) : r_(r) {}
  Bitmap(Bitmap&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  Bitmap& operator=(Bitmap&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  ~Bitmap() {
    if (r_) roaring_bitmap_free(r_);
  }
  bool empty() const { return !r_ || roaring_bitmap_is_empty(r_); }
  uint64_t size() const { return r_ ? roaring_bitmap_get_cardinality(r_) : 0; }
  const roaring_bitmap_t* get() const { return r_; }
  void And(const Bitmap& o) {
    if (!r_) return;
    if (!o.r_) {
      *this = Bitmap();
      return;
    }
    roaring_bitmap_and_inplace(r_, o.r_);
  }
  void Or(const Bitmap& o) {
    if (!o.r_) return;
    if (!r_) r_ = roaring_bitmap_create();
    roaring_bitmap_or_inplace(r_, o.r_);
  }
  void AndNot(const Bitmap& o) {
    if (r_ && o.r_) roaring_bitmap_andnot_inplace(r_, o.r_);
  }
  void RemoveBelow(uint32_t ordinal) {
    if (r_ && ordinal > 0) roaring_bitmap_remove_range(r_, 0, ordinal);
  }
  std::vector<uint32_t> ToVector() const {
    std::vector<uint32_t> out(size());
    if (r_) roaring_bitmap_to_uint32_array(r_, out.data());
    return out;
  }

 private:
  roaring_bitmap_t* r_ = nullptr;
};

constexpr int64_t kNoTime = INT64_MIN;

// Reads for one call: index records, times pages (cached for the call),
// entries; counts what the budget counts.
class Reader {
 public:
  explicit Reader(const SearchContext& ctx)
      : ctx_(ctx), start_(Clock::now()), deadline_(start_ + kTimeBudget) {}

  const SearchContext& context() const { return ctx_; }

  // Checked between entries: entries examined, time.
  bool OverBudget() const { return examined_ >= kExamineBudget || Clock::now() >= deadline_; }
  // Checked between segments: also the words prefixes expanded to (a
  // segment's sets are read whole, never cut short: a part of a set would
  // lose entries).
  bool OverSegmentBudget() const { return prefix_terms_ >= kPrefixTermBudget || OverBudget(); }
  void CountExamined() {
    if (examined_++ > 0) return;
    // A call spends at least as long examining entries as it took to reach
    // the first one (reading the sets of the segments that come first: a
    // prefix of many words can take most of kTimeBudget), so that a costly
    // start still leaves many entries a call, not one.
    deadline_ = std::max(deadline_, start_ + 2 * (Clock::now() - start_));
  }
  size_t examined() const { return examined_; }

  // The set of a term in `segment`.
  Result<Bitmap> Ordinals(char kind, std::string_view term, uint64_t segment) {
    if (const PendingSegment* p = Pending(segment)) return Bitmap(p->Ordinals(kind, term));
    std::string value;
    rocksdb::Status s = ctx_.db->Get(ctx_.read, ctx_.index, TermKey(kind, term, segment), &value);
    if (s.IsNotFound()) return Bitmap();
    if (!s.ok()) return ReadError(s);
    roaring_bitmap_t* r = DecodeOrdinals(value);
    if (!r) return Status::Internal("corrupt ordinal set in the search index");
    return Bitmap(r);
  }

  // The union of the sets of every word beginning with `prefix`, in `segment`.
  Result<Bitmap> PrefixOrdinals(std::string_view prefix, uint64_t segment) {
    if (const PendingSegment* p = Pending(segment)) {
      return Bitmap(p->PrefixOrdinals(prefix, &prefix_terms_));
    }
    const std::string start = TermKey(kWordKind, prefix, segment);
    std::unique_ptr<rocksdb::Iterator> it(ctx_.db->NewIterator(ctx_.read, ctx_.index));
    Bitmap out;
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      ++prefix_terms_;
      roaring_bitmap_t* r = DecodeOrdinals(it->value().ToStringView());
      if (!r) return Status::Internal("corrupt ordinal set in the search index");
      out.Or(Bitmap(r));
    }
    if (!it->status().ok()) return ReadError(it->status());
    return out;
  }

  // The entries of `segment` that may match `term`: exact for a word or a
  // prefix; for a phrase, those with all its words (the order is checked on
  // the message).
  Result<Bitmap> TermOrdinals(const TextTerm& term, uint64_t segment) {
    std::optional<Bitmap> acc;
    for (size_t i = 0; i < term.words.size(); ++i) {
      const bool prefix = term.prefix && i + 1 == term.words.size();
      Result<Bitmap> b = prefix ? PrefixOrdinals(term.words[i], segment)
                                : Ordinals(kWordKind, term.words[i], segment);
      if (!b.ok()) return b.status();
      if (!acc) {
        acc = std::move(b).value();
      } else {
        acc->And(b.value());
      }
      if (acc->empty()) break;
    }
    return acc ? std::move(*acc) : Bitmap();
  }

  Result<Bitmap> SeverityOrdinals(Severity s, uint64_t segment) {
    const char sev = static_cast<char>(s);
    return Ordinals(kSeverityKind, std::string_view(&sev, 1), segment);
  }

  // The candidates of `filter` in `segment`: a superset of its matches (the
  // time range is not applied). *exact: it is exactly the matches but for
  // time (no phrase term).
  Result<Bitmap> Candidates(const Filter& filter, uint64_t segment, bool* exact) {
    *exact = true;
    std::optional<Bitmap> acc;
    for (const Attribute& a : filter.attributes) {
      if (!AttributeTermIsWhole(a.key, a.value)) *exact = false;
      Result<Bitmap> b = Ordinals(kAttributeKind, AttributeTerm(a.key, a.value), segment);
      if (!b.ok()) return b.status();
      if (!acc) {
        acc = std::move(b).value();
      } else {
        acc->And(b.value());
      }
      if (acc->empty()) return Bitmap();
    }
    for (const TextTerm& t : filter.text.terms) {
      if (t.words.size() > 1) *exact = false;
      if (t.negated) continue;
      Result<Bitmap> b = TermOrdinals(t, segment);
      if (!b.ok()) return b.status();
      if (!acc) {
        acc = std::move(b).value();
      } else {
        acc->And(b.value());
      }
      if (acc->empty()) return Bitmap();
    }
    const bool all_severities = filter.severities == SeveritySet::All();
    if (!all_severities || !acc) {
      Bitmap sev;
      for (size_t s = 0; s < kSeverityCount; ++s) {
        if (!filter.severities.Contains(static_cast<Severity>(s))) continue;
        Result<Bitmap> b = SeverityOrdinals(static_cast<Severity>(s), segment);
        if (!b.ok()) return b.status();
        sev.Or(b.value());
      }
      if (!acc) {
        acc = std::move(sev);
      } else {
        acc->And(sev);
      }
    }
    for (const TextTerm& t : filter.text.terms) {
      if (!t.negated || t.words.size() > 1 || acc->empty()) continue;
      Result<Bitmap> b = TermOrdinals(t, segment);
      if (!b.ok()) return b.status();
      acc->AndNot(b.value());
    }
    return std::move(*acc);
  }

  // The timestamp of an ordinal of `segment`, or kNoTime.
  Result<int64_t> TimeOf(uint64_t segment, uint32_t ordinal) {
    const uint64_t id = (segment << 8) | (ordinal >> kPageBits);
    auto found = pages_.find(id);
    if (found == pages_.end()) {
      std::string value;
      rocksdb::Status s =
          ctx_.db->Get(ctx_.read, ctx_.index, TimesKey(segment, ordinal >> kPageBits), &value);
      std::vector<int64_t> page(kPageSize, kNoTime);
      if (s.ok()) {
        bool ok = DecodeTimes(value, &points_);
        for (const TimePoint& p : points_) {
          ok = ok && (p.ordinal >> kPageBits) == (ordinal >> kPageBits);  // of this page
          page[p.ordinal & (kPageSize - 1)] = p.timestamp_ms;
        }
        if (!ok) return Status::Internal("corrupt times page in the search index");
      } else if (!s.IsNotFound()) {
        return ReadError(s);
      }
      found = pages_.emplace(id, std::move(page)).first;
    }
    return found->second[ordinal & (kPageSize - 1)];
  }

  // The entry at `key`, or nullopt if there is none.
  Result<std::optional<LogEntry>> Entry(const TimeKey& key) {
    const std::string k = EncodeTimeKey(key);
    std::string value;
    rocksdb::Status s = ctx_.db->Get(ctx_.read, ctx_.entries, k, &value);
    if (s.IsNotFound()) return std::optional<LogEntry>();
    if (!s.ok()) return ReadError(s);
    Result<LogEntry> e = DecodeEntry(k, value);  // its id: Collector::Page
    if (!e.ok()) return e.status();
    return std::optional<LogEntry>(std::move(e).value());
  }

 private:
  const PendingSegment* Pending(uint64_t segment) const {
    auto it = ctx_.pending.find(segment);
    return it == ctx_.pending.end() ? nullptr : it->second.get();
  }

  const SearchContext& ctx_;
  const Clock::time_point start_;
  Clock::time_point deadline_;
  size_t examined_ = 0;
  size_t prefix_terms_ = 0;
  std::unordered_map<uint64_t, std::vector<int64_t>> pages_;
  std::vector<TimePoint> points_;
};

// The keys a walk may visit: lo <= key < hi.
struct Range {
  TimeKey lo;
  TimeKey hi;
  bool Contains(const TimeKey& k) const { return !(k < lo) && (k < hi); }
};

TimeKey After(const TimeKey& k) {
  return k.seq == UINT64_MAX ? TimeKey{k.timestamp_ms + 1, 0} : TimeKey{k.timestamp_ms, k.seq + 1};
}

TimeKey Before(const TimeKey& k) {
  return k.seq == 0 ? TimeKey{k.timestamp_ms - 1, UINT64_MAX} : TimeKey{k.timestamp_ms, k.seq - 1};
}

bool IsPlainScan(const Filter& f) {
  return !f.text.HasPositiveTerm() && f.attributes.empty() && f.severities == SeveritySet::All();
}

// Pages through `walk(visit)`, which calls visit(key, entry-or-null) in the
// walk's order until visit returns false or the range is exhausted.
struct Collector {
  Collector(const StoreQuery& q, Reader& r) : query(q), reader(r) {}

  const StoreQuery& query;
  Reader& reader;
  std::vector<LogEntry> found;
  std::vector<TimeKey> found_keys;  // found[i]'s, for its id
  TimeKey last_examined{};
  TimeKey last_found{};
  bool budget_hit = false;
  bool more = false;  // a match beyond `limit` exists

  // false: stop walking.
  bool Visit(const TimeKey& key, std::optional<LogEntry> entry) {
    reader.CountExamined();
    if (entry && Matches(query.filter, entry->timestamp_ms, entry->severity, entry->message,
                         entry->attributes)) {
      if (found.size() == query.limit) {
        more = true;  // the next page starts with this one
        return false;
      }
      found.push_back(std::move(*entry));
      found_keys.push_back(key);
      last_found = key;
    }
    last_examined = key;
    if (reader.OverBudget()) {
      budget_hit = true;
      return false;
    }
    return true;
  }

  // The page, its entries given their ids (all at once: IdCodec::EncodeMany).
  Result<SearchPage> Page() {
    if (Status s = FillIds(*reader.context().ids, found_keys, found); !s.ok()) return s;
    SearchPage page;
    page.examined = reader.examined();
    if (more) {
      page.next = SearchPosition(last_found);
    } else if (budget_hit) {
      page.next = SearchPosition(last_examined);
    }
    page.entries = std::make_shared<const std::vector<LogEntry>>(std::move(found));
    return page;
  }
};

Status ScanEntries(const SearchContext& ctx, const Range& range, bool desc, Collector& c) {
  // Bounded to the range: RocksDB skips the table files (and blocks) outside
  // it, and a newest-first walk starts at the last key below `hi` at once.
  const std::string lo = EncodeTimeKey(range.lo), hi = EncodeTimeKey(range.hi);
  const rocksdb::Slice lo_bound(lo), hi_bound(hi);
  rocksdb::ReadOptions read = ctx.read;
  read.iterate_lower_bound = &lo_bound;
  read.iterate_upper_bound = &hi_bound;
  std::unique_ptr<rocksdb::Iterator> it(ctx.db->NewIterator(read, ctx.entries));
  if (desc) {
    it->SeekToLast();
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid(); desc ? it->Prev() : it->Next()) {
    TimeKey key;
    if (!DecodeTimeKey(it->key().ToStringView(), &key)) {
      return Status::Internal("corrupt entry key in the RocksDB store");
    }
    if (!range.Contains(key)) break;
    Result<LogEntry> e = DecodeEntry(it->key().ToStringView(), it->value().ToStringView());
    if (!e.ok()) return e.status();
    if (!c.Visit(key, std::move(e).value())) return Status::Ok();
  }
  if (!it->status().ok()) return ReadError(it->status());
  return Status::Ok();
}

// One segment's candidates in the walk's order, within the range.
struct Source {
  std::vector<TimeKey> keys;
  size_t next = 0;
};

Result<Source> SegmentSource(Reader& reader, const Filter& filter, uint64_t segment,
                             const Range& range, bool desc) {
  bool exact;
  Result<Bitmap> cand = reader.Candidates(filter, segment, &exact);
  if (!cand.ok()) return cand.status();
  Source src;
  for (uint32_t ordinal : cand.value().ToVector()) {
    Result<int64_t> ts = reader.TimeOf(segment, ordinal);
    if (!ts.ok()) return ts.status();
    if (ts.value() == kNoTime) continue;
    const TimeKey key{ts.value(), SeqOf(segment, ordinal)};
    if (range.Contains(key)) src.keys.push_back(key);
  }
  std::sort(src.keys.begin(), src.keys.end(),
            [desc](const TimeKey& a, const TimeKey& b) { return desc ? (b < a) : (a < b); });
  return src;
}

Status WalkIndex(const SearchContext& ctx, const Range& range, bool desc, Reader& reader,
                 Collector& c) {
  const Filter& f = c.query.filter;
  std::vector<std::pair<uint64_t, SegmentSummary>> segs;
  for (const auto& [id, s] : ctx.segments) {
    if (s.total() == 0 || s.max_ms < range.lo.timestamp_ms || s.min_ms > range.hi.timestamp_ms) {
      continue;
    }
    bool any = false;
    for (size_t v = 0; v < kSeverityCount; ++v) {
      any |= s.count[v] > 0 && f.severities.Contains(static_cast<Severity>(v));
    }
    if (any) segs.push_back({id, s});
  }
  // Segments in the order their newest (oldest) entry comes in the walk: a
  // segment joins the merge once the walk reaches its time range.
  std::sort(segs.begin(), segs.end(), [desc](const auto& a, const auto& b) {
    return desc ? a.second.max_ms > b.second.max_ms : a.second.min_ms < b.second.min_ms;
  });
  std::vector<Source> sources;
  sources.reserve(segs.size());
  const auto head_after = [&](size_t a, size_t b) {  // heap order: b's head comes first
    const TimeKey& ka = sources[a].keys[sources[a].next];
    const TimeKey& kb = sources[b].keys[sources[b].next];
    return desc ? (ka < kb) : (kb < ka);
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(head_after)> heap(head_after);
  size_t next_seg = 0;
  for (;;) {
    while (next_seg < segs.size()) {
      if (!heap.empty()) {
        const TimeKey& top = sources[heap.top()].keys[sources[heap.top()].next];
        const SegmentSummary& s = segs[next_seg].second;
        if (desc ? s.max_ms < top.timestamp_ms : s.min_ms > top.timestamp_ms) break;
      }
      // Stop before another segment, but only once this call has examined
      // an entry (so that following `next` always ends): then the position
      // is the last key examined, and every key after it in the walk, in the
      // segments loaded or not, is still to come.
      if (reader.examined() > 0 && reader.OverSegmentBudget()) {
        c.budget_hit = true;
        return Status::Ok();
      }
      Result<Source> src = SegmentSource(reader, f, segs[next_seg].first, range, desc);
      if (!src.ok()) return src.status();
      ++next_seg;
      if (!src.value().keys.empty()) {
        sources.push_back(std::move(src).value());
        heap.push(sources.size() - 1);
      }
    }
    if (heap.empty()) return Status::Ok();
    const size_t i = heap.top();
    heap.pop();
    const TimeKey key = sources[i].keys[sources[i].next++];
    if (sources[i].next < sources[i].keys.size()) heap.push(i);
    Result<std::optional<LogEntry>> e = reader.Entry(key);
    if (!e.ok()) return e.status();
    if (!c.Visit(key, std::move(e).value())) return Status::Ok();
  }
}

}  // namespace

std::string SearchPosition(const TimeKey& key) { return kSearchTag + EncodeTimeKey(key); }

Result<SearchPage> RunSearch(const SearchContext& ctx, const StoreQuery& q) {
  const bool desc = q.order == Order::kDesc;
  Range range{{q.filter.from_ms, 0}, {q.filter.to_ms, 0}};
  if (!q.position.empty()) {
    TimeKey p;
    if (q.position.size() != 17 || q.position[0] != kSearchTag ||
        !DecodeTimeKey(std::string_view(q.position).substr(1), &p)) {
      return BadPosition();
    }
    if (desc) {
      if (p < range.hi) range.hi = p;
    } else if (range.lo < After(p)) {
      range.lo = After(p);
    }
  }
  Reader reader(ctx);
  Collector c(q, reader);
  // Until something is examined, a stop continues from where this call began.
  c.last_examined = desc ? range.hi : Before(range.lo);
  if (range.lo < range.hi) {
    Status s = IsPlainScan(q.filter) ? ScanEntries(ctx, range, desc, c)
                                     : WalkIndex(ctx, range, desc, reader, c);
    if (!s.ok()) return s;
  }
  return c.Page();
}

Result<StatsPage> RunStats(const SearchContext& ctx, const StatsQuery& q) {
  const Filter& f = q.filter;
  const int64_t step = q.step_ms;
  const int64_t first_bucket = FloorDiv(f.from_ms, step);
  StatsPage page;
  page.counts.assign(static_cast<size_t>(StatsBucketCount(f.from_ms, f.to_ms, step)), {});
  if (page.counts.empty()) return page;
  uint64_t start_segment = 0;
  uint32_t start_ordinal = 0;
  if (!q.position.empty() && !ParseStatsPosition(q.position, &start_segment, &start_ordinal)) {
    return BadPosition();
  }
  auto bucket_of = [&](int64_t ts) {
    return static_cast<size_t>(FloorDiv(ts, step) - first_bucket);
  };
  Reader reader(ctx);
  // The budget stops a call only once it has counted something (a segment,
  // or an entry of one), so that following `next` always ends.
  bool progressed = false;
  for (const auto& [segment, s] : ctx.segments) {  // ascending segment ids
    if (segment < start_segment || s.total() == 0 || s.max_ms < f.from_ms || s.min_ms >= f.to_ms) {
      continue;
    }
    const uint32_t from_ordinal = segment == start_segment ? start_ordinal : 0;
    if (progressed && reader.OverSegmentBudget()) {
      page.next = StatsPosition(segment, from_ordinal);
      return page;
    }
    progressed = true;
    const bool whole = s.min_ms >= f.from_ms && s.max_ms < f.to_ms &&
                       FloorDiv(s.min_ms, step) == FloorDiv(s.max_ms, step) && from_ordinal == 0;
    if (whole && f.text.empty() && f.attributes.empty()) {  // the summary has the answer
      for (size_t v = 0; v < kSeverityCount; ++v) {
        if (f.severities.Contains(static_cast<Severity>(v))) {
          page.counts[bucket_of(s.min_ms)][v] += s.count[v];
        }
      }
      continue;
    }
    bool exact;
    Result<Bitmap> cand = reader.Candidates(f, segment, &exact);
    if (!cand.ok()) return cand.status();
    cand.value().RemoveBelow(from_ordinal);
    if (cand.value().empty()) continue;
    if (exact) {
      for (size_t v = 0; v < kSeverityCount; ++v) {
        if (!f.severities.Contains(static_cast<Severity>(v))) continue;
        Result<Bitmap> sev = reader.SeverityOrdinals(static_cast<Severity>(v), segment);
        if (!sev.ok()) return sev.status();
        Bitmap& b = sev.value();
        b.And(cand.value());
        if (whole) {
          page.counts[bucket_of(s.min_ms)][v] += static_cast<int64_t>(b.size());
          continue;
        }
        for (uint32_t ordinal : b.ToVector()) {
          Result<int64_t> ts = reader.TimeOf(segment, ordinal);
          if (!ts.ok()) return ts.status();
          if (ts.value() == kNoTime || ts.value() < f.from_ms || ts.value() >= f.to_ms) continue;
          ++page.counts[bucket_of(ts.value())][v];
        }
      }
      continue;
    }
    bool first = true;
    for (uint32_t ordinal : cand.value().ToVector()) {  // phrases: read the messages
      if (!first && reader.OverBudget()) {
        page.next = StatsPosition(segment, ordinal);
        return page;
      }
      first = false;
      Result<int64_t> ts = reader.TimeOf(segment, ordinal);
      if (!ts.ok()) return ts.status();
      if (ts.value() == kNoTime || ts.value() < f.from_ms || ts.value() >= f.to_ms) continue;
      reader.CountExamined();
      Result<std::optional<LogEntry>> e = reader.Entry({ts.value(), SeqOf(segment, ordinal)});
      if (!e.ok()) return e.status();
      const auto& entry = e.value();
      if (entry &&
          Matches(f, entry->timestamp_ms, entry->severity, entry->message, entry->attributes)) {
        ++page.counts[bucket_of(entry->timestamp_ms)][static_cast<size_t>(entry->severity)];
      }
    }
  }
  return page;
}

}  // namespace logsvc::store::index
