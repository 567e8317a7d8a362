// Unit tests of src/store/dynamodb_walk: the search merge and the stats walk
// over the index shards, against an in-memory imitation of TimestampIndex
// that answers Queries as DynamoDB does (key condition, order, Limit,
// ExclusiveStartKey, the severity FilterExpression, LastEvaluatedKey,
// ScannedCount, a page cut short as at 1 MB).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/datetime.h"
#include "core/json_writer.h"
#include "core/text_query.h"
#include "core/uuid.h"
#include "store/dynamodb_walk.h"
#include "store_sync.h"

namespace logsvc::store::dynamodb {
namespace {

using testing::Severities;

struct Item {
  std::string log_id;
  std::string timestamp;  // the number's text
  double value = 0;       // its value, for DynamoDB's order
  std::string severity;   // as stored ("info", or another writer's "ERROR")
  std::string message;
  int shard = 0;

  int64_t millis = 0;  // its whole milliseconds, as the store reads them

  int64_t ms() const { return millis; }
};

// DynamoDB's order within a partition: by sort key, then by the table key.
bool IndexOrder(const Item& a, const Item& b) {
  if (a.value != b.value) return a.value < b.value;
  return a.log_id < b.log_id;
}

void AppendAttr(std::string* out, std::string_view name, std::string_view kind,
                std::string_view value) {
  json::AppendString(out, name);
  *out += ":{\"" + std::string(kind) + "\":";
  json::AppendString(out, value);
  *out += "}";
}

void AppendItem(std::string* out, const Item& item) {
  *out += "{";
  AppendAttr(out, "logId", "S", item.log_id);
  *out += ",";
  AppendAttr(out, "timestamp", "N", item.timestamp);
  *out += ",";
  AppendAttr(out, "severity", "S", item.severity);
  *out += ",";
  AppendAttr(out, "message", "S", item.message);
  *out += ",";
  AppendAttr(out, "type", "S", IndexPartition(item.shard));
  *out += "}";
}

class FakeIndex {
 public:
  explicit FakeIndex(int shards) : shards_(static_cast<size_t>(shards)) {}

  void Put(Item item) {
    item.value = std::stod(item.timestamp);
    EXPECT_TRUE(ParseTimestampMillis(item.timestamp, &item.millis)) << item.timestamp;
    shards_[static_cast<size_t>(item.shard)].push_back(std::move(item));
    sorted_ = false;
  }
  int shards() const { return static_cast<int>(shards_.size()); }

  // The answer to `fetch`, as QueryIndexRequest would have asked it.
  std::string Query(const ShardFetch& fetch, const Filter& filter, Order order) {
    ++requests;
    ++requests_of[fetch.shard];
    items_asked += fetch.limit;
    Sort();
    EXPECT_GE(fetch.limit, 1u);
    EXPECT_LE(fetch.limit, kMaxQueryLimit);
    std::vector<const Item*> range;
    for (const Item& item : shards_[static_cast<size_t>(fetch.shard)]) {
      // The key condition: whole milliseconds in the range.
      if (item.ms() >= filter.from_ms && item.ms() < filter.to_ms) {
        range.push_back(&item);
      }
    }
    if (order == Order::kDesc) std::reverse(range.begin(), range.end());
    size_t i = 0;
    if (fetch.start) {
      const double start = std::stod(fetch.start->timestamp);
      // DynamoDB refuses a start key outside the key condition.
      EXPECT_GE(fetch.start->timestamp_ms, filter.from_ms);
      EXPECT_LT(fetch.start->timestamp_ms, filter.to_ms);
      Item key{fetch.start->log_id, fetch.start->timestamp, start, "", "", fetch.shard, 0};
      while (i < range.size() &&
             (order == Order::kAsc ? !IndexOrder(key, *range[i]) : !IndexOrder(*range[i], key))) {
        ++i;
      }
    }
    std::string out = "{\"Items\":[";
    size_t scanned = 0, returned = 0;
    const Item* last = nullptr;
    for (; i < range.size() && scanned < fetch.limit && scanned < page_cut; ++i) {
      last = range[i];
      ++scanned;
      bool unwanted = false;  // the severity FilterExpression
      for (size_t s = 0; s < kSeverityCount; ++s) {
        const Severity sev = static_cast<Severity>(s);
        unwanted |= !filter.severities.Contains(sev) && range[i]->severity == SeverityName(sev);
      }
      if (unwanted) continue;
      if (returned++ > 0) out += ",";
      AppendItem(&out, *range[i]);
    }
    items_read += scanned;
    out +=
        "],\"Count\":" + std::to_string(returned) + ",\"ScannedCount\":" + std::to_string(scanned);
    // As DynamoDB (and dynalite): a full page has a LastEvaluatedKey, even at the end.
    if (last != nullptr && (scanned == fetch.limit || scanned == page_cut)) {
      out += ",\"LastEvaluatedKey\":{";
      AppendAttr(&out, "logId", "S", last->log_id);
      out += ",";
      AppendAttr(&out, "timestamp", "N", last->timestamp);
      out += ",";
      AppendAttr(&out, "type", "S", IndexPartition(fetch.shard));
      out += "}";
    }
    return out + "}";
  }

