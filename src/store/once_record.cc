#include "store/once_record.h"

#include "core/datetime.h"
#include "logsvc/log_store.h"

namespace logsvc::store {
namespace {

constexpr char kFormat = 1;
constexpr size_t kFingerprintBytes = 32;
constexpr size_t kHeaderBytes = 1 + kFingerprintBytes + 8;

}  // namespace

std::string OnceRecordKey(std::string_view key) {
  std::string out(kOnceKeyPrefix);
  out.append(key);
  return out;
}

std::string EncodeOnceRecord(const OnceRecord& r) {
  std::string out;
  out.reserve(kHeaderBytes + 16 * r.keys.size());
  out.push_back(kFormat);
  out.append(r.fingerprint);
  out.append(EncodeU64(static_cast<uint64_t>(r.written_ms)));
  for (const TimeKey& k : r.keys) out.append(EncodeTimeKey(k));
  return out;
}

bool DecodeOnceRecord(std::string_view b, OnceRecord* out) {
  if (b.size() < kHeaderBytes || b[0] != kFormat || (b.size() - kHeaderBytes) % 16 != 0) {
    return false;
  }
  out->fingerprint = std::string(b.substr(1, kFingerprintBytes));
  uint64_t written = 0;
  DecodeU64(b.substr(1 + kFingerprintBytes, 8), &written);
  out->written_ms = static_cast<int64_t>(written);
  out->keys.clear();
  for (size_t at = kHeaderBytes; at < b.size(); at += 16) {
    TimeKey k;
    DecodeTimeKey(b.substr(at, 16), &k);
    out->keys.push_back(k);
  }
  return true;
}

bool OnceRecordFilter::Filter(int /*level*/, const rocksdb::Slice& key,
                              const rocksdb::Slice& existing_value, std::string* /*new_value*/,
                              bool* /*value_changed*/) const {
  if (!key.starts_with(rocksdb::Slice(kOnceKeyPrefix.data(), kOnceKeyPrefix.size()))) return false;
  OnceRecord r;
  // A record that does not decode is of no use to anyone: dropped too.
  if (!DecodeOnceRecord(existing_value.ToStringView(), &r)) return true;
  return NowUnixMillis() - r.written_ms > kIdempotencyWindowMs;
}

}  // namespace logsvc::store
