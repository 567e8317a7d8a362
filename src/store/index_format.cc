#include "store/index_format.h"

#include <roaring/roaring.h>

#include <algorithm>

#include "store/varint.h"

namespace logsvc::store::index {
namespace {

void PutBig(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBig(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
uint64_t UnZigZag(uint64_t v) { return (v >> 1) ^ (0 - (v & 1)); }

}  // namespace

std::string SegmentTermsBegin(uint64_t segment) {
  std::string key(1, kTermsTag);
  PutBig(&key, segment, 8);
  return key;
}

std::string TermKey(char kind, std::string_view term, uint64_t segment) {
  std::string key;
  key.reserve(term.size() + 10);
  key.push_back(kTermsTag);
  PutBig(&key, segment, 8);
  key.push_back(kind);
  key.append(term);
  return key;
}

std::string SealKey(uint64_t segment) {
  std::string key = SegmentTermsBegin(segment);
  key.push_back(kSealKind);
  return key;
}

std::string TimesKey(uint64_t segment, uint32_t page) {
  std::string key(1, kTimesKind);
  PutBig(&key, segment, 8);
  key.push_back(static_cast<char>(page));
  return key;
}

std::string SegmentKey(uint64_t segment) {
  std::string key(1, kSegmentKind);
  PutBig(&key, segment, 8);
  return key;
}

bool ParseSegmentKey(std::string_view key, uint64_t* segment) {
  if (key.size() != 9 || key[0] != kSegmentKind) return false;
  *segment = GetBig(key.substr(1));
  return true;
}

namespace {

constexpr char kListFormat = 0;
// Past this many ordinals a list is never smaller than a bitmap.
constexpr size_t kMaxListOrdinals = 4096;

std::string EncodeList(const uint32_t* ordinals, size_t n) {
  std::string out(1, kListFormat);
  PutVarint(&out, n);  // so that a cut or lengthened list is not another list
  uint32_t prev = 0;
  for (size_t i = 0; i < n; ++i) {
    PutVarint(&out, ordinals[i] - prev);
    prev = ordinals[i];
  }
  return out;
}

std::string EncodeRoaring(roaring_bitmap_t* r) {
  roaring_bitmap_run_optimize(r);
  std::string out(roaring_bitmap_portable_size_in_bytes(r), '\0');
  roaring_bitmap_portable_serialize(r, out.data());
  return out;
}

}  // namespace

std::string EncodeOrdinals(const std::vector<uint32_t>& sorted) {
  if (sorted.empty()) return EncodeList(nullptr, 0);
  if (sorted.size() <= 8 &&
      std::adjacent_find(sorted.begin(), sorted.end(),
                         [](uint32_t a, uint32_t b) { return a >= b; }) == sorted.end()) {
    return EncodeList(sorted.data(), sorted.size());
  }
  roaring_bitmap_t* r = roaring_bitmap_of_ptr(sorted.size(), sorted.data());
  std::string out = EncodeOrdinalSet(r);
  roaring_bitmap_free(r);
  return out;
}

std::string EncodeOrdinalSet(roaring_bitmap_t* set) {
  std::string bitmap = EncodeRoaring(set);
  const uint64_t n = roaring_bitmap_get_cardinality(set);
  if (n > kMaxListOrdinals) return bitmap;
  std::vector<uint32_t> ordinals(n);
  roaring_bitmap_to_uint32_array(set, ordinals.data());
  std::string list = EncodeList(ordinals.data(), n);
  return list.size() < bitmap.size() ? list : bitmap;
}

roaring_bitmap_t* DecodeOrdinals(std::string_view bytes) {
  if (bytes.empty()) return nullptr;
  if (bytes[0] != kListFormat) {
    // The safe deserializer reads at most `bytes`, but stops where the set
    // ends: the size check makes trailing bytes an error too.
    if (roaring_bitmap_portable_deserialize_size(bytes.data(), bytes.size()) != bytes.size()) {
      return nullptr;
    }
    roaring_bitmap_t* r = roaring_bitmap_portable_deserialize_safe(bytes.data(), bytes.size());
    if (r && !roaring_bitmap_is_empty(r) && roaring_bitmap_maximum(r) >= kSegmentSize) {
      roaring_bitmap_free(r);
      return nullptr;
    }
    return r;
  }
  bytes.remove_prefix(1);
  uint64_t n;
  if (!GetVarint(&bytes, &n) || n > kMaxListOrdinals) return nullptr;
  std::vector<uint32_t> ordinals;
  ordinals.reserve(n);
  uint64_t ordinal = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t delta;
    if (!GetVarint(&bytes, &delta) || delta >= kSegmentSize) return nullptr;
    ordinal += delta;
    if (ordinal >= kSegmentSize || (i > 0 && delta == 0)) return nullptr;
    ordinals.push_back(static_cast<uint32_t>(ordinal));
  }
  if (!bytes.empty()) return nullptr;
  // (CRoaring 0.2 reads the first value of an empty array.)
  if (ordinals.empty()) return roaring_bitmap_create();
  return roaring_bitmap_of_ptr(ordinals.size(), ordinals.data());
}

std::string EncodeTimes(const std::vector<TimePoint>& sorted) {
  // Ordinals ascend (delta >= 1 but for the first); timestamps roughly do:
  // zig-zag deltas of both make one to three bytes a point.
  std::string out;
  out.reserve(sorted.size() * 3 + 4);
  PutVarint(&out, sorted.size());
  uint32_t prev_ord = 0;
  int64_t prev_ts = 0;
  for (const TimePoint& p : sorted) {
    PutVarint(&out, p.ordinal - prev_ord);
    PutVarint(&out, ZigZag(p.timestamp_ms - prev_ts));
    prev_ord = p.ordinal;
    prev_ts = p.timestamp_ms;
  }
  return out;
}

bool DecodeTimes(std::string_view in, std::vector<TimePoint>* out) {
  uint64_t n;
  if (!GetVarint(&in, &n) || n > kSegmentSize) return false;
  out->clear();
  out->reserve(n);
  uint64_t ord = 0;
  uint64_t ts = 0;  // two's complement: corrupt deltas wrap instead of overflowing
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t d_ord, d_ts;
    if (!GetVarint(&in, &d_ord) || !GetVarint(&in, &d_ts)) return false;
    if (d_ord >= kSegmentSize || (i > 0 && d_ord == 0)) return false;
    ord += d_ord;
    ts += UnZigZag(d_ts);
    const auto t = static_cast<int64_t>(ts);
    if (ord >= kSegmentSize || t < kTimeMinMs || t > kTimeMaxMs) return false;
    out->push_back({static_cast<uint32_t>(ord), t});
  }
  return in.empty();
}

void SegmentSummary::Add(const SegmentSummary& o) {
  min_ms = std::min(min_ms, o.min_ms);
  max_ms = std::max(max_ms, o.max_ms);
  for (size_t i = 0; i < kSeverityCount; ++i) count[i] += o.count[i];
}

std::string EncodeSummary(const SegmentSummary& s) {
  std::string out;
  PutBig(&out, static_cast<uint64_t>(s.min_ms), 8);
  PutBig(&out, static_cast<uint64_t>(s.max_ms), 8);
  for (int64_t c : s.count) PutBig(&out, static_cast<uint64_t>(c), 8);
  return out;
}

bool DecodeSummary(std::string_view b, SegmentSummary* out) {
  constexpr size_t kOriginalSeverities = 3;  // before trace, debug and fatal
  const size_t counts = (b.size() - 16) / 8;
  if (b.size() < 16 || b.size() % 8 != 0 ||
      (counts != kSeverityCount && counts != kOriginalSeverities)) {
    return false;
  }
  out->min_ms = static_cast<int64_t>(GetBig(b.substr(0, 8)));
  out->max_ms = static_cast<int64_t>(GetBig(b.substr(8, 8)));
  out->count.fill(0);
  for (size_t i = 0; i < counts; ++i) {
    out->count[i] = static_cast<int64_t>(GetBig(b.substr(16 + 8 * i, 8)));
  }
  return true;
}

std::string AttributeTerm(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(std::min(kMaxAttributeTermBytes, key.size() + 1 + value.size()));
  out.append(key);
  out.push_back('\0');
  out.append(value);
  if (out.size() > kMaxAttributeTermBytes) out.resize(kMaxAttributeTermBytes);
  return out;
}

}  // namespace logsvc::store::index
