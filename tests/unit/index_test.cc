// Unit tests of the RocksDB store's search index (src/store/index_*.h): its
// record formats, its merge operator, and Search and Stats through the
// store's public API, checked against a brute-force filter of every stored
// entry with core's Matches (the reference predicate).
#include <gtest/gtest.h>
#include <roaring/roaring.h>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "core/datetime.h"
#include "core/query.h"
#include "core/words.h"
#include "faulty_fs.h"
#include "store/index_format.h"
#include "store/index_merge.h"
#include "store/index_search.h"
#include "store/pending_segment.h"
#include "store/rocksdb_store.h"
#include "store/term_sets.h"
#include "store_sync.h"
#include "temp_dir.h"

namespace logsvc::store {
namespace {

using testing::AppendBatchSync;
using testing::AppendOk;
using testing::MakeEntry;
using testing::OpenOrDie;
using testing::SearchSync;
using testing::StatsSync;
using testing::TempDir;
namespace ix = index;

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kHour = 3'600'000;
// 2026-01-01T00:00:00Z: a UTC day, and a multiple of 30 days since the epoch
// plus 20 days, so a few days from here share one 30-day bucket.
constexpr int64_t kDay0 = 1'767'225'600'000;

// ---- formats ------------------------------------------------------------------

TEST(IndexFormat, TermKeysSortBySegmentThenTerm) {
  const std::string sev(1, '\0');  // Severity::kInfo: a term that is a 0x00 byte
  for (auto [kind, term] : {std::pair<char, std::string>{ix::kWordKind, "timeout"},
                            {ix::kWordKind, "école"},
                            {ix::kWordKind, "日本語"},
                            {ix::kWordKind, std::string(words::kMaxWordBytes, 'x')},
                            {ix::kSeverityKind, sev},
                            {ix::kSeverityKind, "\x02"}}) {
    for (uint64_t segment : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 24, ~uint64_t{0} >> 16}) {
      const std::string key = ix::TermKey(kind, term, segment);
      EXPECT_EQ(key, ix::SegmentTermsBegin(segment) + kind + term);
      // Within its segment's range, after its seal key.
      EXPECT_TRUE(key.starts_with(ix::SegmentTermsBegin(segment)));
      EXPECT_LT(ix::SealKey(segment), key);
      EXPECT_LT(key, ix::SegmentTermsBegin(segment + 1));
    }
  }
  // A segment's keys are contiguous, in term order.
  EXPECT_LT(ix::TermKey('w', "zzz", 1), ix::TermKey('w', "aaa", 2));
  EXPECT_LT(ix::TermKey('w', "zzz", 255), ix::TermKey('s', "\x00", 256));
  EXPECT_LT(ix::TermKey('w', "time", 7), ix::TermKey('w', "time0", 7));
  EXPECT_LT(ix::TermKey('s', "\x02", 7), ix::TermKey('w', "a", 7));
}

TEST(IndexFormat, PrefixKeysCoverTheirWordsOnly) {
  const std::string prefix = ix::TermKey('w', "time", 7);
  EXPECT_TRUE(ix::TermKey('w', "timeout", 7).starts_with(prefix));
  EXPECT_TRUE(ix::TermKey('w', "time", 7).starts_with(prefix));
  EXPECT_FALSE(ix::TermKey('w', "tim", 7).starts_with(prefix));
  EXPECT_FALSE(ix::TermKey('s', "time", 7).starts_with(prefix));
  EXPECT_FALSE(ix::TermKey('w', "timeout", 8).starts_with(prefix));
  // A prefix of whole code points is a byte prefix of the folded word.
  EXPECT_TRUE(ix::TermKey('w', "übermut", 0).starts_with(ix::TermKey('w', "über", 0)));
}

TEST(IndexFormat, TermKeysAreApartFromSummariesAndTimes) {
  EXPECT_LT(ix::SegmentKey(~uint64_t{0} >> 16), ix::SealKey(0));
  EXPECT_LT(ix::TimesKey(~uint64_t{0} >> 16, 15), ix::SealKey(0));
  EXPECT_EQ(ix::SealKey(3), ix::SegmentTermsBegin(3) + "!");
}

TEST(IndexFormat, SegmentAndTimesKeys) {
  uint64_t seg = 0;
  for (uint64_t s : {uint64_t{0}, uint64_t{255}, uint64_t{1} << 24, ~uint64_t{0} >> 16}) {
    ASSERT_TRUE(ix::ParseSegmentKey(ix::SegmentKey(s), &seg));
    EXPECT_EQ(seg, s);
  }
  EXPECT_FALSE(ix::ParseSegmentKey(ix::SegmentKey(1) + "x", &seg));
  EXPECT_FALSE(ix::ParseSegmentKey(ix::TimesKey(1, 0).substr(0, 9), &seg));
  EXPECT_LT(ix::SegmentKey(255), ix::SegmentKey(256));
  EXPECT_LT(ix::TimesKey(1, 15), ix::TimesKey(2, 0));
  EXPECT_NE(ix::TimesKey(1, 0), ix::TimesKey(1, 1));
  // Sequence numbers to segments and ordinals, and back.
  const uint64_t seq = (uint64_t{5} << 40) | 0x1'2345;
  EXPECT_EQ(ix::SegmentOf(seq), (uint64_t{5} << 24) | 1);
  EXPECT_EQ(ix::OrdinalOf(seq), 0x2345u);
  EXPECT_EQ(ix::SeqOf(ix::SegmentOf(seq), ix::OrdinalOf(seq)), seq);
}

TEST(IndexFormat, TimesPagesRoundTrip) {
  const std::vector<std::vector<ix::TimePoint>> pages = {
      {},
      {{0, 0}},
      {{4095, -1}},
      {{0, kDay0}, {1, kDay0}, {2, kDay0 - 1}, {3, kDay0 + 5 * kDay}, {4000, 0}},
      {{65535, kDay0}},
      {{1, kTimeMinMs}, {2, kTimeMaxMs}, {3, kTimeMinMs}},
  };
  for (const auto& page : pages) {
    std::vector<ix::TimePoint> back = {{9, 9}};
    ASSERT_TRUE(ix::DecodeTimes(ix::EncodeTimes(page), &back));
    ASSERT_EQ(back.size(), page.size());
    for (size_t i = 0; i < page.size(); ++i) {
      EXPECT_EQ(back[i].ordinal, page[i].ordinal);
      EXPECT_EQ(back[i].timestamp_ms, page[i].timestamp_ms);
    }
  }
}

TEST(IndexFormat, CorruptTimesPagesAreRejected) {
  std::vector<ix::TimePoint> out;
  const std::string good = ix::EncodeTimes({{1, kDay0}, {2, kDay0 + 1}});
  ASSERT_TRUE(ix::DecodeTimes(good, &out));
  EXPECT_FALSE(ix::DecodeTimes("", &out));
  for (size_t n = 1; n < good.size(); ++n) {
    EXPECT_FALSE(ix::DecodeTimes(good.substr(0, n), &out)) << "truncated to " << n;
  }
  EXPECT_FALSE(ix::DecodeTimes(good + '\0', &out)) << "bytes after the last point";
  // Hand-made pages: count, then (ordinal delta, zig-zag time delta) varints.
  EXPECT_FALSE(ix::DecodeTimes(std::string("\x02\x01\x02\x00\x02", 5), &out)) << "a repeat";
  EXPECT_FALSE(ix::DecodeTimes(std::string("\x01\x80\x80\x04\x00", 5), &out)) << "ordinal 2^16";
  EXPECT_FALSE(ix::DecodeTimes(std::string("\x81\x80\x04", 3), &out)) << "2^16+1 points";
  // An ordinal delta that would wrap around to a smaller ordinal.
  std::string wrap("\x02\x05\x00", 3);
  wrap += std::string(9, '\xff') + '\x01';  // 2^64 - 1
  wrap += '\x00';
  EXPECT_FALSE(ix::DecodeTimes(wrap, &out));
  // Time deltas that overflow 64 bits, and a varint longer than 10 bytes.
  std::string far("\x02\x01", 2);
  far += std::string(9, '\xfe') + '\x01';
  far += '\x01';
  far += std::string(9, '\xfe') + '\x01';
  EXPECT_FALSE(ix::DecodeTimes(far, &out));
  EXPECT_FALSE(
      ix::DecodeTimes(std::string("\x01\x01", 2) + std::string(11, '\x80') + '\x01', &out));
}

TEST(IndexFormat, SummariesRoundTripAndAdd) {
  ix::SegmentSummary a;
  EXPECT_EQ(a.total(), 0);
  a.min_ms = kDay0;
  a.max_ms = kDay0 + 10;
  a.count = {3, 0, 1};
  ix::SegmentSummary b;
  b.min_ms = kDay0 - 5;
  b.max_ms = kDay0 + 2;
  b.count = {1, 2, 0};
  ix::SegmentSummary back;
  ASSERT_TRUE(ix::DecodeSummary(ix::EncodeSummary(a), &back));
  EXPECT_EQ(back.min_ms, a.min_ms);
  EXPECT_EQ(back.max_ms, a.max_ms);
  EXPECT_EQ(back.count, a.count);
  a.Add(b);
  EXPECT_EQ(a.min_ms, kDay0 - 5);
  EXPECT_EQ(a.max_ms, kDay0 + 10);
  EXPECT_EQ(a.count, (std::array<int64_t, kSeverityCount>{4, 2, 1}));
  EXPECT_EQ(a.total(), 7);
  ix::SegmentSummary empty;
  ASSERT_TRUE(ix::DecodeSummary(ix::EncodeSummary(empty), &back));
  a.Add(back);
  EXPECT_EQ(a.min_ms, kDay0 - 5) << "an empty summary widens nothing";
  const std::string good = ix::EncodeSummary(a);
  EXPECT_FALSE(ix::DecodeSummary(good.substr(1), &back));
  EXPECT_FALSE(ix::DecodeSummary(good + "x", &back));
  EXPECT_FALSE(ix::DecodeSummary("", &back));
}

std::vector<uint32_t> DecodeToVector(std::string_view bytes, bool* ok) {
  roaring_bitmap_t* r = ix::DecodeOrdinals(bytes);
  *ok = r != nullptr;
  if (!r) return {};
  std::vector<uint32_t> out(roaring_bitmap_get_cardinality(r));
  roaring_bitmap_to_uint32_array(r, out.data());
  roaring_bitmap_free(r);
  return out;
}

TEST(IndexFormat, OrdinalSetsRoundTrip) {
  std::vector<uint32_t> run(5000);
  for (uint32_t i = 0; i < run.size(); ++i) run[i] = 1000 + i;
  std::vector<uint32_t> sparse;
  for (uint32_t i = 0; i < ix::kSegmentSize; i += 97) sparse.push_back(i);
  for (const auto& set : {std::vector<uint32_t>{}, std::vector<uint32_t>{0},
                          std::vector<uint32_t>{ix::kSegmentSize - 1}, run, sparse}) {
    bool ok;
    EXPECT_EQ(DecodeToVector(ix::EncodeOrdinals(set), &ok), set);
    EXPECT_TRUE(ok);
  }
}

TEST(IndexFormat, CorruptOrdinalSetsAreRejected) {
  bool ok;
  const std::string good = ix::EncodeOrdinals({1, 2, 3, 700, 4000});
  DecodeToVector(good, &ok);
  ASSERT_TRUE(ok);
  for (size_t n = 0; n < good.size(); ++n) {
    DecodeToVector(good.substr(0, n), &ok);
    EXPECT_FALSE(ok) << "truncated to " << n;
  }
  DecodeToVector(good + "xy", &ok);
  EXPECT_FALSE(ok) << "bytes after the set";
  DecodeToVector("not a roaring bitmap at all", &ok);
  EXPECT_FALSE(ok);
  // A valid bitmap, but with a value no ordinal has.
  roaring_bitmap_t* big = roaring_bitmap_of(2, 5u, ix::kSegmentSize);
  std::string bytes(roaring_bitmap_portable_size_in_bytes(big), '\0');
  roaring_bitmap_portable_serialize(big, bytes.data());
  roaring_bitmap_free(big);
  DecodeToVector(bytes, &ok);
  EXPECT_FALSE(ok) << "an ordinal of 2^16";
}

// ---- merge operator -----------------------------------------------------------

std::optional<std::string> FullMerge(const std::string& key, const std::string* existing,
                                     const std::vector<std::string>& operands) {
  ix::IndexMergeOperator op;
  std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  rocksdb::Slice existing_slice = existing ? rocksdb::Slice(*existing) : rocksdb::Slice();
  rocksdb::Slice k(key);
  rocksdb::MergeOperator::MergeOperationInput in(k, existing ? &existing_slice : nullptr, slices,
                                                 nullptr);
  std::string value;
  rocksdb::Slice existing_operand(nullptr, 0);  // set if the result is one of the inputs
  rocksdb::MergeOperator::MergeOperationOutput out(value, existing_operand);
  if (!op.FullMergeV2(in, &out)) return std::nullopt;
  return existing_operand.data() ? existing_operand.ToString() : value;
}

std::optional<std::string> PartialMerge(const std::string& key,
                                        const std::vector<std::string>& operands) {
  ix::IndexMergeOperator op;
  std::deque<rocksdb::Slice> slices(operands.begin(), operands.end());
  std::string value;
  if (!op.PartialMergeMulti(key, slices, &value, nullptr)) return std::nullopt;
  return value;
}

TEST(IndexMerge, OrdinalSetsMergeToTheirUnion) {
  const std::string key = ix::TermKey('w', "timeout", 4);
  const std::string existing = ix::EncodeOrdinals({0, 5, 9});
  auto merged = FullMerge(
      key, &existing,
      {ix::EncodeOrdinals({5, 6}), ix::EncodeOrdinals({}), ix::EncodeOrdinals({65535, 1, 2})});
  ASSERT_TRUE(merged);
  bool ok;
  EXPECT_EQ(DecodeToVector(*merged, &ok), (std::vector<uint32_t>{0, 1, 2, 5, 6, 9, 65535}));
  EXPECT_TRUE(ok);
  auto severity = FullMerge(ix::TermKey('s', std::string(1, '\2'), 4), nullptr,
                            {ix::EncodeOrdinals({3}), ix::EncodeOrdinals({1})});
  ASSERT_TRUE(severity);
  EXPECT_EQ(DecodeToVector(*severity, &ok), (std::vector<uint32_t>{1, 3}));
}

std::vector<std::pair<uint32_t, int64_t>> TimesOf(const std::string& bytes) {
  std::vector<ix::TimePoint> points;
  EXPECT_TRUE(ix::DecodeTimes(bytes, &points));
  std::vector<std::pair<uint32_t, int64_t>> out;
  for (const auto& p : points) out.emplace_back(p.ordinal, p.timestamp_ms);
  return out;
}

TEST(IndexMerge, TimesPagesMergeToTheirUnionByOrdinal) {
  const std::string key = ix::TimesKey(4, 1);
  auto merged = FullMerge(key, nullptr,
                          {ix::EncodeTimes({{4100, kDay0}, {4200, kDay0 - 7}}),
                           ix::EncodeTimes({{4096, kDay0 + 3}, {4150, kDay0}}),
                           ix::EncodeTimes({{4100, 1}})});  // a repeat: the first one stays
  ASSERT_TRUE(merged);
  EXPECT_EQ(TimesOf(*merged),
            (std::vector<std::pair<uint32_t, int64_t>>{
                {4096, kDay0 + 3}, {4100, kDay0}, {4150, kDay0}, {4200, kDay0 - 7}}));
}

TEST(IndexMerge, SummariesAddCountsAndWidenTheRange) {
  ix::SegmentSummary a, b, c;
  a.min_ms = 10, a.max_ms = 20, a.count = {1, 2, 3};
  b.min_ms = 5, b.max_ms = 15, b.count = {0, 0, 1};
  c.min_ms = 30, c.max_ms = 30, c.count = {1, 0, 0};
  const std::string existing = ix::EncodeSummary(a);
  auto merged =
      FullMerge(ix::SegmentKey(9), &existing, {ix::EncodeSummary(b), ix::EncodeSummary(c)});
  ASSERT_TRUE(merged);
  ix::SegmentSummary s;
  ASSERT_TRUE(ix::DecodeSummary(*merged, &s));
  EXPECT_EQ(s.min_ms, 5);
  EXPECT_EQ(s.max_ms, 30);
  EXPECT_EQ(s.count, (std::array<int64_t, kSeverityCount>{2, 2, 4}));
}

// RocksDB may combine any run of adjacent operands first (PartialMergeMulti),
// then the rest on top of the value (FullMergeV2): every grouping must give
// what one merge of everything gives.
TEST(IndexMerge, PartialThenFullMergeEqualsOneMerge) {
  std::mt19937_64 rng(7);
  auto ordinals = [&] {
    std::set<uint32_t> s;
    for (int i = 0, n = static_cast<int>(rng() % 40); i < n; ++i) {
      s.insert(static_cast<uint32_t>(rng() % ix::kSegmentSize));
    }
    return ix::EncodeOrdinals({s.begin(), s.end()});
  };
  auto times = [&] {
    std::map<uint32_t, int64_t> m;
    for (int i = 0, n = static_cast<int>(rng() % 40); i < n; ++i) {
      m.emplace(static_cast<uint32_t>(8192 + rng() % ix::kPageSize),
                kDay0 + static_cast<int64_t>(rng() % 1000));
    }
    std::vector<ix::TimePoint> v;
    for (auto [o, t] : m) v.push_back({o, t});
    return ix::EncodeTimes(v);
  };
  auto summary = [&] {
    ix::SegmentSummary s;
    s.min_ms = kDay0 + static_cast<int64_t>(rng() % 1000);
    s.max_ms = s.min_ms + static_cast<int64_t>(rng() % 1000);
    for (auto& c : s.count) c = static_cast<int64_t>(rng() % 100);
    return ix::EncodeSummary(s);
  };
  struct Kind {
    std::string key;
    std::function<std::string()> make;
  };
  for (const Kind& kind : {Kind{ix::TermKey('w', "x", 1), ordinals},
                           Kind{ix::TimesKey(1, 2), times}, Kind{ix::SegmentKey(1), summary}}) {
    for (int round = 0; round < 20; ++round) {
      std::vector<std::string> ops(2 + rng() % 6);
      for (auto& op : ops) op = kind.make();
      const std::string existing = kind.make();
      for (const std::string* base : {static_cast<const std::string*>(nullptr), &existing}) {
        auto whole = FullMerge(kind.key, base, ops);
        ASSERT_TRUE(whole);
        for (size_t from = 0; from < ops.size(); ++from) {
          for (size_t to = from + 1; to <= ops.size(); ++to) {
            auto part = PartialMerge(kind.key, {ops.begin() + from, ops.begin() + to});
            ASSERT_TRUE(part);
            std::vector<std::string> rest(ops.begin(), ops.begin() + from);
            rest.push_back(*part);
            rest.insert(rest.end(), ops.begin() + to, ops.end());
            auto grouped = FullMerge(kind.key, base, rest);
            ASSERT_TRUE(grouped);
            EXPECT_EQ(*grouped, *whole) << kind.key[0] << " ops " << from << ".." << to;
          }
        }
      }
    }
  }
}

TEST(IndexMerge, ACorruptOperandFailsTheMerge) {
  const std::string set = ix::EncodeOrdinals({1});
  const std::string page = ix::EncodeTimes({{1, 1}});
  ix::SegmentSummary s;
  s.count = {1, 0, 0};
  const std::string summary = ix::EncodeSummary(s);
  for (auto [key, good] :
       {std::pair{ix::TermKey('w', "x", 0), set}, std::pair{ix::TermKey('s', "\1", 0), set},
        std::pair{ix::TimesKey(0, 0), page}, std::pair{ix::SegmentKey(0), summary}}) {
    const std::string bad = good + "\x80";
    EXPECT_TRUE(FullMerge(key, nullptr, {good, good}));
    EXPECT_FALSE(FullMerge(key, nullptr, {good, bad})) << key[0];
    EXPECT_FALSE(FullMerge(key, &bad, {good})) << key[0] << ": a corrupt existing value";
    EXPECT_FALSE(PartialMerge(key, {bad, good})) << key[0];
  }
  EXPECT_FALSE(FullMerge("", nullptr, {set})) << "an empty key";
  EXPECT_FALSE(FullMerge("q" + set, nullptr, {set})) << "a key of no kind";
}

// The operator in a real RocksDB: operands in memtables, flushed tables and
// compactions combine to the union (RocksDB picks the groupings).
TEST(IndexMerge, RocksDbCombinesOperandsAcrossFlushesAndCompactions) {
  TempDir dir;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.merge_operator = std::make_shared<ix::IndexMergeOperator>();
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.path(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string key = ix::TermKey('w', "x", 3);
  const std::string tkey = ix::TimesKey(3, 0);
  std::set<uint32_t> want;
  std::map<uint32_t, int64_t> want_times;
  for (uint32_t round = 0; round < 12; ++round) {
    for (uint32_t i = 0; i < 5; ++i) {
      const uint32_t o = (round * 331 + i * 17) % ix::kPageSize;
      want.insert(o);
      want_times.emplace(o, kDay0 + o);
      ASSERT_TRUE(db->Merge({}, key, ix::EncodeOrdinals({o})).ok());
      ASSERT_TRUE(db->Merge({}, tkey, ix::EncodeTimes({{o, kDay0 + o}})).ok());
    }
    if (round % 3 == 1) {
      ASSERT_TRUE(db->Flush({}).ok());
    }
    if (round % 4 == 3) {
      ASSERT_TRUE(db->CompactRange({}, nullptr, nullptr).ok());
    }
  }
  std::string value;
  ASSERT_TRUE(db->Get({}, key, &value).ok());
  bool ok;
  EXPECT_EQ(DecodeToVector(value, &ok), (std::vector<uint32_t>{want.begin(), want.end()}));
  ASSERT_TRUE(db->Get({}, tkey, &value).ok());
  std::vector<std::pair<uint32_t, int64_t>> times(want_times.begin(), want_times.end());
  EXPECT_EQ(TimesOf(value), times);
  // A corrupt operand: the read fails (Corruption), it is not dropped.
  ASSERT_TRUE(db->Merge({}, key, "junk").ok());
  EXPECT_TRUE(db->Get({}, key, &value).IsCorruption());
}

// ---- search and stats against brute force --------------------------------------

// What was stored, in ingest order, with the ids the store gave.
using Corpus = std::vector<LogEntry>;

// Stores `entries` through a mix of single Appends and batches, all issued
// from this thread without waiting (so ingest order is call order), then
// waits for every callback. Adds them to `corpus` with their ids.
void Ingest(LogStore& store, std::vector<LogEntry> entries, std::mt19937_64& rng, Corpus* corpus,
            size_t max_batch = 200) {
  const size_t first = corpus->size();
  corpus->insert(corpus->end(), entries.begin(), entries.end());
  std::vector<size_t> groups;  // sizes; 0 is a single Append
  for (size_t i = 0; i < entries.size();) {
    const size_t n = rng() % 2 ? 0 : std::min<size_t>(1 + rng() % max_batch, entries.size() - i);
    groups.push_back(n);
    i += n == 0 ? 1 : n;
  }
  std::latch done(static_cast<ptrdiff_t>(groups.size()));
  std::atomic<int> failures{0};
  size_t at = first;
  for (size_t n : groups) {
    if (n == 0) {
      store.Append(entries[at - first], [&, at](Result<std::string> id) {
        if (id.ok()) {
          (*corpus)[at].log_id = id.value();
        } else {
          ++failures;
        }
        done.count_down();
      });
      ++at;
      continue;
    }
    std::vector<LogEntry> batch(entries.begin() + static_cast<ptrdiff_t>(at - first),
                                entries.begin() + static_cast<ptrdiff_t>(at - first + n));
    store.AppendBatch(std::move(batch), [&, at, n](Result<std::vector<std::string>> ids) {
      if (ids.ok() && ids.value().size() == n) {
        for (size_t i = 0; i < n; ++i) (*corpus)[at + i].log_id = ids.value()[i];
      } else {
        ++failures;
      }
      done.count_down();
    });
    at += n;
  }
  done.wait();
  EXPECT_EQ(failures.load(), 0);
}

// Opens the store at `path`, stores `entries` as Ingest does, and closes it
// (each open of a data dir starts new segments).
void IngestAndClose(const std::string& path, std::vector<LogEntry> entries, std::mt19937_64& rng,
                    Corpus* corpus) {
  auto store = OpenOrDie({.path = path});
  ASSERT_TRUE(store);
  Ingest(*store, std::move(entries), rng, corpus);
}

// The entries of `corpus` that `filter` matches, in `order`: by timestamp,
// the same millisecond in ingest order (later ingest first when newest first).
std::vector<std::string> BruteForce(const Corpus& corpus, const Filter& filter, Order order) {
  std::vector<size_t> hits;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const LogEntry& e = corpus[i];
    if (Matches(filter, e.timestamp_ms, e.severity, e.message, e.attributes)) hits.push_back(i);
  }
  std::stable_sort(hits.begin(), hits.end(), [&](size_t a, size_t b) {
    return corpus[a].timestamp_ms < corpus[b].timestamp_ms;
  });
  if (order == Order::kDesc) std::reverse(hits.begin(), hits.end());
  std::vector<std::string> ids;
  for (size_t i : hits) ids.push_back(corpus[i].log_id);
  return ids;
}

struct Walk {
  std::vector<std::string> ids;
  std::vector<size_t> page_sizes;
  bool first_had_next = false;
};

// Follows `next` from the first page to the end (at most max_pages pages),
// checking each page and each entry against what was stored.
Walk SearchAll(LogStore& store, StoreQuery q, const std::map<std::string, LogEntry>& by_id,
               size_t max_pages = 100'000) {
  Walk w;
  for (size_t page = 0;; ++page) {
    if (page == max_pages) {
      ADD_FAILURE() << "no end after " << max_pages << " pages";
      return w;
    }
    auto r = SearchSync(store, q);
    if (!r.ok()) {
      ADD_FAILURE() << r.status().message();
      return w;
    }
    const SearchPage& p = r.value();
    EXPECT_LE(p.entries->size(), q.limit);
    if (page == 0) w.first_had_next = !p.next.empty();
    w.page_sizes.push_back(p.entries->size());
    for (const LogEntry& e : *p.entries) {
      w.ids.push_back(e.log_id);
      auto stored = by_id.find(e.log_id);
      if (stored == by_id.end()) {
        ADD_FAILURE() << "an entry that was never stored: " << e.log_id;
        continue;
      }
      EXPECT_EQ(e.timestamp_ms, stored->second.timestamp_ms);
      EXPECT_EQ(e.severity, stored->second.severity);
      EXPECT_EQ(e.message, stored->second.message);
    }
    if (p.next.empty()) return w;
    q.position = p.next;
  }
}

using Counts = std::vector<std::array<int64_t, kSeverityCount>>;

Counts BruteForceStats(const Corpus& corpus, const Filter& f, int64_t step) {
  Counts counts(static_cast<size_t>(StatsBucketCount(f.from_ms, f.to_ms, step)));
  for (const LogEntry& e : corpus) {
    if (!Matches(f, e.timestamp_ms, e.severity, e.message, e.attributes)) continue;
    ++counts[static_cast<size_t>(FloorDiv(e.timestamp_ms, step) - FloorDiv(f.from_ms, step))]
            [static_cast<size_t>(e.severity)];
  }
  return counts;
}

// Stats following `next` to the end, the pages' counts added up.
Counts StatsAll(LogStore& store, StatsQuery q, size_t* pages = nullptr) {
  Counts total;
  for (size_t page = 0; page < 100'000; ++page) {
    auto r = StatsSync(store, q);
    if (!r.ok()) {
      ADD_FAILURE() << r.status().message();
      return total;
    }
    const StatsPage& p = r.value();
    if (total.empty()) total.resize(p.counts.size());
    EXPECT_EQ(p.counts.size(), total.size());
    for (size_t i = 0; i < std::min(total.size(), p.counts.size()); ++i) {
      for (size_t v = 0; v < kSeverityCount; ++v) total[i][v] += p.counts[i][v];
    }
    if (pages) *pages = page + 1;
    if (p.next.empty()) return total;
    q.position = p.next;
  }
  ADD_FAILURE() << "stats: no end";
  return total;
}

int64_t Total(const Counts& c) {
  int64_t n = 0;
  for (const auto& b : c) n += b[0] + b[1] + b[2];
  return n;
}

SeveritySet Severities(std::initializer_list<Severity> list) {
  SeveritySet s;
  for (Severity v : list) s.Add(v);
  return s;
}

Filter MakeFilter(std::string_view q, SeveritySet sev = SeveritySet::All(),
                  int64_t from = kTimeMinMs, int64_t to = kTimeMaxMs) {
  Filter f;
  if (!q.empty()) {
    auto text = ParseText(q);
    EXPECT_TRUE(text.ok()) << q << ": " << text.status().message();
    if (text.ok()) f.text = std::move(text).value();
  }
  f.severities = sev;
  f.from_ms = from;
  f.to_ms = to;
  return f;
}

std::string Describe(const Filter& f, std::string_view q) {
  return "q=" + std::string(q) + " severities=" + std::to_string(f.severities.bits()) +
         " from=" + std::to_string(f.from_ms) + " to=" + std::to_string(f.to_ms);
}

// Searches with `filter` in both orders and the given page sizes, and
// compares each walk with brute force: the same entries, in the same order.
void ExpectSearchesMatch(LogStore& store, const Corpus& corpus,
                         const std::map<std::string, LogEntry>& by_id, const Filter& filter,
                         const std::string& what, std::initializer_list<size_t> limits) {
  for (Order order : {Order::kDesc, Order::kAsc}) {
    const std::vector<std::string> want = BruteForce(corpus, filter, order);
    for (size_t limit : limits) {
      StoreQuery q{filter, order, limit, ""};
      Walk got = SearchAll(store, q, by_id, want.size() / limit + 100);
      EXPECT_EQ(got.ids, want) << what << (order == Order::kDesc ? " desc" : " asc") << " limit "
                               << limit << ": got " << got.ids.size() << ", want " << want.size();
    }
  }
}

std::map<std::string, LogEntry> ById(const Corpus& corpus) {
  std::map<std::string, LogEntry> m;
  for (const LogEntry& e : corpus) m.emplace(e.log_id, e);
  return m;
}

// Words that share prefixes, in several scripts and letter cases.
const std::vector<std::string> kVocabulary = {
    "timeout", "Timeout", "timer",    "time", "timestamp", "connection", "connect",
    "conn",    "retry",   "retrying", "db",   "database",  "user_id",    "42",
    "école",   "ÉCOLE",   "écoles",   "über", "Übermut",   "übergang",   "σοφος",
    "ΣΟΦΟΣ",   "σοφία",   "日本語",   "日本", "naïve",     "x",          "xy"};
const std::vector<std::string> kSeparators = {" ", " ", " ", ", ", ": ", " - ", "=", "!", "/", "."};

std::string RandomMessage(std::mt19937_64& rng) {
  std::string m;
  const size_t n = 1 + rng() % 7;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) m += kSeparators[rng() % kSeparators.size()];
    m += kVocabulary[rng() % kVocabulary.size()];
  }
  return m;
}

