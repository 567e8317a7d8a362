#include "crypto/ff1.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace logsvc::crypto {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr u128 kTwoTo64 = u128{1} << 64;

// radix^e, or 0 if it exceeds 2^64.
u128 Power(uint32_t radix, uint32_t e) {
  if (std::has_single_bit(radix)) {  // the common binary case, without 60 multiplications
    const uint32_t bits = e * static_cast<uint32_t>(std::countr_zero(radix));
    return bits > 64 ? 0 : u128{1} << bits;
  }
  u128 result = 1;
  for (uint32_t i = 0; i < e; ++i) {
    result *= radix;
    if (result > kTwoTo64) return 0;
  }
  return result;
}

// x mod m for m <= 2^64 without a 128-bit division when m is a power of two.
uint64_t Mod(u128 x, u128 m) {
  return static_cast<uint64_t>((m & (m - 1)) == 0 ? x & (m - 1) : x % m);
}

uint32_t BitWidth(u128 x) {
  const auto high = static_cast<uint64_t>(x >> 64);
  return high ? 64 + std::bit_width(high) : std::bit_width(static_cast<uint64_t>(x));
}

const EVP_CIPHER* AesEcb(size_t key_bytes) {
  switch (key_bytes) {
    case 16:
      return EVP_aes_128_ecb();
    case 24:
      return EVP_aes_192_ecb();
    default:
      return EVP_aes_256_ecb();
  }
}

[[noreturn]] void CryptoFailure(const char* what) {
  // Only an exhausted allocator makes AES-ECB on whole blocks fail; there is
  // no sensible way to go on without the cipher.
  std::fprintf(stderr, "logsvc: OpenSSL failed: %s\n", what);
  std::abort();
}

// One keyed AES context per thread: EVP contexts are not safe to share.
struct ThreadCipher {
  EVP_CIPHER_CTX* ctx = nullptr;
  uint64_t instance = 0;
  ~ThreadCipher() { EVP_CIPHER_CTX_free(ctx); }
};
thread_local ThreadCipher thread_cipher;

std::atomic<uint64_t> next_instance{1};

}  // namespace

// What the algorithm derives from n and the tweak length (steps 1-5).
struct Ff1::Geometry {
  uint32_t n, u, v;
  u128 radix_u, radix_v;  // radix^u and radix^v, both <= 2^64
  uint32_t b;             // bytes of NUM_radix(B) in Q
  uint32_t d;             // bytes of S used for y
  uint32_t pad;           // zero bytes between the tweak and the round number
  std::array<uint8_t, 16> p;
};

Result<std::shared_ptr<const Ff1>> Ff1::Create(std::span<const uint8_t> key, uint32_t radix) {
  if (key.size() != 16 && key.size() != 24 && key.size() != 32) {
    return Status::InvalidArgument("an FF1 key is 16, 24 or 32 bytes");
  }
  if (radix < 2 || radix > 65536) return Status::InvalidArgument("FF1's radix is 2 to 65536");
  return std::shared_ptr<const Ff1>(new Ff1(key, radix));
}

Ff1::Ff1(std::span<const uint8_t> key, uint32_t radix)
    : key_(key.begin(), key.end()), radix_(radix), instance_(next_instance.fetch_add(1)) {}

Ff1::~Ff1() { OPENSSL_cleanse(key_.data(), key_.size()); }

void Ff1::Cipher(const uint8_t in[16], uint8_t out[16]) const {
  std::memcpy(out, in, 16);  // in and out may be the same block
  CipherBlocks(out, 1);
}

void Ff1::CipherBlocks(uint8_t* blocks, size_t count) const {
  ThreadCipher& tc = thread_cipher;
  if (tc.instance != instance_) {
    if (!tc.ctx && !(tc.ctx = EVP_CIPHER_CTX_new())) CryptoFailure("EVP_CIPHER_CTX_new");
    if (EVP_EncryptInit_ex(tc.ctx, AesEcb(key_.size()), nullptr, key_.data(), nullptr) != 1) {
      CryptoFailure("EVP_EncryptInit_ex");
    }
    EVP_CIPHER_CTX_set_padding(tc.ctx, 0);
    tc.instance = instance_;
  }
  // ECB: each block on its own, so in place is allowed; split so that the
  // length fits EVP's int.
  constexpr size_t kMaxBlocks = 1 << 20;
  for (size_t done = 0; done < count;) {
    const size_t now = std::min(count - done, kMaxBlocks);
    const int bytes = static_cast<int>(16 * now);
    int len = 0;
    uint8_t* p = blocks + 16 * done;
    if (EVP_EncryptUpdate(tc.ctx, p, &len, p, bytes) != 1 || len != bytes) {
      CryptoFailure("EVP_EncryptUpdate");
    }
    done += now;
  }
}