  // Every item matching `filter`, in the documented order (oldest first).
  std::vector<Item> Expected(const Filter& filter, Order order) {
    Sort();
    std::vector<Item> all;
    for (const auto& shard : shards_) {
      for (const Item& item : shard) {
        Severity sev;
        if (!ParseSeverityName(item.severity, &sev)) continue;
        if (Matches(filter, item.ms(), sev, item.message, {})) all.push_back(item);
      }
    }
    std::stable_sort(all.begin(), all.end(), [](const Item& a, const Item& b) {
      if (a.ms() != b.ms()) return a.ms() < b.ms();
      if (a.shard != b.shard) return a.shard < b.shard;
      return IndexOrder(a, b);
    });
    if (order == Order::kDesc) std::reverse(all.begin(), all.end());
    return all;
  }

  static bool ParseSeverityName(std::string_view name, Severity* out) {
    for (size_t s = 0; s < kSeverityCount; ++s) {
      std::string lower(name);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == SeverityName(static_cast<Severity>(s))) {
        *out = static_cast<Severity>(s);
        return true;
      }
    }
    return false;
  }

  int requests = 0;
  std::map<int, int> requests_of;
  size_t items_asked = 0;
  size_t items_read = 0;
  size_t page_cut = SIZE_MAX;  // a page ends after this many items, as at 1 MB

 private:
  void Sort() {
    if (sorted_) return;
    for (auto& shard : shards_) std::sort(shard.begin(), shard.end(), IndexOrder);
    sorted_ = true;
  }
  std::vector<std::vector<Item>> shards_;
  bool sorted_ = true;
};

// Runs one call of a walk against the fake, as the store does.
template <typename Walk>
void RunCall(Walk& walk, FakeIndex& index, const Filter& filter, Order order) {
  for (int round = 0;; ++round) {
    ASSERT_LE(round, kWalkRounds) << "more rounds than the budget allows";
    std::vector<ShardFetch> fetches = walk.NextFetches();
    if (fetches.empty()) return;
    std::set<int> seen;
    for (const ShardFetch& f : fetches) {
      ASSERT_TRUE(seen.insert(f.shard).second) << "a shard twice in a round";
      Status s = walk.Add(f.shard, index.Query(f, filter, order));
      ASSERT_TRUE(s.ok()) << s.message();
    }
  }
}

Result<SearchPage> SearchOnce(FakeIndex& index, const Filter& filter, Order order, size_t limit,
                              const std::string& position) {
  auto cursors = DecodePosition(position, WalkKind::kSearch, order, index.shards(), filter.from_ms,
                                filter.to_ms);
  if (!cursors.ok()) return cursors.status();
  SearchWalk walk(filter, order, limit, std::move(cursors).value());
  RunCall(walk, index, filter, order);
  return walk.Finish();
}

std::string Uuid(std::mt19937& rng) {
  uuid::Bytes b;
  for (auto& byte : b) byte = static_cast<uint8_t>(rng());
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return uuid::Format(b);
}

constexpr int64_t kBase = 1'750'000'000'000;

// `n` items over `shards`, timestamps in [kBase, kBase + spread) (many equal),
// severities 90/9/1, a word "alpha" in a third of the messages.
void Fill(FakeIndex& index, int n, int64_t spread, uint32_t seed) {
  std::mt19937 rng(seed);
  for (int i = 0; i < n; ++i) {
    Item item;
    item.log_id = Uuid(rng);
    item.timestamp = std::to_string(kBase + static_cast<int64_t>(rng() % spread));
    const uint32_t r = rng() % 100;
    item.severity = r < 90 ? "info" : r < 99 ? "warning" : "error";
    item.message = (rng() % 3 == 0 ? "alpha " : "beta ") + std::to_string(i);
    item.shard = ShardOf(item.log_id, index.shards());
    index.Put(std::move(item));
  }
}

std::vector<std::string> Ids(const std::vector<Item>& items) {
  std::vector<std::string> ids;
  for (const Item& i : items) ids.push_back(i.log_id);
  return ids;
}

// Follows `next` from the first page; the ids returned, in order.
std::vector<std::string> WalkAll(FakeIndex& index, const Filter& filter, Order order, size_t limit,
                                 int* pages = nullptr) {
  std::vector<std::string> ids;
  std::string position;
  for (int page = 0; page < 100000; ++page) {
    auto r = SearchOnce(index, filter, order, limit, position);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) break;
    EXPECT_LE(r.value().entries->size(), limit);
    for (const LogEntry& e : *r.value().entries) ids.push_back(e.log_id);
    if (r.value().next.empty()) {
      if (pages) *pages = page + 1;
      return ids;
    }
    EXPECT_NE(r.value().next, position) << "a page that made no progress";
    position = r.value().next;
  }
  ADD_FAILURE() << "no last page";
  return ids;
}