Severity RandomSeverity(std::mt19937_64& rng) {
  const uint64_t r = rng() % 10;
  return r < 6 ? Severity::kInfo : r < 9 ? Severity::kWarning : Severity::kError;
}

// `n` entries with timestamps in [from, from + span), drawn from `distinct`
// values so that many share a millisecond.
std::vector<LogEntry> RandomEntries(std::mt19937_64& rng, size_t n, int64_t from, int64_t span,
                                    size_t distinct) {
  std::vector<int64_t> times(distinct);
  for (auto& t : times) t = from + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
  std::vector<LogEntry> out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(MakeEntry(times[rng() % distinct], RandomMessage(rng), RandomSeverity(rng)));
  }
  return out;
}

struct QueryCase {
  std::string q;
  SeveritySet severities;
  int64_t from, to;
};

std::vector<QueryCase> QueryTable() {
  const SeveritySet all = SeveritySet::All();
  const SeveritySet error = Severities({Severity::kError});
  const SeveritySet warn_error = Severities({Severity::kWarning, Severity::kError});
  const SeveritySet info = Severities({Severity::kInfo});
  const int64_t a = kTimeMinMs, z = kTimeMaxMs;
  const int64_t mid_from = kDay0 + 18 * kHour, mid_to = kDay0 + kDay + 7 * kHour + 1234;
  return {
      {"", all, a, z},  // every entry (the first page from memory)
      {"", error, a, z},
      {"", warn_error, mid_from, mid_to},
      {"", all, mid_from, mid_to},  // a plain scan of a time range
      {"timeout", all, a, z},
      {"time", all, a, z},
      {"tim*", all, a, z},
      {"time*", warn_error, a, z},
      {"conn*", all, mid_from, mid_to},
      {"école", all, a, z},
      {"ÉCOLES", error, a, z},
      {"üb*", all, a, z},
      {"über*", info, mid_from, mid_to},
      {"σοφ*", all, a, z},
      {"日本語", all, a, z},
      {"\"connection timeout\"", all, a, z},
      {"\"conn tim*\"", warn_error, a, z},
      {"\"user_id=42\"", all, a, z},
      {"user_id=42 -x", all, a, z},
      {"timeout -retry", all, a, z},
      {"timeout -retr*", error, a, z},
      {"-timeout", all, a, z},  // only a negation: a scan
      {"-timeout -db", error, mid_from, mid_to},
      {"retry* -\"retry timeout\"", all, a, z},
      {"db connect* naïve", all, a, z},
      {"x xy", warn_error, mid_from, mid_to},
      {"nowhere", all, a, z},
      {"timeout", all, kDay0 + kDay, kDay0 + kDay},  // an empty range
  };
}

