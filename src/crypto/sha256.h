// SHA-256 (FIPS 180-4, OpenSSL's), the one place logsvc hashes with it:
// Idempotency-Key records and their fingerprints, cursor checksums, API keys.
// Pure functions, thread-safe.
#ifndef LOGSVC_CRYPTO_SHA256_H_
#define LOGSVC_CRYPTO_SHA256_H_

#include <array>
#include <initializer_list>
#include <string_view>

namespace logsvc::crypto {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest Sha256(std::string_view bytes);

// The digest of the parts, each followed by a 0 byte: ("ab", "c") and ("a",
// "bc") differ, as do any two lists of parts without a 0 byte in them.
Sha256Digest Sha256OfParts(std::initializer_list<std::string_view> parts);

// Whether a and b are equal, in a time that does not depend on where they
// differ (CRYPTO_memcmp): for comparing secrets and their digests.
bool EqualInConstantTime(const Sha256Digest& a, const Sha256Digest& b);

}  // namespace logsvc::crypto

#endif  // LOGSVC_CRYPTO_SHA256_H_