Ff1::Geometry Ff1::Shape(uint32_t n, size_t tweak_bytes) const {
  Geometry g;
  g.n = n;
  g.u = n / 2;
  g.v = n - g.u;
  g.radix_u = Power(radix_, g.u);
  g.radix_v = Power(radix_, g.v);
  // b = ceil(ceil(v * log2(radix)) / 8); ceil(log2(x)) is the bit width of x - 1.
  const uint32_t bits = BitWidth(g.radix_v - 1);
  g.b = (bits + 7) / 8;
  g.d = 4 * ((g.b + 3) / 4) + 4;
  const size_t t = tweak_bytes;
  g.pad = static_cast<uint32_t>((16 - (t + g.b + 1) % 16) % 16);
  // P = [1][2][1] [radix]^3 [10] [u mod 256] [n]^4 [t]^4
  g.p = {1,
         2,
         1,
         static_cast<uint8_t>(radix_ >> 16),
         static_cast<uint8_t>(radix_ >> 8),
         static_cast<uint8_t>(radix_),
         10,
         static_cast<uint8_t>(g.u),
         static_cast<uint8_t>(n >> 24),
         static_cast<uint8_t>(n >> 16),
         static_cast<uint8_t>(n >> 8),
         static_cast<uint8_t>(n),
         static_cast<uint8_t>(t >> 24),
         static_cast<uint8_t>(t >> 16),
         static_cast<uint8_t>(t >> 8),
         static_cast<uint8_t>(t)};
  return g;
}

// Steps 6.i-6.iv: y = NUM(S) for round `round` with the half `half` in Q,
// then reduced modulo radix^m (m = u on even rounds, v on odd ones).
// Q = T || [0]^pad || [round] || [NUM(half)]^b, a whole number of blocks;
// its length.
size_t Ff1::FillQ(const Geometry& g, std::span<const uint8_t> tweak, int round, uint64_t half,
                  uint8_t* q) {
  if (!tweak.empty()) std::memcpy(q, tweak.data(), tweak.size());  // data() may be null
  std::memset(q + tweak.size(), 0, g.pad);
  size_t len = tweak.size() + g.pad;
  q[len++] = static_cast<uint8_t>(round);
  for (uint32_t i = 0; i < g.b; ++i) q[len++] = static_cast<uint8_t>(half >> (8 * (g.b - 1 - i)));
  return len;
}

// y = NUM(S) mod radix^u or radix^v, S being R's first d bytes (d <= 12).
uint64_t Ff1::RoundNumber(const Geometry& g, const uint8_t r[16], int round) {
  u128 y = 0;
  for (uint32_t k = 0; k < g.d; ++k) y = (y << 8) | r[k];
  return Mod(y, round % 2 == 0 ? g.radix_u : g.radix_v);
}

uint64_t Ff1::RoundValue(const Geometry& g, std::span<const uint8_t> tweak, const uint8_t* y0,
                         int round, uint64_t half) const {
  std::array<uint8_t, kMaxTweakBytes + 16 + 1 + 8> q;
  const size_t len = FillQ(g, tweak, round, half, q.data());
  // R = PRF(P || Q): CBC-MAC, whose first block CIPH(P) the caller passes as y0.
  uint8_t r[16];
  std::memcpy(r, y0, 16);
  for (size_t off = 0; off < len; off += 16) {
    for (int k = 0; k < 16; ++k) r[k] ^= q[off + k];
    Cipher(r, r);
  }
  return RoundNumber(g, r, round);
}

Ff1::Halves Ff1::Encrypt(Halves x, uint32_t n, std::span<const uint8_t> tweak) const {
  EncryptMany({&x, 1}, n, tweak);
  return x;
}

