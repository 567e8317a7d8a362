#include "store/id_codec.h"

namespace logsvc::store {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr uint32_t kBits = 122;
constexpr uint32_t kHalfBits = kBits / 2;  // FF1's u = v = 61
constexpr uint64_t kHalfMask = (uint64_t{1} << kHalfBits) - 1;
constexpr int kTimestampBits = kBits - 64;

u128 Load(const uuid::Bytes& b) {
  u128 v = 0;
  for (uint8_t byte : b) v = (v << 8) | byte;
  return v;
}

uuid::Bytes Store(u128 v) {
  uuid::Bytes b;
  for (int i = 15; i >= 0; --i, v >>= 8) b[i] = static_cast<uint8_t>(v);
  return b;
}

// The UUID's 128 bits, most significant first: 48 free, 4 version (0100),
// 12 free, 2 variant (10), 62 free.
u128 Pack(u128 x) {
  const u128 high48 = x >> 74, mid12 = (x >> 62) & 0xFFF, low62 = x & ((u128{1} << 62) - 1);
  return high48 << 80 | u128{4} << 76 | mid12 << 64 | u128{2} << 62 | low62;
}

u128 Unpack(u128 id) {
  const u128 high48 = id >> 80, mid12 = (id >> 64) & 0xFFF, low62 = id & ((u128{1} << 62) - 1);
  return high48 << 74 | mid12 << 62 | low62;
}

// Keys a UUID has room for: timestamps in [0, 2^58).
bool Encodable(const TimeKey& key) {
  return key.timestamp_ms >= 0 && key.timestamp_ms < (int64_t{1} << kTimestampBits);
}

}  // namespace

Result<IdCodec> IdCodec::Create(const Key& key) {
  auto ff1 = crypto::Ff1::Create(key, 2);
  if (!ff1.ok()) return ff1.status();
  return IdCodec(std::move(ff1).value());
}

std::optional<uuid::Bytes> IdCodec::Encode(const TimeKey& key) const {
  return EncodeMany({&key, 1})[0];
}

std::vector<std::optional<uuid::Bytes>> IdCodec::EncodeMany(std::span<const TimeKey> keys) const {
  std::vector<crypto::Ff1::Halves> halves;
  halves.reserve(keys.size());
  for (const TimeKey& key : keys) {
    // A key with no id is encrypted as zero, and the result dropped.
    const u128 x =
        Encodable(key) ? u128{static_cast<uint64_t>(key.timestamp_ms)} << 64 | key.seq : 0;
    halves.push_back({static_cast<uint64_t>(x >> kHalfBits), static_cast<uint64_t>(x) & kHalfMask});
  }
  ff1_->EncryptMany(halves, kBits);
  std::vector<std::optional<uuid::Bytes>> ids(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (Encodable(keys[i])) ids[i] = Store(Pack(u128{halves[i].a} << kHalfBits | halves[i].b));
  }
  return ids;
}

TimeKey IdCodec::Decode(const uuid::Bytes& id) const {
  const u128 y = Unpack(Load(id));
  const auto x = ff1_->Decrypt(
      {static_cast<uint64_t>(y >> kHalfBits), static_cast<uint64_t>(y) & kHalfMask}, kBits);
  const u128 plain = u128{x.a} << kHalfBits | x.b;
  return {static_cast<int64_t>(plain >> 64), static_cast<uint64_t>(plain)};
}

}  // namespace logsvc::store

namespace logsvc::store {

Result<LogEntry> DecodeEntryWithId(std::string_view key, std::string_view value,
                                   const IdCodec& ids) {
  Result<LogEntry> e = DecodeEntry(key, value);
  if (!e.ok()) return e;
  TimeKey k;
  DecodeTimeKey(key, &k);  // DecodeEntry checked it
  if (Status s = FillIds(ids, {&k, 1}, {&e.value(), 1}); !s.ok()) return s;
  return e;
}

Status FillIds(const IdCodec& ids, std::span<const TimeKey> keys, std::span<LogEntry> entries) {
  std::vector<TimeKey> missing;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].log_id.empty()) missing.push_back(keys[i]);
  }
  if (missing.empty()) return Status::Ok();
  const auto made = ids.EncodeMany(missing);
  for (size_t i = 0, m = 0; i < entries.size(); ++i) {
    if (!entries[i].log_id.empty()) continue;
    if (!made[m]) return Status::Internal("corrupt entry key in the RocksDB store (before 1970)");
    entries[i].log_id = uuid::Format(*made[m++]);
  }
  return Status::Ok();
}

bool IsIssuableId(const uuid::Bytes& id) { return (id[6] >> 4) == 4 && (id[8] & 0xc0) == 0x80; }

}  // namespace logsvc::store