struct StatsCase {
  std::string q;
  SeveritySet severities;
  int64_t from, to, step;
};

std::vector<StatsCase> StatsTable() {
  const SeveritySet all = SeveritySet::All();
  const SeveritySet warn_error = Severities({Severity::kWarning, Severity::kError});
  const int64_t from = kDay0 - kDay, to = kDay0 + 4 * kDay;
  const int64_t k30d = 30 * kDay;
  return {
      {"", all, from, to, kDay},  // segments of one day: whole buckets
      {"", all, from, to, k30d},  // every segment in one bucket
      {"", warn_error, from, to, kDay},
      {"", all, from, to, kHour},  // partial buckets
      {"", all, kDay0 + 5 * kHour + 17, kDay0 + 2 * kDay + 3, 10 * 60'000},
      {"timeout", all, from, to, kDay},
      {"tim*", warn_error, from, to, k30d},
      {"école -retry", all, kDay0 + 5 * kHour, kDay0 + 2 * kDay, kHour},
      {"\"connection timeout\"", all, from, to, kDay},  // phrases: messages read
      {"\"conn tim*\" -x", all, kDay0 + 3 * kHour, to, 3 * kHour},
      {"-timeout", warn_error, from, to, kDay},
      {"nowhere", all, from, to, kDay},
  };
}

void ExpectStatsMatch(LogStore& store, const Corpus& corpus) {
  for (const StatsCase& c : StatsTable()) {
    const Filter f = MakeFilter(c.q, c.severities, c.from, c.to);
    const Counts want = BruteForceStats(corpus, f, c.step);
    const Counts got = StatsAll(store, {f, c.step, ""});
    EXPECT_EQ(Total(got), Total(want)) << Describe(f, c.q) << " step " << c.step;
    EXPECT_EQ(got, want) << Describe(f, c.q) << " step " << c.step;
  }
}

void ExpectEverythingMatches(LogStore& store, const Corpus& corpus) {
  const auto by_id = ById(corpus);
  for (const QueryCase& c : QueryTable()) {
    const Filter f = MakeFilter(c.q, c.severities, c.from, c.to);
    const size_t matches = BruteForce(corpus, f, Order::kAsc).size();
    // Page size 1 costs a call per entry: only where that stays quick.
    if (matches <= 150) {
      ExpectSearchesMatch(store, corpus, by_id, f, Describe(f, c.q), {1, 7, 100});
    } else {
      ExpectSearchesMatch(store, corpus, by_id, f, Describe(f, c.q), {7, 100});
    }
  }
  ExpectStatsMatch(store, corpus);
}

// A few thousand entries over three opens (each open starts new segments, so
// the walk merges several segments that overlap in time), compared with brute
// force for a table of queries, then again after a reopen.
TEST(IndexSearch, SearchAndStatsEqualBruteForce) {
  TempDir dir;
  std::mt19937_64 rng(20261201);
  Corpus corpus;
  // A segment's first (last) millisecond shared with a segment that comes
  // before it in the walk, and that holds older (newer) entries: the merge
  // must take it in when the walk reaches that millisecond, not after.
  const int64_t first1 = kDay0 + kHour, last3 = kDay0 + 2 * kDay + 777;
  const auto with = [&](std::vector<LogEntry> entries, std::initializer_list<int64_t> times) {
    for (int64_t t : times) entries.push_back(MakeEntry(t, "timeout x", Severity::kError));
    return entries;
  };
  // Day 0 only (from first1): a segment inside one UTC day.
  IngestAndClose(dir.path(), with(RandomEntries(rng, 700, first1, kDay - kHour, 2000), {first1}),
                 rng, &corpus);
  IngestAndClose(dir.path(),
                 with(RandomEntries(rng, 1000, kDay0, 3 * kDay, 400),
                      {kDay0, first1, first1, last3, last3, kDay0 + 3 * kDay - 1}),
                 rng, &corpus);
  auto store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  Ingest(*store,
         with(RandomEntries(rng, 800, kDay0 + kDay, last3 - kDay0 - kDay, 150), {last3, last3}),
         rng, &corpus);
  // Spot checks of the corpus: equal milliseconds, non-ASCII matches.
  std::map<int64_t, int> per_ms;
  for (const LogEntry& e : corpus) ++per_ms[e.timestamp_ms];
  ASSERT_GT(corpus.size() - per_ms.size(), 1000u) << "many entries share a millisecond";
  ASSERT_GT(BruteForce(corpus, MakeFilter("σοφ*"), Order::kAsc).size(), 100u);

  ExpectEverythingMatches(*store, corpus);
  store.reset();  // closed, and its data dir unlocked
  store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  ExpectEverythingMatches(*store, corpus);
}

// A position is opaque, but a malformed one (not of the shape this store makes)
// is refused.
TEST(IndexSearch, MalformedPositionsAreInvalidArgument) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  std::mt19937_64 rng(3);
  Corpus corpus;
  Ingest(*store, RandomEntries(rng, 300, kDay0, kDay, 300), rng, &corpus);
  StoreQuery q{MakeFilter("timeout"), Order::kDesc, 5, ""};
  auto first = SearchSync(*store, q);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first.value().next.empty());
  const std::string good = first.value().next;
  StatsQuery sq{MakeFilter("\"connection timeout\"", SeveritySet::All(), kDay0, kDay0 + kDay),
                kHour, ""};
  const std::string stats_position = "S" + std::string(8, '\0') + std::string("\0\1\0\0", 4);
  // Search positions: the tag, the length. (Any key of the right shape is a
  // place in key order, and taken: the API's cursor checksum catches edits.)
  for (const std::string& bad : {std::string("x"), std::string("K"), good.substr(1), good + "x",
                                 "S" + good.substr(1), stats_position}) {
    for (Order order : {Order::kDesc, Order::kAsc}) {
      q.order = order;
      q.position = bad;
      auto r = SearchSync(*store, q);
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad.size();
    }
  }
  // Stats positions: the tag, the length, an ordinal past the segment.
  for (const std::string& bad :
       {good, std::string("S"), stats_position, stats_position + "0", std::string(13, 'K')}) {
    sq.position = bad;
    EXPECT_EQ(StatsSync(*store, sq).status().code(), Status::Code::kInvalidArgument) << bad.size();
  }
  q.position = good;
  EXPECT_TRUE(SearchSync(*store, q).ok());
}

