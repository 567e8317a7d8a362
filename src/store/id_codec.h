// IdCodec: the RocksDB store's log ids, which are its entries' keys in disguise.
//
// A log id is a UUID v4: 6 fixed bits (version, variant) and 122 that look
// random. Here those 122 bits are the entry's TimeKey (timestamp, sequence
// number) encrypted with FF1 (src/crypto/ff1.h) under a key that lives in the
// data dir. So GET /logs/{logId} decrypts the id to find the entry, and the
// store keeps no index from ids to keys (which cost a fifth of the server's
// CPU per ingest). Without the key the ids are indistinguishable from random:
// they reveal neither the time nor the order of entries, and cannot be guessed.
//
// Plaintext: 58 bits of timestamp (Unix ms, 0 to 2^58-1) then the 64-bit
// sequence number, as one 122-bit number; FF1 with radix 2 and n = 122.
//
// Thread-safe (immutable).
#ifndef LOGSVC_STORE_ID_CODEC_H_
#define LOGSVC_STORE_ID_CODEC_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/uuid.h"
#include "crypto/ff1.h"
#include "logsvc/status.h"
#include "store/entry_codec.h"

namespace logsvc::store {

class IdCodec {
 public:
  using Key = std::array<uint8_t, 16>;  // AES-128

  static Result<IdCodec> Create(const Key& key);

  // nullopt if the timestamp is outside [0, 2^58): a clock before 1970.
  std::optional<uuid::Bytes> Encode(const TimeKey& key) const;
  // Encode of each key, computed together (crypto::Ff1::EncryptMany): for a
  // page of results or a batch, several times cheaper an id.
  std::vector<std::optional<uuid::Bytes>> EncodeMany(std::span<const TimeKey> keys) const;

  // The key whose id this would be. Every UUID decodes to some key, so the
  // caller still has to look the key up: most of them were never issued.
  TimeKey Decode(const uuid::Bytes& id) const;

 private:
  explicit IdCodec(std::shared_ptr<const crypto::Ff1> ff1) : ff1_(std::move(ff1)) {}
  std::shared_ptr<const crypto::Ff1> ff1_;
};

// DecodeEntry, with the log id made from the key (IdCodec::Encode) where the
// record does not hold it (format 2); kInternal for corrupt bytes.
Result<LogEntry> DecodeEntryWithId(std::string_view key, std::string_view value,
                                   const IdCodec& ids);

// Gives each entry without a log id (format 2 records) the id of its key
// (keys[i] is entries[i]'s); kInternal if a key is before 1970 (corrupt).
Status FillIds(const IdCodec& ids, std::span<const TimeKey> keys, std::span<LogEntry> entries);

// Whether `id` has the fixed bits of every id Encode makes (version 4,
// variant 10): only such ids decode to keys that were issued.
bool IsIssuableId(const uuid::Bytes& id);

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_ID_CODEC_H_