TEST(DynamoDbWalk, PagesReturnEveryEntryOnceInOneOrder) {
  for (int shards : {1, 3, 8}) {
    FakeIndex index(shards);
    Fill(index, 700, 40, static_cast<uint32_t>(shards));  // ~17 entries per millisecond
    Filter alpha;
    alpha.text = ParseText("alpha").value();
    Filter ranged = Severities({Severity::kInfo, Severity::kError});
    ranged.from_ms = kBase + 5;
    ranged.to_ms = kBase + 31;
    for (const Filter& filter : {Filter(), Severities({Severity::kWarning}), alpha, ranged}) {
      for (Order order : {Order::kDesc, Order::kAsc}) {
        for (size_t limit : {1, 7, 100, 1000}) {
          SCOPED_TRACE(::testing::Message() << shards << " shards, limit " << limit << ", "
                                            << (order == Order::kAsc ? "asc" : "desc"));
          EXPECT_EQ(WalkAll(index, filter, order, limit), Ids(index.Expected(filter, order)));
        }
      }
    }
  }
}

TEST(DynamoDbWalk, DescIsTheReverseOfAsc) {
  FakeIndex index(8);
  Fill(index, 300, 5, 11);
  std::vector<std::string> asc = WalkAll(index, Filter(), Order::kAsc, 13);
  std::vector<std::string> desc = WalkAll(index, Filter(), Order::kDesc, 13);
  std::reverse(desc.begin(), desc.end());
  EXPECT_EQ(asc, desc);
}

TEST(DynamoDbWalk, PagesCutShortAsAtOneMegabyte) {
  FakeIndex index(8);
  Fill(index, 500, 30, 5);
  index.page_cut = 3;
  Filter alpha;
  alpha.text = ParseText("alpha").value();
  for (const Filter& filter : {Filter(), alpha}) {
    for (Order order : {Order::kDesc, Order::kAsc}) {
      EXPECT_EQ(WalkAll(index, filter, order, 50), Ids(index.Expected(filter, order)));
    }
  }
}

TEST(DynamoDbWalk, ItemsOfOtherWritersAreFoundAndResumedExactly) {
  FakeIndex index(2);
  // Numbers as another client spells them, equal and fractional timestamps,
  // upper-case severities, items that are not entries.
  const std::vector<std::pair<std::string, std::string>> stamps = {
      {"1750000000000", "info"},        {"1750000000000.0", "ERROR"}, {"1750000000000.5", "Error"},
      {"1.750000000001E12", "warning"}, {"1750000000001", "debug"},   {"1750000000002", "error"}};
  std::mt19937 rng(3);
  for (int copy = 0; copy < 3; ++copy) {
    for (const auto& [ts, severity] : stamps) {
      Item item{Uuid(rng), ts, 0, severity, "other writer", copy % 2, 0};
      index.Put(item);
    }
  }
  for (Order order : {Order::kDesc, Order::kAsc}) {
    for (size_t limit : {1, 2, 5}) {
      Filter one_ms;  // the millisecond of 1750000000000.5 as well
      one_ms.from_ms = 1750000000000;
      one_ms.to_ms = 1750000000001;
      for (const Filter& f : {Filter(), Severities({Severity::kError}), one_ms}) {
        EXPECT_EQ(WalkAll(index, f, order, limit), Ids(index.Expected(f, order)));
      }
    }
  }
  EXPECT_EQ(index.Expected(Severities({Severity::kError}), Order::kAsc).size(), 9u);
}

