// UUID version 4 (RFC 9562): the logId of every entry.
#ifndef LOGSVC_CORE_UUID_H_
#define LOGSVC_CORE_UUID_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logsvc::uuid {

using Bytes = std::array<uint8_t, 16>;

// A new random UUID v4: 122 random bits from a per-thread generator seeded by
// the kernel's CSPRNG, version nibble 4, variant bits 10. Thread-safe. Ids are
// unique, not secret: nothing in logsvc uses them for authorization.
Bytes NewV4();

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case.
std::string Format(const Bytes& b);

// Parses the 36-character form, either letter case; nullopt if malformed.
std::optional<Bytes> Parse(std::string_view s);

}  // namespace logsvc::uuid

#endif  // LOGSVC_CORE_UUID_H_
