// FF1 (src/crypto/ff1.h) against NIST SP 800-38G's published samples, and the
// properties logsvc relies on for radix 2: a permutation, its own inverse.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/ascii.h"
#include "crypto/ff1.h"
#include "crypto/sha256.h"

namespace logsvc::crypto {
namespace {

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

constexpr std::string_view kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

std::vector<uint32_t> Digits(std::string_view s) {
  std::vector<uint32_t> out;
  for (char c : s) out.push_back(static_cast<uint32_t>(kAlphabet.find(c)));
  return out;
}

std::string Text(const std::vector<uint32_t>& digits) {
  std::string out;
  for (uint32_t d : digits) out.push_back(kAlphabet[d]);
  return out;
}

struct Sample {
  const char* key;
  const char* tweak;
  uint32_t radix;
  const char* plaintext;
  const char* ciphertext;
};

constexpr char kKey128[] = "2B7E151628AED2A6ABF7158809CF4F3C";
constexpr char kKey192[] = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F";
constexpr char kKey256[] = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";
constexpr char kTweak10[] = "39383736353433323130";
constexpr char kTweak11[] = "3737373770717273373737";

// NIST's "FF1 samples" (csrc.nist.gov, Examples with Intermediate Values), 1 to 9.
const Sample kSamples[] = {
    {kKey128, "", 10, "0123456789", "2433477484"},
    {kKey128, kTweak10, 10, "0123456789", "6124200773"},
    {kKey128, kTweak11, 36, "0123456789abcdefghi", "a9tv40mll9kdu509eum"},
    {kKey192, "", 10, "0123456789", "2830668132"},
    {kKey192, kTweak10, 10, "0123456789", "2496655549"},
    {kKey192, kTweak11, 36, "0123456789abcdefghi", "xbj3kv35jrawxv32ysr"},
    {kKey256, "", 10, "0123456789", "6657667009"},
    {kKey256, kTweak10, 10, "0123456789", "1001623463"},
    {kKey256, kTweak11, 36, "0123456789abcdefghi", "xs8a0azh2avyalyzuwd"},
};

TEST(Ff1, MatchesTheNistSamples) {
  int number = 0;
  for (const Sample& s : kSamples) {
    ++number;
    auto ff1 = Ff1::Create(FromHex(s.key), s.radix);
    ASSERT_TRUE(ff1.ok()) << number;
    const auto tweak = FromHex(s.tweak);
    auto ct = ff1.value()->Encrypt(Digits(s.plaintext), tweak);
    ASSERT_TRUE(ct.ok()) << number << ": " << ct.status().message();
    EXPECT_EQ(Text(ct.value()), s.ciphertext) << "sample " << number;
    auto pt = ff1.value()->Decrypt(Digits(s.ciphertext), tweak);
    ASSERT_TRUE(pt.ok()) << number;
    EXPECT_EQ(Text(pt.value()), s.plaintext) << "sample " << number;
  }
}

TEST(Ff1, RefusesWhatItCannotTake) {
  EXPECT_FALSE(Ff1::Create(std::vector<uint8_t>(15), 10).ok()) << "key size";
  EXPECT_FALSE(Ff1::Create(std::vector<uint8_t>(16), 1).ok()) << "radix";
  EXPECT_FALSE(Ff1::Create(std::vector<uint8_t>(16), 65537).ok()) << "radix";
  auto ff1 = Ff1::Create(std::vector<uint8_t>(16), 10);
  ASSERT_TRUE(ff1.ok());
  EXPECT_FALSE(ff1.value()->Encrypt(Digits("12345")).ok()) << "10^5 < the 10^6 minimum domain";
  EXPECT_FALSE(ff1.value()->Encrypt(Digits("012345678a")).ok()) << "a digit >= radix";
  EXPECT_FALSE(ff1.value()->Encrypt(std::vector<uint32_t>(40, 1)).ok()) << "halves over 2^64";
  EXPECT_FALSE(ff1.value()->Encrypt(Digits("0123456789"), std::vector<uint8_t>(65)).ok());
}

// logsvc's use: 122 binary digits. The halves form must agree with the digit
// form, decrypt must invert encrypt, and distinct inputs stay distinct.
TEST(Ff1, BinaryHalvesAgreeWithDigitsAndRoundTrip) {
  auto made = Ff1::Create(FromHex(kKey128), 2);
  ASSERT_TRUE(made.ok());
  const Ff1& ff1 = *made.value();
  std::mt19937_64 rng(42);
  const uint64_t mask = (uint64_t{1} << 61) - 1;
  std::set<std::pair<uint64_t, uint64_t>> outputs;
  for (int i = 0; i < 200; ++i) {
    Ff1::Halves x{rng() & mask, i < 100 ? static_cast<uint64_t>(i) : rng() & mask};
    Ff1::Halves y = ff1.Encrypt(x, 122);
    EXPECT_LE(y.a, mask);
    EXPECT_LE(y.b, mask);
    outputs.insert({y.a, y.b});
    Ff1::Halves back = ff1.Decrypt(y, 122);
    EXPECT_EQ(back.a, x.a);
    EXPECT_EQ(back.b, x.b);

    std::vector<uint32_t> digits(122);
    for (int k = 0; k < 61; ++k) {
      digits[60 - k] = (x.a >> k) & 1;
      digits[121 - k] = (x.b >> k) & 1;
    }
    auto ct = ff1.Encrypt(digits);
    ASSERT_TRUE(ct.ok());
    uint64_t a = 0, b = 0;
    for (int k = 0; k < 61; ++k) {
      a = a << 1 | ct.value()[k];
      b = b << 1 | ct.value()[61 + k];
    }
    EXPECT_EQ(a, y.a);
    EXPECT_EQ(b, y.b);
  }
  EXPECT_EQ(outputs.size(), 200u);
}

// Many strings at once (what search pages and ingest batches use) must give
// what each gives alone, and decrypt back. Radix 36 with NIST's 11-byte tweak
// makes Q two AES blocks, so the batched CBC-MAC runs more than one step.
TEST(Ff1, EncryptManyAgreesWithEncryptOneAtATime) {
  struct Shape {
    uint32_t radix, n;
    const char* tweak;
    uint64_t mod_a, mod_b;  // radix^floor(n/2), radix^ceil(n/2)
  };
  constexpr uint64_t k36to9 = 101559956668416ULL, k36to10 = 3656158440062976ULL;
  const Shape shapes[] = {{2, 122, "", uint64_t{1} << 61, uint64_t{1} << 61},
                          {36, 19, kTweak11, k36to9, k36to10}};
  for (const Shape& shape : shapes) {
    auto made = Ff1::Create(FromHex(kKey128), shape.radix);
    ASSERT_TRUE(made.ok());
    const Ff1& ff1 = *made.value();
    const std::vector<uint8_t> tweak = FromHex(shape.tweak);
    std::mt19937_64 rng(7);
    std::vector<Ff1::Halves> xs(300);
    for (auto& x : xs) x = {rng() % shape.mod_a, rng() % shape.mod_b};
    std::vector<Ff1::Halves> ys = xs;
    ff1.EncryptMany(ys, shape.n, tweak);
    for (size_t i = 0; i < xs.size(); ++i) {
      const Ff1::Halves one = ff1.Encrypt(xs[i], shape.n, tweak);
      EXPECT_EQ(ys[i].a, one.a) << shape.radix << " #" << i;
      EXPECT_EQ(ys[i].b, one.b) << shape.radix << " #" << i;
      const Ff1::Halves back = ff1.Decrypt(ys[i], shape.n, tweak);
      EXPECT_EQ(back.a, xs[i].a) << shape.radix << " #" << i;
      EXPECT_EQ(back.b, xs[i].b) << shape.radix << " #" << i;
    }
  }
}

}  // namespace
}  // namespace logsvc::crypto

namespace logsvc {
namespace {

// SHA-256: FIPS 180-4's examples (NIST's "SHA256.pdf"), and the framing of parts.
TEST(Sha256Test, NistExamples) {
  const auto hex = [](const crypto::Sha256Digest& d) {
    return ascii::LowerHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  };
  EXPECT_EQ(hex(crypto::Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(crypto::Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(crypto::Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Each part is followed by a 0 byte.
  EXPECT_EQ(crypto::Sha256OfParts({"ab", "c"}), crypto::Sha256(std::string_view("ab\0c\0", 5)));
  EXPECT_NE(crypto::Sha256OfParts({"ab", "c"}), crypto::Sha256OfParts({"a", "bc"}));
  EXPECT_TRUE(crypto::EqualInConstantTime(crypto::Sha256("x"), crypto::Sha256("x")));
  EXPECT_FALSE(crypto::EqualInConstantTime(crypto::Sha256("x"), crypto::Sha256("y")));
}

}  // namespace
}  // namespace logsvc
