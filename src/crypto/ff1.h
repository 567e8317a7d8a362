// FF1: format-preserving encryption with AES (NIST SP 800-38G Rev. 1, §5.1).
//
// It encrypts a numeral string of n digits in base `radix` into another of the
// same length and base: a keyed permutation of [0, radix^n). logsvc uses it
// (radix 2, 122 digits) to turn an entry's storage key into the random-looking
// bits of a UUID v4 and back (src/store/id_codec.h).
//
// This implementation keeps each half of the string in a 64-bit integer, so it
// takes strings whose halves fit: radix^ceil(n/2) <= 2^64. That covers all of
// NIST's sample vectors, which the unit tests check. Strings are passed either
// as digit vectors (the standard's form) or, for speed, as the two halves'
// values: A = NUM(X[1..u]) and B = NUM(X[u+1..n]) with u = floor(n/2).
//
// Thread-safe: an Ff1 is immutable; each thread keys its own AES context the
// first time it uses an instance.
#ifndef LOGSVC_CRYPTO_FF1_H_
#define LOGSVC_CRYPTO_FF1_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "logsvc/status.h"

namespace logsvc::crypto {

class Ff1 {
 public:
  static constexpr size_t kMaxTweakBytes = 64;

  // key: 16, 24 or 32 bytes (AES-128, -192, -256); radix: 2 to 65536.
  // kInvalidArgument otherwise.
  static Result<std::shared_ptr<const Ff1>> Create(std::span<const uint8_t> key, uint32_t radix);

  struct Halves {
    uint64_t a;  // NUM_radix of the first floor(n/2) digits
    uint64_t b;  // NUM_radix of the other ceil(n/2)
  };

  // Encrypt / decrypt a string of n digits given as its halves' values.
  // Preconditions (checked by the digit-vector forms, not here): 2 <= n,
  // radix^ceil(n/2) <= 2^64, a < radix^floor(n/2), b < radix^ceil(n/2),
  // tweak.size() <= kMaxTweakBytes.
  Halves Encrypt(Halves x, uint32_t n, std::span<const uint8_t> tweak = {}) const;
  // Encrypts each of `xs` in place, as Encrypt would, with the same n and
  // tweak: each round's AES blocks of all of them go through AES as one call
  // (AES-NI pipelines independent blocks: an id costs a fraction of one
  // Encrypt for a page of search results or an ingest batch).
  void EncryptMany(std::span<Halves> xs, uint32_t n, std::span<const uint8_t> tweak = {}) const;
  Halves Decrypt(Halves x, uint32_t n, std::span<const uint8_t> tweak = {}) const;

  // The standard's interface: each digit < radix. kInvalidArgument if a digit,
  // the length or the tweak is out of range.
  Result<std::vector<uint32_t>> Encrypt(std::span<const uint32_t> digits,
                                        std::span<const uint8_t> tweak = {}) const;
  Result<std::vector<uint32_t>> Decrypt(std::span<const uint32_t> digits,
                                        std::span<const uint8_t> tweak = {}) const;

  ~Ff1();
  Ff1(const Ff1&) = delete;
  Ff1& operator=(const Ff1&) = delete;

 private:
  struct Geometry;
  Ff1(std::span<const uint8_t> key, uint32_t radix);
  Geometry Shape(uint32_t n, size_t tweak_bytes) const;
  uint64_t RoundValue(const Geometry& g, std::span<const uint8_t> tweak, const uint8_t* y0,
                      int round, uint64_t half) const;
  void Cipher(const uint8_t in[16], uint8_t out[16]) const;
  // A round's Q (step 6.i: tweak, padding, round, NUM(half)) into q; its length.
  static size_t FillQ(const Geometry& g, std::span<const uint8_t> tweak, int round, uint64_t half,
                      uint8_t* q);
  // A round's y from its R (steps 6.ii-6.iv), reduced mod radix^u or radix^v.
  static uint64_t RoundNumber(const Geometry& g, const uint8_t r[16], int round);
  // AES (ECB) of `count` consecutive 16-byte blocks, in place.
  void CipherBlocks(uint8_t* blocks, size_t count) const;
  Result<std::vector<uint32_t>> Apply(std::span<const uint32_t> digits,
                                      std::span<const uint8_t> tweak, bool encrypt) const;

  std::vector<uint8_t> key_;
  uint32_t radix_;
  uint64_t instance_;  // tells a thread's cached AES context which key it holds
};

}  // namespace logsvc::crypto

#endif  // LOGSVC_CRYPTO_FF1_H_