void Ff1::EncryptMany(std::span<Halves> xs, uint32_t n, std::span<const uint8_t> tweak) const {
  if (xs.empty()) return;
  const Geometry g = Shape(n, tweak.size());
  uint8_t y0[16];
  Cipher(g.p.data(), y0);
  const size_t q_len = tweak.size() + g.pad + 1 + g.b;  // a multiple of 16
  std::vector<uint8_t> q(q_len * xs.size());
  std::vector<uint8_t> r(16 * xs.size());
  for (int i = 0; i < 10; ++i) {
    // Each string's CBC-MAC advances a block at a time, all strings together.
    for (size_t j = 0; j < xs.size(); ++j) {
      FillQ(g, tweak, i, xs[j].b, &q[j * q_len]);
      std::memcpy(&r[16 * j], y0, 16);
    }
    for (size_t off = 0; off < q_len; off += 16) {
      for (size_t j = 0; j < xs.size(); ++j) {
        for (int k = 0; k < 16; ++k) r[16 * j + k] ^= q[j * q_len + off + k];
      }
      CipherBlocks(r.data(), xs.size());
    }
    const u128 modulus = i % 2 == 0 ? g.radix_u : g.radix_v;
    for (size_t j = 0; j < xs.size(); ++j) {
      u128 c = u128{xs[j].a} + RoundNumber(g, &r[16 * j], i);  // both < modulus
      if (c >= modulus) c -= modulus;
      xs[j] = {xs[j].b, static_cast<uint64_t>(c)};
    }
  }
}

Ff1::Halves Ff1::Decrypt(Halves x, uint32_t n, std::span<const uint8_t> tweak) const {
  const Geometry g = Shape(n, tweak.size());
  uint8_t y0[16];
  Cipher(g.p.data(), y0);
  u128 a = x.a, b = x.b;
  for (int i = 9; i >= 0; --i) {
    const u128 modulus = i % 2 == 0 ? g.radix_u : g.radix_v;
    const u128 y = RoundValue(g, tweak, y0, i, static_cast<uint64_t>(a));
    const u128 c = b >= y ? b - y : b + modulus - y;  // both < modulus
    b = a;
    a = c;
  }
  return {static_cast<uint64_t>(a), static_cast<uint64_t>(b)};
}

Result<std::vector<uint32_t>> Ff1::Encrypt(std::span<const uint32_t> digits,
                                           std::span<const uint8_t> tweak) const {
  return Apply(digits, tweak, true);
}

Result<std::vector<uint32_t>> Ff1::Decrypt(std::span<const uint32_t> digits,
                                           std::span<const uint8_t> tweak) const {
  return Apply(digits, tweak, false);
}

Result<std::vector<uint32_t>> Ff1::Apply(std::span<const uint32_t> digits,
                                         std::span<const uint8_t> tweak, bool encrypt) const {
  const auto n = static_cast<uint32_t>(digits.size());
  if (n < 2 || n > 128 || Power(radix_, n - n / 2) == 0) {
    return Status::InvalidArgument("this FF1 takes 2 digits or more, radix^ceil(n/2) <= 2^64");
  }
  const u128 domain = Power(radix_, n);  // 0: beyond 2^64
  if (domain != 0 && domain < 1000000) {
    return Status::InvalidArgument("FF1 needs radix^n >= 1,000,000 (SP 800-38G)");
  }
  if (tweak.size() > kMaxTweakBytes) return Status::InvalidArgument("the FF1 tweak is too long");
  for (uint32_t digit : digits) {
    if (digit >= radix_) return Status::InvalidArgument("a digit is not below the radix");
  }
  auto num = [&](size_t from, size_t to) {
    uint64_t v = 0;
    for (size_t i = from; i < to; ++i) v = v * radix_ + digits[i];
    return v;
  };
  const uint32_t u = n / 2;
  Halves x{num(0, u), num(u, n)};
  Halves y = encrypt ? Encrypt(x, n, tweak) : Decrypt(x, n, tweak);
  std::vector<uint32_t> out(n);
  for (size_t i = n; i > u; --i, y.b /= radix_) out[i - 1] = static_cast<uint32_t>(y.b % radix_);
  for (size_t i = u; i > 0; --i, y.a /= radix_) out[i - 1] = static_cast<uint32_t>(y.a % radix_);
  return out;
}

}  // namespace logsvc::crypto
