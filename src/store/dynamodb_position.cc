#include "store/dynamodb_position.h"

#include <simdjson.h>

#include <optional>

#include "core/uuid.h"

namespace logsvc::store::dynamodb {
namespace {

constexpr uint8_t kSearchMagic = 0xA1;
constexpr uint8_t kStatsMagic = 0xA2;
constexpr uint8_t kStateMask = 0x03;
constexpr uint8_t kUuidId = 0x04;
constexpr uint8_t kTextTimestamp = 0x08;
constexpr size_t kMaxIdBytes = 2048;  // DynamoDB's limit for a partition key
constexpr size_t kMaxTimestampText = 40;
constexpr int kMaxShards = 64;

uint8_t Magic(WalkKind kind) { return kind == WalkKind::kSearch ? kSearchMagic : kStatsMagic; }

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutText(std::string* out, std::string_view text) {
  PutVarint(out, text.size());
  out->append(text);
}

// Reads what EncodePosition wrote; every read fails cleanly at the end of input.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool done() const { return in_.empty(); }

  bool Byte(uint8_t* out) {
    if (in_.empty()) return false;
    *out = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    return true;
  }
  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b;
      if (!Byte(&b)) return false;
      // The tenth byte holds the 64th bit only.
      if (shift == 63 && b > 1) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool Text(size_t max, std::string_view* out) {
    uint64_t n;
    if (!Varint(&n) || n == 0 || n > max || n > in_.size()) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }

 private:
  std::string_view in_;
};

// The id as 16 bytes, when they format back to it exactly (lower-case UUIDs).
std::optional<uuid::Bytes> CompactId(std::string_view id) {
  auto bytes = uuid::Parse(id);
  if (!bytes || uuid::Format(*bytes) != id) return std::nullopt;
  return bytes;
}

Status Malformed() {
  return Status::InvalidArgument(
      "The cursor is not one this server made for this query; start again without it.");
}

}  // namespace

std::string EncodePosition(WalkKind kind, Order order, const std::vector<ShardCursor>& shards) {
  bool all_exhausted = true;
  for (const ShardCursor& c : shards) all_exhausted &= c.state == ShardCursor::State::kExhausted;
  if (all_exhausted) return "";
  std::string out;
  out.push_back(static_cast<char>(Magic(kind)));
  out.push_back(static_cast<char>(order == Order::kAsc ? 1 : 0));
  out.push_back(static_cast<char>(shards.size()));
  int64_t base = 0;
  for (const ShardCursor& c : shards) {
    uint8_t tag = static_cast<uint8_t>(c.state);
    if (c.state != ShardCursor::State::kAfter) {
      out.push_back(static_cast<char>(tag));
      continue;
    }
    const std::optional<uuid::Bytes> id = CompactId(c.after.log_id);
    const bool text = c.after.timestamp != std::to_string(c.after.timestamp_ms);
    tag |= (id ? kUuidId : 0) | (text ? kTextTimestamp : 0);
    out.push_back(static_cast<char>(tag));
    if (id) {
      out.append(reinterpret_cast<const char*>(id->data()), id->size());
    } else {
      PutText(&out, c.after.log_id);
    }
    if (text) {
      PutText(&out, c.after.timestamp);
    } else {
      // Zigzag: small differences either way take one or two bytes. Computed
      // unsigned, so that no difference of two int64 overflows.
      const uint64_t delta =
          static_cast<uint64_t>(c.after.timestamp_ms) - static_cast<uint64_t>(base);
      PutVarint(&out, (delta << 1) ^ (0 - (delta >> 63)));
    }
    base = c.after.timestamp_ms;
  }
  return out;
}

Result<std::vector<ShardCursor>> DecodePosition(std::string_view position, WalkKind kind,
                                                Order order, int index_shards, int64_t from_ms,
                                                int64_t to_ms) {
  std::vector<ShardCursor> shards(static_cast<size_t>(index_shards));
  if (position.empty()) return shards;
  Reader in(position);
  uint8_t magic, order_byte, count;
  if (!in.Byte(&magic) || !in.Byte(&order_byte) || !in.Byte(&count) || magic != Magic(kind) ||
      order_byte != (order == Order::kAsc ? 1 : 0) || count < 1 || count > kMaxShards) {
    return Malformed();
  }
  if (count != index_shards) {
    return Status::InvalidArgument(
        "The cursor does not fit this table's " + std::to_string(index_shards) +
        " index shards (it was made for " + std::to_string(count) + "); start again without it.");
  }
  int64_t base = 0;
  for (ShardCursor& c : shards) {
    uint8_t tag;
    if (!in.Byte(&tag)) return Malformed();
    const uint8_t state = tag & kStateMask;
    if (state > static_cast<uint8_t>(ShardCursor::State::kExhausted)) return Malformed();
    c.state = static_cast<ShardCursor::State>(state);
    if (c.state != ShardCursor::State::kAfter) {
      if (tag != state) return Malformed();
      continue;
    }
    if ((tag & ~(kStateMask | kUuidId | kTextTimestamp)) != 0) return Malformed();
    if (tag & kUuidId) {
      uuid::Bytes b;
      for (uint8_t& byte : b) {
        if (!in.Byte(&byte)) return Malformed();
      }
      c.after.log_id = uuid::Format(b);
    } else {
      std::string_view id;
      if (!in.Text(kMaxIdBytes, &id) || !simdjson::validate_utf8(id.data(), id.size()) ||
          CompactId(id)) {
        return Malformed();
      }
      c.after.log_id = std::string(id);
    }
    const bool text = tag & kTextTimestamp;
    if (text) {
      std::string_view ts;
      if (!in.Text(kMaxTimestampText, &ts) || !ParseTimestampMillis(ts, &c.after.timestamp_ms)) {
        return Malformed();
      }
      c.after.timestamp = std::string(ts);
      // The plain integer form is never written as text: one encoding per position.
      if (c.after.timestamp == std::to_string(c.after.timestamp_ms)) return Malformed();
    } else {
      uint64_t zigzag;
      if (!in.Varint(&zigzag)) return Malformed();
      const uint64_t delta = (zigzag >> 1) ^ (0 - (zigzag & 1));
      c.after.timestamp_ms = static_cast<int64_t>(static_cast<uint64_t>(base) + delta);
      c.after.timestamp = std::to_string(c.after.timestamp_ms);
    }
    // DynamoDB refuses a start outside the key condition, which holds the
    // numbers of whole milliseconds in the range (LowestNumberOf).
    if (c.after.timestamp_ms < from_ms || c.after.timestamp_ms >= to_ms) return Malformed();
    base = c.after.timestamp_ms;
  }
  if (!in.done()) return Malformed();
  return shards;
}

}  // namespace logsvc::store::dynamodb