// 70,000 entries cross a segment boundary (2^16); a phrase whose words are in
// every entry but adjacent in few makes a call stop at kExamineBudget; a
// prefix of more words than kPrefixTermBudget still finds everything.
TEST(IndexSearch, BudgetsAndSegmentBoundaries) {
  TempDir dir;
  auto store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  std::mt19937_64 rng(11);
  Corpus corpus;
  constexpr size_t kEntries = 70'000, kBatch = 10'000;
  std::vector<LogEntry> all;
  for (size_t i = 0; i < kEntries; ++i) {
    const char* kind = i % 3 == 0 ? "uqa" : "uqb";
    std::string message = i % 1000 == 0 ? "alpha beta " : "alpha gap beta ";
    message += kind + std::to_string(i);
    const Severity sev = static_cast<Severity>(i % 5 == 0 ? 2 : i % 5 == 1 ? 1 : 0);
    all.push_back(MakeEntry(kDay0 + static_cast<int64_t>(rng() % 200'000), message, sev));
  }
  static_assert(kEntries / 3 > ix::kPrefixTermBudget);
  static_assert(kEntries > ix::kSegmentSize && kEntries / 1000 > 50);
  for (size_t i = 0; i < kEntries; i += kBatch) {
    std::vector<LogEntry> batch(all.begin() + static_cast<ptrdiff_t>(i),
                                all.begin() + static_cast<ptrdiff_t>(i + kBatch));
    auto ids = AppendBatchSync(*store, batch);
    ASSERT_TRUE(ids.ok()) << ids.status().message();
    for (size_t j = 0; j < kBatch; ++j) batch[j].log_id = ids.value()[j];
    corpus.insert(corpus.end(), batch.begin(), batch.end());
  }
  const auto by_id = ById(corpus);

  // The phrase: every entry is a candidate, one in a thousand matches.
  for (Order order : {Order::kDesc, Order::kAsc}) {
    const Filter f = MakeFilter("\"alpha beta\"");
    const auto want = BruteForce(corpus, f, order);
    ASSERT_EQ(want.size(), kEntries / 1000);
    Walk w = SearchAll(*store, {f, order, 100, ""}, by_id);
    EXPECT_TRUE(w.first_had_next) << "the first call stops at its budget";
    ASSERT_FALSE(w.page_sizes.empty());
    EXPECT_LT(w.page_sizes[0], 100u);
    EXPECT_GE(w.page_sizes.size(), 2u);
    EXPECT_EQ(w.ids, want);
  }
  // Across the boundary: a common word, one severity, pages of 1000.
  ExpectSearchesMatch(*store, corpus, by_id, MakeFilter("alpha", Severities({Severity::kError})),
                      "alpha, errors", {1000});
  // A prefix of more words than one call expands to.
  ExpectSearchesMatch(*store, corpus, by_id, MakeFilter("uqa* \"alpha beta\""),
                      "uqa* \"alpha beta\"", {100});
  ExpectSearchesMatch(
      *store, corpus, by_id,
      MakeFilter("uqa*", Severities({Severity::kWarning}), kDay0 + 50'000, kDay0 + 53'000),
      "uqa*, warnings, 3 s", {100});
  for (const auto& [q, step] : std::vector<std::pair<std::string, int64_t>>{
           {"uqa*", kDay}, {"uqa*", 60'000}, {"\"alpha beta\"", 60'000}, {"", kHour}}) {
    const Filter f = MakeFilter(q, SeveritySet::All(), kDay0 - kDay, kDay0 + kDay);
    size_t pages = 0;
    EXPECT_EQ(StatsAll(*store, {f, step, ""}, &pages), BruteForceStats(corpus, f, step))
        << q << " step " << step;
    if (q.starts_with('"')) {
      EXPECT_GE(pages, 2u) << "the phrase's stats stop at the budget";
    }
  }
  // The phrase's stats read messages in ordinal order: the first call stops
  // within the first segment (entries 0..65535), at kExamineBudget entries.
  auto first = StatsSync(
      *store,
      {MakeFilter("\"alpha beta\"", SeveritySet::All(), kDay0 - kDay, kDay0 + kDay), kDay, ""});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first.value().next.empty());
  EXPECT_LE(Total(first.value().counts), static_cast<int64_t>(ix::kExamineBudget / 1000));
}

// The store's database, opened directly (the index family with its merge
// operator); closed when destroyed.
struct RawDb {
  std::vector<std::string> names;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::unique_ptr<rocksdb::DB> db;

  RawDb(const std::string& path, bool read_only) {
    rocksdb::DBOptions options;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) {
      rocksdb::ColumnFamilyOptions cf;
      if (n == "index") cf.merge_operator = std::make_shared<ix::IndexMergeOperator>();
      cfs.emplace_back(n, cf);
    }
    rocksdb::DB* raw = nullptr;
    const rocksdb::Status s = read_only
                                  ? rocksdb::DB::OpenForReadOnly(options, path, cfs, &handles, &raw)
                                  : rocksdb::DB::Open(options, path, cfs, &handles, &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    db.reset(raw);
  }
  ~RawDb() {
    if (!db) return;
    for (auto* h : handles) EXPECT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    EXPECT_TRUE(db->Close().ok());
  }
  rocksdb::ColumnFamilyHandle* Family(std::string_view name) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return handles[i];
    }
    return nullptr;
  }
};

