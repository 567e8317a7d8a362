#include "crypto/sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>
#include <string>

namespace logsvc::crypto {

Sha256Digest Sha256(std::string_view bytes) {
  Sha256Digest d;
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d.data());
  return d;
}

Sha256Digest Sha256OfParts(std::initializer_list<std::string_view> parts) {
  // Streamed, so a 64 MiB body is not copied. EVP fails only when it cannot
  // allocate its context: then the parts are hashed joined, the same digest.
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  for (std::string_view p : parts) {
    ok = ok && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1 &&
         EVP_DigestUpdate(ctx.get(), "", 1) == 1;
  }
  Sha256Digest d;
  if (ok && EVP_DigestFinal_ex(ctx.get(), d.data(), nullptr) == 1) return d;
  std::string all;
  for (std::string_view p : parts) {
    all.append(p);
    all.push_back('\0');
  }
  return Sha256(all);
}

bool EqualInConstantTime(const Sha256Digest& a, const Sha256Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace logsvc::crypto
