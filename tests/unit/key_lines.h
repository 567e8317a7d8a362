// A line of an API keys file (src/api/api_keys.h) for a test's own secret.
#ifndef LOGSVC_TESTS_UNIT_KEY_LINES_H_
#define LOGSVC_TESTS_UNIT_KEY_LINES_H_

#include <string>
#include <string_view>

#include "core/ascii.h"
#include "crypto/sha256.h"

namespace logsvc::testing {

// "sha256:<hex of SHA-256(secret)> <fields>\n", fields such as "scopes=read name=x".
inline std::string KeyLine(std::string_view secret, std::string_view fields) {
  const auto d = crypto::Sha256(secret);
  return "sha256:" +
         ascii::LowerHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())) +
         " " + std::string(fields) + "\n";
}

}  // namespace logsvc::testing

#endif  // LOGSVC_TESTS_UNIT_KEY_LINES_H_
