// How the RocksDB store lays entries out on disk. Column families:
//   "entries": TimeKey -> EncodedEntry    (ordered by time: GET /logs)
//   default:   "epoch" -> 8-byte big-endian count of opens (sequence numbers
//              are epoch << 40 | a counter, so they grow across restarts);
//              "id-key" -> the 16-byte key that turns TimeKeys into log ids
//              and back (store/id_codec.h: GET /logs/{logId})
// TimeKey is 16 bytes: the timestamp then a per-store sequence number, both
// big-endian (the timestamp's sign bit flipped), so byte order is time order
// and equal milliseconds keep ingest order.
// EncodedEntry, format 2 (written for an entry without attributes): format
// byte (2), severity (1), message bytes. Format 3 (an entry with attributes):
// format byte (3), severity (1), varint message length, message, varint
// attribute count, then per attribute a varint key length, key, varint value
// length, value (sorted by key, as LogEntry keeps them). The log id is not
// stored: it is the key, encrypted (store/id_codec.h), so it is made again
// when the entry is read (16 bytes an entry of random, incompressible data
// saved). Format 1 (still read): format byte (1), UUID (16), severity (1),
// message bytes.
#ifndef LOGSVC_STORE_ENTRY_CODEC_H_
#define LOGSVC_STORE_ENTRY_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/uuid.h"
#include "logsvc/log_entry.h"
#include "logsvc/status.h"

namespace logsvc::store {

struct TimeKey {
  int64_t timestamp_ms;
  uint64_t seq;
};

// Time order, then ingest order: the order of the encoded keys' bytes.
inline bool operator<(const TimeKey& a, const TimeKey& b) {
  return a.timestamp_ms != b.timestamp_ms ? a.timestamp_ms < b.timestamp_ms : a.seq < b.seq;
}

std::string EncodeTimeKey(const TimeKey& k);
void AppendTimeKey(const TimeKey& k, std::string* out);  // EncodeTimeKey's bytes, appended
bool DecodeTimeKey(std::string_view bytes, TimeKey* out);

std::string EncodeU64(uint64_t v);
bool DecodeU64(std::string_view bytes, uint64_t* out);

// Format 2 or 3: e.log_id is not written.
std::string EncodeEntry(const LogEntry& e);
void AppendEntry(const LogEntry& e, std::string* out);  // EncodeEntry's bytes, appended
// Rebuilds the entry from its key and value; kInternal if the bytes are
// corrupt. log_id is the stored one (format 1), or "" (format 2): the caller
// makes it from the key (IdCodec::Encode).
Result<LogEntry> DecodeEntry(std::string_view key, std::string_view value);

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_ENTRY_CODEC_H_
