#include "api/cursor.h"

#include <array>

#include "core/attributes.h"
#include "core/base64.h"
#include "crypto/sha256.h"

namespace logsvc::api {
namespace {

// Version 2 added the attribute filters (after the position); version 1
// cursors, from before, are still read.
constexpr uint8_t kVersion = 2;
constexpr uint8_t kVersionWithoutAttributes = 1;
constexpr size_t kChecksumBytes = 8;

void PutInt(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutBytes(std::string* out, std::string_view b) {
  PutInt(out, b.size(), 2);
  out->append(b);
}

// Reads big-endian integers and length-prefixed bytes; fails past the end.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Int(int bytes, uint64_t* v) {
    if (b_.size() < static_cast<size_t>(bytes)) return false;
    *v = 0;
    for (int i = 0; i < bytes; ++i) *v = (*v << 8) | static_cast<unsigned char>(b_[i]);
    b_.remove_prefix(bytes);
    return true;
  }
  bool Bytes(std::string_view* v) {
    uint64_t n;
    if (!Int(2, &n) || b_.size() < n) return false;
    *v = b_.substr(0, n);
    b_.remove_prefix(n);
    return true;
  }
  bool done() const { return b_.empty(); }

 private:
  std::string_view b_;
};

Status Invalid() {
  return Status::InvalidArgument(
      "Parameter 'cursor' is not a cursor this service gave out for this route, or it was "
      "changed: pass the previous reply's 'next' unchanged.");
}

}  // namespace

std::string EncodeCursor(const CursorState& s) {
  std::string raw;
  raw.reserve(64 + s.position.size());
  PutInt(&raw, kVersion, 1);
  PutInt(&raw, static_cast<uint8_t>(s.kind), 1);
  PutInt(&raw, s.filter.severities.bits(), 4);
  PutInt(&raw, static_cast<uint64_t>(s.filter.from_ms), 8);
  PutInt(&raw, static_cast<uint64_t>(s.filter.to_ms), 8);
  PutInt(&raw, static_cast<uint8_t>(s.order), 1);
  PutInt(&raw, s.limit, 2);
  PutInt(&raw, static_cast<uint64_t>(s.step_ms), 8);
  PutBytes(&raw, RenderText(s.filter.text));
  PutBytes(&raw, s.position);
  PutInt(&raw, s.filter.attributes.size(), 1);
  for (const Attribute& a : s.filter.attributes) {
    PutBytes(&raw, a.key);
    PutBytes(&raw, a.value);
  }
  const auto d = crypto::Sha256(raw);
  raw.append(reinterpret_cast<const char*>(d.data()), kChecksumBytes);
  return base64::Encode(raw, base64::Alphabet::kUrl);
}

Result<CursorState> DecodeCursor(std::string_view text, CursorKind kind) {
  std::string raw;
  if (text.size() > kMaxCursorBytes || !base64::Decode(text, base64::Alphabet::kUrl, &raw) ||
      raw.size() < kChecksumBytes) {
    return Invalid();
  }
  const std::string_view body(raw.data(), raw.size() - kChecksumBytes);
  const auto d = crypto::Sha256(body);
  if (std::string_view(raw).substr(body.size()) !=
      std::string_view(reinterpret_cast<const char*>(d.data()), kChecksumBytes)) {
    return Invalid();
  }
  Reader r(body);
  uint64_t version, k, sev, from, to, order, limit, step;
  std::string_view q, position;
  if (!r.Int(1, &version) || (version != kVersion && version != kVersionWithoutAttributes) ||
      !r.Int(1, &k) || k != static_cast<uint8_t>(kind) || !r.Int(4, &sev) || !r.Int(8, &from) ||
      !r.Int(8, &to) || !r.Int(1, &order) || order > 1 || !r.Int(2, &limit) || !r.Int(8, &step) ||
      !r.Bytes(&q) || !r.Bytes(&position)) {
    return Invalid();
  }
  CursorState s;
  uint64_t attribute_count = 0;
  if (version == kVersion &&
      (!r.Int(1, &attribute_count) || attribute_count > kMaxAttributeFilters)) {
    return Invalid();
  }
  size_t attribute_bytes = 0;
  for (uint64_t i = 0; i < attribute_count; ++i) {
    std::string_view key, value;
    // What attr.<key> could have asked for (core/query.h), no more.
    if (!r.Bytes(&key) || !r.Bytes(&value) || !AttributeKeyProblem(key).empty()) return Invalid();
    attribute_bytes += key.size() + value.size();
    if (attribute_bytes > kMaxAttributeFilterBytes) return Invalid();
    s.filter.attributes.push_back(Attribute{std::string(key), std::string(value)});
  }
  if (!r.done()) return Invalid();
  s.kind = kind;
  s.filter.severities = SeveritySet();  // a Filter starts with every severity
  for (unsigned v = 0; v < 32; ++v) {
    if ((sev >> v) & 1) s.filter.severities.Add(static_cast<Severity>(v));
  }
  s.filter.from_ms = static_cast<int64_t>(from);
  s.filter.to_ms = static_cast<int64_t>(to);
  if (!q.empty()) {
    auto text_query = ParseText(q);
    if (!text_query.ok()) return Invalid();
    s.filter.text = std::move(text_query).value();
  }
  s.order = static_cast<Order>(order);
  s.limit = limit;
  s.step_ms = static_cast<int64_t>(step);
  s.position = std::string(position);
  // Only what the parameters could have asked for.
  const bool search_ok = kind != CursorKind::kSearch || (limit >= 1 && limit <= kMaxSearchLimit);
  const bool stats_ok = kind != CursorKind::kStats || step > 0;
  if (s.filter.severities.empty() || (s.filter.severities.bits() & ~SeveritySet::All().bits()) ||
      s.filter.from_ms > s.filter.to_ms || s.filter.from_ms < kTimeMinMs ||
      s.filter.to_ms > kTimeMaxMs || !search_ok || !stats_ok) {
    return Invalid();
  }
  return s;
}

}  // namespace logsvc::api
