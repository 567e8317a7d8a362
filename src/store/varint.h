// LEB128 varints, as the store's formats write lengths and counts
// (docs/storage.md). Header-only, pure.
#ifndef LOGSVC_STORE_VARINT_H_
#define LOGSVC_STORE_VARINT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace logsvc::store {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint from the front of *in and removes it; false if *in ends
// first or the varint is longer than 64 bits allow.
inline bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

}  // namespace logsvc::store

#endif  // LOGSVC_STORE_VARINT_H_
