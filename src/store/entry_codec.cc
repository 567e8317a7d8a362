#include "store/entry_codec.h"

#include "store/varint.h"

namespace logsvc::store {
namespace {

constexpr char kFormatV1 = 1;  // with the id
constexpr char kFormatV2 = 2;  // without it
constexpr char kFormatV3 = 3;  // with attributes
constexpr uint64_t kSignBit = uint64_t{1} << 63;

void PutBigEndian(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint64_t GetBigEndian(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

bool IsSeverity(char c) {
  return static_cast<unsigned char>(c) < static_cast<unsigned char>(kSeverityCount);
}

// Reads a varint length and that many bytes from the front of *in.
bool GetBytes(std::string_view* in, std::string_view* out) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// Format 3, after its format byte: severity (1), varint length and message,
// varint count, then each attribute as varint length and key, varint length
// and value.
Result<LogEntry> DecodeWithAttributes(int64_t timestamp_ms, std::string_view in) {
  const auto corrupt = [] { return Status::Internal("corrupt entry record in the RocksDB store"); };
  if (in.empty() || !IsSeverity(in[0])) return corrupt();
  LogEntry e{{}, timestamp_ms, static_cast<Severity>(in[0]), {}, {}};
  in.remove_prefix(1);
  std::string_view message;
  uint64_t count = 0;
  if (!GetBytes(&in, &message) || !GetVarint(&in, &count) || count > kMaxAttributes) {
    return corrupt();
  }
  e.message = std::string(message);
  e.attributes.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view key, value;
    if (!GetBytes(&in, &key) || !GetBytes(&in, &value)) return corrupt();
    e.attributes.push_back(Attribute{std::string(key), std::string(value)});
  }
  if (!in.empty()) return corrupt();
  return e;
}

}  // namespace

std::string EncodeTimeKey(const TimeKey& k) {
  std::string out;
  out.reserve(16);
  AppendTimeKey(k, &out);
  return out;
}

void AppendTimeKey(const TimeKey& k, std::string* out) {
  PutBigEndian(out, static_cast<uint64_t>(k.timestamp_ms) ^ kSignBit);
  PutBigEndian(out, k.seq);
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
  AppendEntry(e, &out);
  return out;
}

void AppendEntry(const LogEntry& e, std::string* out) {
  if (e.attributes.empty()) {
    out->reserve(out->size() + 2 + e.message.size());
    out->push_back(kFormatV2);
    out->push_back(static_cast<char>(e.severity));
    out->append(e.message);
    return;
  }
  size_t size = 8 + e.message.size();
  for (const Attribute& a : e.attributes) size += 4 + a.key.size() + a.value.size();
  out->reserve(out->size() + size);
  out->push_back(kFormatV3);
  out->push_back(static_cast<char>(e.severity));
  PutVarint(out, e.message.size());
  out->append(e.message);
  PutVarint(out, e.attributes.size());
  for (const Attribute& a : e.attributes) {
    PutVarint(out, a.key.size());
    out->append(a.key);
    PutVarint(out, a.value.size());
    out->append(a.value);
  }
}

Result<LogEntry> DecodeEntry(std::string_view key, std::string_view value) {
  TimeKey k;
  const auto corrupt = [] { return Status::Internal("corrupt entry record in the RocksDB store"); };
  if (!DecodeTimeKey(key, &k) || value.empty()) return corrupt();
  size_t header = 0;
  std::string id;
  if (value[0] == kFormatV3) return DecodeWithAttributes(k.timestamp_ms, value.substr(1));
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
  if (value.size() <= header || !IsSeverity(value[header])) return corrupt();
  return LogEntry{std::move(id), k.timestamp_ms, static_cast<Severity>(value[header]),
                  std::string(value.substr(header + 1))};
}

}  // namespace logsvc::store
