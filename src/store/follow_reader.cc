#include "store/follow_reader.h"

#include <rocksdb/db.h>

#include <algorithm>

#include "core/uuid.h"
#include "store/entry_codec.h"
#include "store/index_format.h"

namespace logsvc::store {

std::string FollowPosition(uint64_t next_seq) { return "f" + EncodeU64(next_seq); }

bool ParseFollowPosition(std::string_view position, uint64_t* next_seq) {
  return position.size() == 9 && position[0] == 'f' && DecodeU64(position.substr(1), next_seq);
}

FollowPageBuilder::FollowPageBuilder(Filter filter, size_t limit, uint64_t from)
    : filter_(std::move(filter)), limit_(std::max<size_t>(1, limit)), next_(from) {}

void FollowPageBuilder::Examine(uint64_t seq, const LogEntry& e) {
  ++examined_;
  next_ = seq + 1;
  if (!Matches(filter_, e.timestamp_ms, e.severity, e.message, e.attributes)) return;
  page_.entries.push_back(e);
  page_.entry_positions.push_back(FollowPosition(next_));
}

FollowPage FollowPageBuilder::Finish(uint64_t caught_up_to) {
  page_.more = full();
  if (!page_.more) next_ = std::max(next_, caught_up_to);
  page_.position = FollowPosition(next_);
  return std::move(page_);
}

void FollowFromChunks(const std::vector<TailBuffer::Chunk>& chunks, uint64_t end,
                      FollowPageBuilder* b) {
  for (const TailBuffer::Chunk& c : chunks) {
    const uint64_t from = std::max(b->next(), c.first);
    for (uint64_t seq = from; seq < end && seq - c.first < c.entries->size(); ++seq) {
      if (b->full()) return;
      b->Examine(seq, (*c.entries)[seq - c.first]);
    }
  }
}

Status FollowFromDisk(const index::SearchContext& ctx, uint64_t end, FollowPageBuilder* b) {
  using index::kPageBits;
  std::vector<index::TimePoint> points;
  std::vector<TimeKey> keys;
  std::vector<std::string> key_bytes, values;
  while (b->next() < end && !b->full()) {
    const uint64_t seq = b->next();
    const uint64_t segment = index::SegmentOf(seq);
    // The next segment the store knows of, from this one on.
    auto known = std::lower_bound(ctx.segments.begin(), ctx.segments.end(), segment,
                                  [](const auto& s, uint64_t v) { return s.first < v; });
    if (known == ctx.segments.end()) {
      b->Pass(end - 1);  // no segment holds a number from here to the watermark
      break;
    }
    if (known->first != segment) {
      b->Pass(std::min(end, index::SeqOf(known->first, 0)) - 1);
      continue;
    }
    const uint32_t page = index::OrdinalOf(seq) >> kPageBits;
    const uint64_t page_end =
        std::min<uint64_t>(end, index::SeqOf(segment, 0) + (uint64_t{page + 1} << kPageBits));
    std::string bytes;
    rocksdb::Status s = ctx.db->Get(ctx.read, ctx.index, index::TimesKey(segment, page), &bytes);
    points.clear();
    if (!s.ok() && !s.IsNotFound()) {
      return Status::Unavailable("the RocksDB store failed: " + s.ToString());
    }
    if (s.ok() && !index::DecodeTimes(bytes, &points)) {
      return Status::Internal("a times page of the search index is corrupt");
    }
    keys.clear();
    for (const index::TimePoint& p : points) {
      const uint64_t n = index::SeqOf(segment, p.ordinal);
      if (n >= seq && n < page_end) keys.push_back({p.timestamp_ms, n});
    }
    key_bytes.clear();
    for (const TimeKey& k : keys) key_bytes.push_back(EncodeTimeKey(k));
    std::vector<rocksdb::Slice> slices(key_bytes.begin(), key_bytes.end());
    std::vector<rocksdb::ColumnFamilyHandle*> families(slices.size(), ctx.entries);
    values.clear();
    const std::vector<rocksdb::Status> found =
        ctx.db->MultiGet(ctx.read, families, slices, &values);
    const auto ids = ctx.ids->EncodeMany(keys);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (b->full()) return Status::Ok();
      if (found[i].IsNotFound()) {  // deleted by retention
        b->Pass(keys[i].seq);
        continue;
      }
      if (!found[i].ok()) {
        return Status::Unavailable("the RocksDB store failed: " + found[i].ToString());
      }
      Result<LogEntry> e = DecodeEntry(key_bytes[i], values[i]);
      if (!e.ok()) return e.status();
      if (e.value().log_id.empty() && ids[i]) e.value().log_id = uuid::Format(*ids[i]);
      b->Examine(keys[i].seq, e.value());
    }
    if (b->full()) break;
    b->Pass(page_end - 1);
  }
  return Status::Ok();
}

}  // namespace logsvc::store
