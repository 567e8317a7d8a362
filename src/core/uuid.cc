#include "core/uuid.h"

#include <random>

#include "core/ascii.h"

namespace logsvc::uuid {
namespace {

std::mt19937_64& ThreadGenerator() {
  // std::random_device reads getrandom(2); 256 bits of seed per thread.
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

constexpr bool IsDashPosition(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace

Bytes NewV4() {
  auto& gen = ThreadGenerator();
  Bytes b;
  for (int half = 0; half < 2; ++half) {
    uint64_t r = gen();
    for (int k = 0; k < 8; ++k) b[half * 8 + k] = static_cast<uint8_t>(r >> (8 * k));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3F) | 0x80);  // variant 10
  return b;
}

std::string Format(const Bytes& b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(36, '-');
  size_t pos = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (IsDashPosition(pos)) ++pos;
    s[pos++] = kHex[b[i] >> 4];
    s[pos++] = kHex[b[i] & 0xF];
  }
  return s;
}

std::optional<Bytes> Parse(std::string_view s) {
  if (s.size() != 36) return std::nullopt;
  Bytes b{};
  size_t byte = 0;
  for (size_t i = 0; i < 36;) {
    if (IsDashPosition(i)) {
      if (s[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = ascii::HexValue(s[i]), lo = ascii::HexValue(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    b[byte++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return b;
}

}  // namespace logsvc::uuid
