// Base64 (RFC 4648), the one implementation: the standard alphabet with
// padding (section 4: Lambda's bodies, Basic auth, protobuf's JSON bytes) and
// the URL-safe one without (section 5: cursors, API keys). Pure functions,
// thread-safe.
#ifndef LOGSVC_CORE_BASE64_H_
#define LOGSVC_CORE_BASE64_H_

#include <string>
#include <string_view>

namespace logsvc::base64 {

enum class Alphabet {
  kStandard,  // A-Z a-z 0-9 + /, padded with '=' to a multiple of 4
  kUrl,       // A-Z a-z 0-9 - _, unpadded
  kEither,    // decoding only: either alphabet, padded or not (protobuf's JSON takes both)
};

// Appends the encoding of `bytes` (kStandard or kUrl).
void Append(std::string_view bytes, Alphabet alphabet, std::string* out);
std::string Encode(std::string_view bytes, Alphabet alphabet);

// Appends the bytes `text` encodes; false (with *out partly written) if it is
// not base64 of that alphabet: a character outside it, padding kUrl does not
// have or kStandard lacks, a length no encoding has, or unused trailing bits
// that are not zero (so each byte string has one spelling).
bool Decode(std::string_view text, Alphabet alphabet, std::string* out);

}  // namespace logsvc::base64

#endif  // LOGSVC_CORE_BASE64_H_