// A data dir from before the search index (entries, no "index" family, no
// "index-version" record) gets its index built at the next writable open; so
// does one whose build was cut short (index records there, no version record):
// the build starts over, it does not add to what is there.
void RemoveIndex(const std::string& path, bool drop_family) {
  RawDb raw(path, false);
  ASSERT_TRUE(raw.db);
  std::string version;
  EXPECT_TRUE(
      raw.db->Get({}, raw.Family(rocksdb::kDefaultColumnFamilyName), "index-version", &version)
          .ok());
  EXPECT_TRUE(
      raw.db->Delete({}, raw.Family(rocksdb::kDefaultColumnFamilyName), "index-version").ok());
  if (drop_family) {
    EXPECT_TRUE(raw.db->DropColumnFamily(raw.Family("index")).ok());
  }
}

void ExpectIndexRebuilt(bool drop_family) {
  TempDir dir;
  std::mt19937_64 rng(5);
  Corpus corpus;
  IngestAndClose(dir.path(), RandomEntries(rng, 600, kDay0, kDay, 500), rng, &corpus);
  IngestAndClose(dir.path(), RandomEntries(rng, 400, kDay0, 2 * kDay, 500), rng, &corpus);
  RemoveIndex(dir.path(), drop_family);
  if (drop_family) {
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies({}, dir.path(), &names).ok());
    ASSERT_EQ(std::count(names.begin(), names.end(), "index"), 0);
  }
  auto store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  const auto by_id = ById(corpus);
  for (const char* q : {"timeout", "tim*", "\"connection timeout\"", "école -x"}) {
    ExpectSearchesMatch(*store, corpus, by_id, MakeFilter(q), q, {100});
  }
  ExpectSearchesMatch(*store, corpus, by_id, MakeFilter("", Severities({Severity::kError})),
                      "errors", {100});
  ExpectStatsMatch(*store, corpus);
  // New entries go on being indexed with the old ones.
  Ingest(*store, RandomEntries(rng, 200, kDay0, kDay, 100), rng, &corpus);
  ExpectSearchesMatch(*store, corpus, ById(corpus), MakeFilter("timeout"), "timeout", {100});
  ExpectStatsMatch(*store, corpus);
}

