// The search index of the RocksDB store: its keys and values. docs/storage.md
// describes the design (what an ingest writes, what each query reads); this
// file is the one place that knows the bytes. Pure functions, thread-safe.
//
// Entries are grouped into segments of 2^16 consecutive sequence numbers
// (TimeKey::seq: segment = seq >> 16, ordinal = seq & 0xffff). Column family
// "index":
//   'm' segment(8)             -> segment summary: min and max timestamp,
//                                 entries by severity
//   't' segment(8) page(1)     -> times page: the timestamps of ordinals
//                                 page*4096 .. page*4096+4095 that exist
//   'x' segment(8) 'w' word    -> ordinal set: the entries of the segment with
//                                 that (folded) word in their message
//   'x' segment(8) 's' severity(1) -> ordinal set, by severity
//   'x' segment(8) '!'         -> seal: the segment's sets are on disk
// Summaries and times pages are written through the merge operator
// (store/index_merge.h) in the same WriteBatch as their entries. The sets of
// the newest segment are kept in memory (store/pending_segment.h) and written
// once, sorted, as one table file when a newer segment begins ("sealing"):
// a segment's sets are one contiguous key range, so the file goes straight to
// the last level. Until then the entries and their times pages are what makes
// them durable: a segment without a seal is rebuilt from them at open.
// Integers big-endian.
#ifndef LOGSVC_STORE_INDEX_FORMAT_H_
#define LOGSVC_STORE_INDEX_FORMAT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logsvc/log_store.h"

typedef struct roaring_bitmap_s roaring_bitmap_t;  // CRoaring's

namespace logsvc::store::index {

inline constexpr int kSegmentBits = 16;
inline constexpr uint32_t kSegmentSize = 1u << kSegmentBits;
inline constexpr int kPageBits = 12;
inline constexpr uint32_t kPageSize = 1u << kPageBits;
inline constexpr uint32_t kPagesPerSegment = kSegmentSize / kPageSize;

inline constexpr char kWordKind = 'w';
inline constexpr char kSeverityKind = 's';
inline constexpr char kAttributeKind = 'a';
inline constexpr char kTimesKind = 't';
inline constexpr char kSegmentKind = 'm';
inline constexpr char kTermsTag = 'x';  // the sets of a segment: 'x' segment(8) ...
inline constexpr char kSealKind = '!';
// Every key of the index sorts before this one (keys begin with a kind).
inline constexpr char kKeysEnd[] = "\xff";

inline uint64_t SegmentOf(uint64_t seq) { return seq >> kSegmentBits; }
inline uint32_t OrdinalOf(uint64_t seq) { return static_cast<uint32_t>(seq & (kSegmentSize - 1)); }
inline uint64_t SeqOf(uint64_t segment, uint32_t ordinal) {
  return (segment << kSegmentBits) | ordinal;
}

// kind: kWordKind, kSeverityKind (term: one byte, the Severity value) or
// kAttributeKind (term: AttributeTerm). A
// key ends with its term, so the keys of the words of a segment that begin
// with a prefix are the keys that begin with TermKey(kWordKind, prefix, segment).
std::string TermKey(char kind, std::string_view term, uint64_t segment);
// The term of attribute key=value: the key, a 0x00 byte (keys have no control
// characters), the value; cut to its first kMaxAttributeTermBytes bytes, so
// that long values (a stack trace) do not make long index keys. Two values
// that share their first bytes share the term: a search checks each candidate
// entry's attributes (core Matches).
std::string AttributeTerm(std::string_view key, std::string_view value);
inline constexpr size_t kMaxAttributeTermBytes = 256;
// Whether AttributeTerm(key, value) is the whole of key and value.
inline bool AttributeTermIsWhole(std::string_view key, std::string_view value) {
  return key.size() + 1 + value.size() <= kMaxAttributeTermBytes;
}

// The key that says a segment's sets are on disk; the first of its keys.
std::string SealKey(uint64_t segment);
// Every key of a segment's sets is in [SegmentTermsBegin(s), SegmentTermsBegin(s + 1)).
std::string SegmentTermsBegin(uint64_t segment);

std::string TimesKey(uint64_t segment, uint32_t page);
std::string SegmentKey(uint64_t segment);
bool ParseSegmentKey(std::string_view key, uint64_t* segment);

// Ordinal sets: ordinals (0..kSegmentSize-1; EncodeOrdinals sorts them, a
// set of them). Stored as
// whichever is smaller: 0x00, a varint count, then varint deltas (a word seen a few times in
// a segment: two or three bytes), or a CRoaring bitmap in its portable
// format, run-optimized (whose first byte is never 0x00).
std::string EncodeOrdinals(const std::vector<uint32_t>& sorted);
std::string EncodeOrdinalSet(roaring_bitmap_t* set);  // run-optimizes `set`
// The set, for the caller to free (roaring_bitmap_free); nullptr if `bytes`
// are not exactly one set of ordinals (bytes left over, a list not strictly
// ascending, or a value of kSegmentSize or more: it would name an entry of
// another segment).
roaring_bitmap_t* DecodeOrdinals(std::string_view bytes);

// A times page: (ordinal, timestamp) pairs, sorted by ordinal, unique;
// timestamps within [kTimeMinMs, kTimeMaxMs] (core/time_bound.h).
struct TimePoint {
  uint32_t ordinal;
  int64_t timestamp_ms;
};
std::string EncodeTimes(const std::vector<TimePoint>& sorted);
// false if the bytes are not a times page.
bool DecodeTimes(std::string_view bytes, std::vector<TimePoint>* out);

struct SegmentSummary {
  int64_t min_ms = INT64_MAX;
  int64_t max_ms = INT64_MIN;
  std::array<int64_t, kSeverityCount> count{};  // entries by Severity

  void Add(const SegmentSummary& o);
  int64_t total() const {
    int64_t n = 0;
    for (int64_t c : count) n += c;
    return n;
  }
};
// 16 + 8 * kSeverityCount bytes. DecodeSummary also reads the summaries
// written before trace, debug and fatal (three counts: info, warning, error).
std::string EncodeSummary(const SegmentSummary& s);
bool DecodeSummary(std::string_view bytes, SegmentSummary* out);

}  // namespace logsvc::store::index

#endif  // LOGSVC_STORE_INDEX_FORMAT_H_