TEST(DynamoDbWalk, EntriesWrittenMeanwhileNeverShiftAPage) {
  for (int shards : {1, 8}) {
    FakeIndex index(shards);
    Fill(index, 400, 20, 21);
    const std::vector<std::string> before = Ids(index.Expected(Filter(), Order::kDesc));
    std::mt19937 rng(99);
    std::vector<std::string> seen;
    std::string position;
    for (int page = 0; page < 1000; ++page) {
      auto r = SearchOnce(index, Filter(), Order::kDesc, 30, position);
      ASSERT_TRUE(r.ok());
      for (const LogEntry& e : *r.value().entries) seen.push_back(e.log_id);
      if (r.value().next.empty()) break;
      position = r.value().next;
      // New entries, newer than all, and in the middle of what is left.
      for (int k = 0; k < 10; ++k) {
        Item item{Uuid(rng), std::to_string(kBase + 20 + k), 0, "info", "new", 0, 0};
        item.shard = ShardOf(item.log_id, shards);
        index.Put(item);
      }
    }
    // Every entry there before is seen exactly once, in the order it had.
    std::vector<std::string> old;
    std::set<std::string> was(before.begin(), before.end());
    for (const std::string& id : seen) {
      if (was.count(id)) old.push_back(id);
    }
    EXPECT_EQ(old, before) << shards << " shards";
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size())
        << "an entry twice";
  }
}

TEST(DynamoDbWalk, TheDefaultFirstPageCostsWhatRecentDid) {
  for (int shards : {1, 8}) {
    FakeIndex index(shards);
    Fill(index, 3000, 100000, 4);
    auto r = SearchOnce(index, Filter(), Order::kDesc, 100, "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().entries->size(), 100u);
    // One Query of Limit 100 per shard, one round: Recent()'s reads.
    EXPECT_EQ(index.requests, shards);
    EXPECT_EQ(index.items_asked, 100u * static_cast<size_t>(shards));
    // Page 2 costs the same.
    index.requests = 0;
    index.items_asked = 0;
    auto r2 = SearchOnce(index, Filter(), Order::kDesc, 100, r.value().next);
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2.value().entries->size(), 100u);
    EXPECT_EQ(index.requests, shards);
    EXPECT_EQ(index.items_asked, 100u * static_cast<size_t>(shards));
  }
}

TEST(DynamoDbWalk, ANextPageStartsAfterTheLastEntryReturnedFromEachShard) {
  FakeIndex index(2);
  Fill(index, 200, 1000, 8);
  auto r = SearchOnce(index, Filter(), Order::kDesc, 5, "");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.value().entries->size(), 5u);
  // The last entry each shard gave: the next page's ExclusiveStartKey there.
  std::map<int, std::string> last;
  for (const LogEntry& e : *r.value().entries) last[ShardOf(e.log_id, 2)] = e.log_id;
  auto cursors =
      DecodePosition(r.value().next, WalkKind::kSearch, Order::kDesc, 2, kTimeMinMs, kTimeMaxMs);
  ASSERT_TRUE(cursors.ok());
  for (int s = 0; s < 2; ++s) {
    const ShardCursor& c = cursors.value()[static_cast<size_t>(s)];
    if (last.count(s)) {
      EXPECT_EQ(c.state, ShardCursor::State::kAfter);
      EXPECT_EQ(c.after.log_id, last[s]) << "shard " << s;
    } else {
      // Read (100 items) but nothing returned: read again from the start.
      EXPECT_EQ(c.state, ShardCursor::State::kNotStarted) << "shard " << s;
    }
  }
}

TEST(DynamoDbWalk, ACallStopsAtItsBudgetAndGoesOn) {
  for (int shards : {1, 8, 64}) {
    FakeIndex index(shards);
    Fill(index, 60000, 10'000'000, 17);  // not one match for "zzz"
    Filter none;
    none.text = ParseText("zzz").value();
    auto r = SearchOnce(index, none, Order::kDesc, 100, "");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value().entries->empty());
    EXPECT_FALSE(r.value().next.empty()) << "stopped without a next";
    EXPECT_LE(index.items_asked, kWalkItemBudget);
    for (const auto& [shard, n] : index.requests_of) EXPECT_LE(n, kWalkRounds);
    // Following next reads every item once, then ends.
    int pages = 0;
    index.items_read = 0;
    EXPECT_TRUE(WalkAll(index, none, Order::kDesc, 100, &pages).empty());
    EXPECT_GE(index.items_read, 60000u);
    EXPECT_LE(index.items_read, 60000u + 100u * static_cast<size_t>(shards) * pages);
    EXPECT_GE(pages, 3) << shards;
  }
}