TEST(IndexBuild, ADataDirFromBeforeTheIndexGetsItAtOpen) { ExpectIndexRebuilt(true); }

TEST(IndexBuild, AnUnfinishedBuildStartsOver) { ExpectIndexRebuilt(false); }

// ---- sets in memory, and sealing ----------------------------------------------

std::vector<uint32_t> ToVector(roaring_bitmap_t* r) {
  std::vector<uint32_t> out(roaring_bitmap_get_cardinality(r));
  roaring_bitmap_to_uint32_array(r, out.data());
  roaring_bitmap_free(r);
  return out;
}

// TermSets as (kind+text -> ordinals) pairs, for tests.
ix::TermSets Sets(const std::vector<std::pair<std::string, std::vector<uint32_t>>>& sets) {
  ix::TermSets out;
  for (const auto& [key, ordinals] : sets) {
    for (uint32_t o : ordinals) out.Add(key[0], std::string_view(key).substr(1), o);
  }
  return out;
}

// Against a map of strings to vectors: many terms (the table grows many
// times), long and short texts, repeats, and merges of one into another.
TEST(TermSets, KeepsEveryTermsOrdinalsInTheOrderAddedAsAMapWould) {
  std::mt19937_64 rng(5);
  std::map<std::string, std::vector<uint32_t>> want;
  ix::TermSets sets;
  auto add = [&](ix::TermSets& to, char kind, const std::string& text, uint32_t o) {
    to.Add(kind, text, o);
    auto& v = want[std::string(1, kind) + text];
    if (v.empty() || v.back() != o) v.push_back(o);
  };
  for (int round = 0; round < 4; ++round) {
    ix::TermSets batch;
    for (uint32_t o = 0; o < 10000; ++o) {
      const uint32_t ordinal = round * 10000 + o;
      const size_t words = rng() % 6;
      for (size_t w = 0; w < words; ++w) {
        // Zipf-like: a few common words, many rare ones, some long.
        const uint64_t r = rng() % 1000;
        std::string text = r < 500
                               ? "w" + std::to_string(r % 10)
                               : "id" + std::to_string(rng() % 100000) + std::string(r % 20, 'x');
        add(round % 2 ? batch : sets, rng() % 8 ? 'w' : 's', text, ordinal);
        if (rng() % 10 == 0) add(round % 2 ? batch : sets, 'w', text, ordinal);  // a repeat
      }
    }
    if (round % 2) sets.Merge(batch);
  }
  ASSERT_EQ(sets.size(), want.size());
  std::set<std::string> seen;
  for (size_t i = 0; i < sets.size(); ++i) {
    const std::string key(sets.term(i));
    EXPECT_TRUE(seen.insert(key).second) << "a term twice: " << key;
    std::vector<uint32_t> got;
    sets.AppendOrdinals(i, &got);
    ASSERT_TRUE(want.count(key)) << key;
    EXPECT_EQ(got, want.at(key)) << key;
    EXPECT_EQ(sets.Find(key[0], std::string_view(key).substr(1)), std::optional<size_t>(i));
  }
  EXPECT_FALSE(sets.Find('w', "absent"));
  EXPECT_TRUE(sets.Find('w', "w1"));
  EXPECT_FALSE(sets.Find('q', "w1")) << "the kind is part of the term";
  EXPECT_FALSE(ix::TermSets().Find('w', "w1"));
}

