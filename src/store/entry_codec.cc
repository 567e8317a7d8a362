#include "store/entry_codec.h"

namespace logsvc::store {
namespace {

constexpr char kFormatV1 = 1;  // with the id
constexpr char kFormatV2 = 2;  // without it
constexpr uint64_t kSignBit = uint64_t{1} << 63;

void PutBigEndian(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint64_t GetBigEndian(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

std::string EncodeTimeKey(const TimeKey& k) {
  std::string out;
  out.reserve(16);
  PutBigEndian(&out, static_cast<uint64_t>(k.timestamp_ms) ^ kSignBit);
  PutBigEndian(&out, k.seq);
  return out;
}

bool DecodeTimeKey(std::string_view bytes, TimeKey* out) {
  if (bytes.size() != 16) return false;
  out->timestamp_ms = static_cast<int64_t>(GetBigEndian(bytes.data()) ^ kSignBit);
  out->seq = GetBigEndian(bytes.data() + 8);
  return true;
}

std::string EncodeU64(uint64_t v) {
  std::string out;
  PutBigEndian(&out, v);
  return out;
}

bool DecodeU64(std::string_view bytes, uint64_t* out) {
  if (bytes.size() != 8) return false;
  *out = GetBigEndian(bytes.data());
  return true;
}

std::string EncodeEntry(const LogEntry& e) {
  std::string out;
  out.reserve(2 + e.message.size());
  out.push_back(kFormatV2);
  out.push_back(static_cast<char>(e.severity));
  out.append(e.message);
  return out;
}

Result<LogEntry> DecodeEntry(std::string_view key, std::string_view value) {
  TimeKey k;
  const auto corrupt = [] { return Status::Internal("corrupt entry record in the RocksDB store"); };
  if (!DecodeTimeKey(key, &k) || value.empty()) return corrupt();
  size_t header = 0;
  std::string id;
  if (value[0] == kFormatV2) {
    header = 1;
  } else if (value[0] == kFormatV1 && value.size() >= 18) {
    uuid::Bytes b;
    std::copy(value.begin() + 1, value.begin() + 17, b.begin());
    id = uuid::Format(b);
    header = 17;
  } else {
    return corrupt();
  }
  if (value.size() <= header ||
      static_cast<unsigned char>(value[header]) > static_cast<unsigned char>(Severity::kError)) {
    return corrupt();
  }
  return LogEntry{std::move(id), k.timestamp_ms, static_cast<Severity>(value[header]),
                  std::string(value.substr(header + 1))};
}

}  // namespace logsvc::store