TEST(DynamoDbWalk, RareSeverityReadsAboutWhatItNeeds) {
  // Scenario (a) of the issue: severity=error, newest 100, 1% errors.
  for (int shards : {1, 8}) {
    FakeIndex index(shards);
    Fill(index, 40000, 10'000'000, 23);
    const Filter errors = Severities({Severity::kError});
    auto r = SearchOnce(index, errors, Order::kDesc, 100, "");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().entries->size(), 100u);
    std::vector<Item> want = index.Expected(errors, Order::kDesc);
    want.resize(100);
    std::vector<std::string> got;
    for (const LogEntry& e : *r.value().entries) got.push_back(e.log_id);
    EXPECT_EQ(got, Ids(want));
    std::cout << "[ MEASURED ] severity=error newest 100 at 1%, " << shards
              << " shards: " << index.items_read << " items read, " << index.requests
              << " Queries\n";
    EXPECT_LE(index.items_read, 14000u);
  }
}

TEST(DynamoDbWalk, NothingToFindSendsNothing) {
  FakeIndex index(4);
  Fill(index, 100, 100, 1);
  Filter empty_range;
  empty_range.from_ms = empty_range.to_ms = kBase + 10;
  for (const Filter& f : {empty_range, Severities({})}) {
    auto r = SearchOnce(index, f, Order::kDesc, 100, "");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value().entries->empty());
    EXPECT_EQ(r.value().next, "");
  }
  EXPECT_EQ(index.requests, 0);
}

TEST(DynamoDbWalk, AnEmptyTableEndsAtOnce) {
  FakeIndex index(8);
  auto r = SearchOnce(index, Filter(), Order::kDesc, 100, "");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value().entries->empty());
  EXPECT_EQ(r.value().next, "");
  EXPECT_EQ(index.requests, 8);
}

// ---- stats -------------------------------------------------------------------------

TEST(DynamoDbWalk, StatsAddUpToTheMatchingEntries) {
  for (int shards : {1, 8}) {
    FakeIndex index(shards);
    Fill(index, 50000, 3'600'000, 31);
    Filter f = Severities({Severity::kWarning, Severity::kError});
    f.text = ParseText("alpha").value();
    f.from_ms = kBase + 60'000;
    f.to_ms = kBase + 3'000'000;
    const int64_t step = 60'000;
    const size_t buckets = static_cast<size_t>(StatsBucketCount(f.from_ms, f.to_ms, step));
    std::vector<std::array<int64_t, kSeverityCount>> total(buckets, {0, 0, 0});
    std::string position;
    int calls = 0;
    do {
      auto cursors =
          DecodePosition(position, WalkKind::kStats, Order::kAsc, shards, f.from_ms, f.to_ms);
      ASSERT_TRUE(cursors.ok()) << cursors.status().message();
      StatsWalk walk(f, step, std::move(cursors).value());
      index.items_asked = 0;
      RunCall(walk, index, f, Order::kAsc);
      EXPECT_LE(index.items_asked, kWalkItemBudget);
      StatsPage page = walk.Finish();
      ASSERT_EQ(page.counts.size(), buckets);
      for (size_t b = 0; b < buckets; ++b) {
        for (size_t s = 0; s < kSeverityCount; ++s) total[b][s] += page.counts[b][s];
      }
      position = page.next;
      ++calls;
    } while (!position.empty() && calls < 100);
    EXPECT_GE(calls, 2) << "the budget never stopped a call";
    std::vector<std::array<int64_t, kSeverityCount>> want(buckets, {0, 0, 0});
    for (const Item& item : index.Expected(f, Order::kAsc)) {
      Severity sev;
      ASSERT_TRUE(FakeIndex::ParseSeverityName(item.severity, &sev));
      want[static_cast<size_t>(FloorDiv(item.ms(), step) - FloorDiv(f.from_ms, step))]
          [static_cast<size_t>(sev)] += 1;
    }
    EXPECT_EQ(total, want);
  }
}

}  // namespace
}  // namespace logsvc::store::dynamodb