TEST(PendingSegment, AddsReadsAndSealsAsTheMergedSetsWould) {
  ix::PendingSegment p(42);
  p.Add(Sets({{"wtimeout", {3, 1}}, {"wtime", {2}}, {std::string("s\0", 2), {1, 2, 3}}}));
  p.Add(Sets({{"wtimeout", {7, 3}}, {"wtimer", {9}}, {"wtim", {4}}, {"sx", {5}}}));
  EXPECT_EQ(ToVector(p.Ordinals('w', "timeout")), (std::vector<uint32_t>{1, 3, 7}));
  EXPECT_EQ(ToVector(p.Ordinals('s', std::string_view("\0", 1))), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_TRUE(ToVector(p.Ordinals('w', "nope")).empty());
  EXPECT_TRUE(ToVector(p.Ordinals('s', "timeout")).empty()) << "a word is not a severity";
  size_t words = 0;
  EXPECT_EQ(ToVector(p.PrefixOrdinals("time", &words)), (std::vector<uint32_t>{1, 2, 3, 7, 9}));
  EXPECT_EQ(words, 3u);  // time, timeout, timer: not tim, not the severity
  words = 0;
  EXPECT_EQ(ToVector(p.PrefixOrdinals("timeout", &words)), (std::vector<uint32_t>{1, 3, 7}));
  EXPECT_EQ(words, 1u);
  // Sealing writes each set once, sorted and unique, under its key, and the
  // seal key first.
  const auto records = p.Records();
  ASSERT_EQ(records.size(), 7u);
  EXPECT_EQ(records[0].first, ix::SealKey(42));
  for (size_t i = 1; i < records.size(); ++i) EXPECT_LT(records[i - 1].first, records[i].first);
  std::map<std::string, std::string> by_key(records.begin(), records.end());
  EXPECT_EQ(by_key.at(ix::TermKey('w', "timeout", 42)), ix::EncodeOrdinals({1, 3, 7}));
  EXPECT_EQ(by_key.at(ix::TermKey('s', std::string_view("\0", 1), 42)),
            ix::EncodeOrdinals({1, 2, 3}));
}

// The segments whose sets are sealed on disk in the data dir at `path`
// (closed), of those that have a summary.
std::pair<std::set<uint64_t>, std::set<uint64_t>> SealedOfAll(const std::string& path) {
  RawDb raw(path, true);
  std::set<uint64_t> sealed, all;
  if (!raw.db || !raw.Family("index")) return {sealed, all};
  std::unique_ptr<rocksdb::Iterator> it(raw.db->NewIterator({}, raw.Family("index")));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    uint64_t segment;
    const std::string_view k = it->key().ToStringView();
    if (ix::ParseSegmentKey(k, &segment)) all.insert(segment);
    if (k.size() == 10 && k[0] == ix::kTermsTag && k[9] == ix::kSealKind) {
      segment = 0;
      for (int b = 1; b <= 8; ++b) segment = (segment << 8) | static_cast<unsigned char>(k[b]);
      EXPECT_EQ(ix::SealKey(segment), k);
      sealed.insert(segment);
    }
  }
  return {sealed, all};
}

// The newest segment's sets are in memory; a segment is sealed (written as a
// table file) once a newer one begins, and one left unsealed by the last run
// is rebuilt from its entries at the next open, then sealed. Searches find
// the same entries all along.
TEST(IndexSeal, SegmentsAreSealedWhenTheNextBeginsAndRebuiltAtOpen) {
  TempDir dir;
  std::mt19937_64 rng(17);
  Corpus corpus;
  constexpr size_t kEntries = ix::kSegmentSize + 3000;
  {
    auto store = OpenOrDie({.path = dir.path()});
    ASSERT_TRUE(store);
    Ingest(*store, RandomEntries(rng, kEntries, kDay0, kDay, 5000), rng, &corpus, 5000);
    const auto by_id = ById(corpus);
    for (const char* q : {"timeout", "tim*", "\"connection timeout\"", "σοφ* -x"}) {
      ExpectSearchesMatch(*store, corpus, by_id, MakeFilter(q), q, {1000});
    }
    ExpectStatsMatch(*store, corpus);
  }
  auto [sealed, all] = SealedOfAll(dir.path());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(sealed, std::set<uint64_t>{*all.begin()}) << "the first, full, segment is sealed";
  {
    auto store = OpenOrDie({.path = dir.path()});
    ASSERT_TRUE(store);
    const auto by_id = ById(corpus);
    for (const char* q : {"timeout", "tim*", "\"connection timeout\"", "σοφ* -x"}) {
      ExpectSearchesMatch(*store, corpus, by_id, MakeFilter(q), q, {1000});
    }
    ExpectSearchesMatch(*store, corpus, by_id, MakeFilter("", Severities({Severity::kError})),
                        "errors", {1000});
    ExpectStatsMatch(*store, corpus);
  }
  std::tie(sealed, all) = SealedOfAll(dir.path());
  EXPECT_EQ(sealed, all) << "the second was rebuilt and sealed at the open";
}

// A batch is one write: when the disk fails under it, none of its entries is
// found afterwards, by search or by stats, now or after a reopen.
TEST(IndexAppendBatch, AllOrNothingUnderAWriteFailure) {
  TempDir dir;
  auto fs = std::make_shared<testing::FaultyFileSystem>();
  auto env = rocksdb::NewCompositeEnv(fs);
  std::mt19937_64 rng(9);
  Corpus corpus;
  auto store = OpenOrDie({.path = dir.path(), .env = env.get()});
  ASSERT_TRUE(store);
  Ingest(*store, RandomEntries(rng, 300, kDay0, kDay, 300), rng, &corpus);

  std::vector<LogEntry> doomed;  // newer than the rest: the newest page would show them
  for (int i = 0; i < 500; ++i) {
    doomed.push_back(MakeEntry(kDay0 + kDay + i, "doomed timeout " + std::to_string(i),
                               static_cast<Severity>(i % 3)));
  }
  fs->SetFailing(true);
  std::atomic<int> calls{0};
  std::promise<Status> failed;
  store->AppendBatch(doomed, [&](Result<std::vector<std::string>> ids) {
    if (calls++ == 0) failed.set_value(ids.status());
  });
  const Status s = failed.get_future().get();
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.message();
  fs->SetFailing(false);
  for (int i = 0; i < 50 && !store->Healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(store->Healthy());
  EXPECT_EQ(calls.load(), 1) << "the batch's callback runs once";

  // Nothing of the batch, and everything else.
  const auto check = [&](LogStore& st) {
    const auto by_id = ById(corpus);
    EXPECT_TRUE(SearchAll(st, {MakeFilter("doomed"), Order::kDesc, 100, ""}, by_id).ids.empty());
    ExpectSearchesMatch(st, corpus, by_id, MakeFilter("timeout"), "timeout", {100});
    ExpectSearchesMatch(st, corpus, by_id, MakeFilter(""), "all", {100, 1000});
    const Filter f = MakeFilter("", SeveritySet::All(), kDay0, kDay0 + 2 * kDay);
    EXPECT_EQ(StatsAll(st, {f, kDay, ""}), BruteForceStats(corpus, f, kDay));
    EXPECT_EQ(StatsAll(st, {f, kHour, ""}), BruteForceStats(corpus, f, kHour));
    const Filter d = MakeFilter("doomed", SeveritySet::All(), kDay0, kDay0 + 2 * kDay);
    EXPECT_EQ(Total(StatsAll(st, {d, kHour, ""})), 0);
  };
  check(*store);
  store.reset();  // closed, and its data dir unlocked
  store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  check(*store);
  // The same batch, written now, is found whole.
  auto ids = AppendBatchSync(*store, doomed);
  ASSERT_TRUE(ids.ok()) << ids.status().message();
  for (size_t i = 0; i < doomed.size(); ++i) doomed[i].log_id = ids.value()[i];
  corpus.insert(corpus.end(), doomed.begin(), doomed.end());
  ExpectSearchesMatch(*store, corpus, ById(corpus), MakeFilter("doomed"), "doomed", {100});
  const Filter d = MakeFilter("doomed", SeveritySet::All(), kDay0, kDay0 + 2 * kDay);
  EXPECT_EQ(StatsAll(*store, {d, kHour, ""}), BruteForceStats(corpus, d, kHour));
}

// Entries written while a walk runs never break its order: a segment whose
// entries come later in the walk than its summary said when the walk began
// (a batch of older timestamps written meanwhile) must not show them out of
// place, nor make a page's position repeat entries.
TEST(IndexSearch, ConcurrentBatchesNeverBreakTheOrder) {
  TempDir dir;
  Corpus corpus;
  std::mt19937_64 rng(13);
  {
    auto store = OpenOrDie({.path = dir.path()});
    ASSERT_TRUE(store);
    std::vector<LogEntry> older;
    // One in ten matches the phrase below; the others are examined and
    // dropped, which makes the walk spend longer before it reaches the
    // other segment.
    for (int i = 0; i < 3000; ++i) {
      older.push_back(MakeEntry(kDay0 + 10'000 + i, i % 10 == 0 ? "word c" : "word x c"));
    }
    Ingest(*store, older, rng, &corpus, 1000);
  }
  auto store = OpenOrDie({.path = dir.path()});
  ASSERT_TRUE(store);
  // The new open's segment starts before all of the older one...
  AppendOk(*store, MakeEntry(kDay0, "word c"));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // ... and gets entries in the middle of it, later and later.
    for (int64_t t = kDay0 + 10'000; !stop && t < kDay0 + 13'000; t += 3) {
      std::vector<LogEntry> batch;
      for (int i = 0; i < 3; ++i) batch.push_back(MakeEntry(t + i, "word c"));
      if (!AppendBatchSync(*store, batch).ok()) break;
    }
  });
  // One walk to its end; false at the first entry out of order or repeated.
  const auto walk = [&](Order order, int round) {
    StoreQuery q{MakeFilter("\"word c\""), order, 1000, ""};
    std::set<std::string> seen;
    int64_t last = order == Order::kDesc ? INT64_MAX : INT64_MIN;
    for (int page = 0; page < 100; ++page) {
      auto r = SearchSync(*store, q);
      if (!r.ok()) {
        ADD_FAILURE() << r.status().message();
        return false;
      }
      for (const LogEntry& e : *r.value().entries) {
        if (order == Order::kDesc ? e.timestamp_ms > last : e.timestamp_ms < last) {
          ADD_FAILURE() << "round " << round << ": " << e.timestamp_ms << " after " << last;
          return false;
        }
        last = e.timestamp_ms;
        if (!seen.insert(e.log_id).second) {
          ADD_FAILURE() << "round " << round << ": a repeat";
          return false;
        }
      }
      if (r.value().next.empty()) return true;
      q.position = r.value().next;
    }
    ADD_FAILURE() << "no end";
    return false;
  };
  for (int round = 0; round < 30; ++round) {
    if (!walk(Order::kDesc, round) || !walk(Order::kAsc, round)) break;
  }
  stop = true;
  writer.join();
}

}  // namespace
}  // namespace logsvc::store
