#include "api/api_keys.h"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

#include "core/ascii.h"
#include "core/base64.h"

namespace logsvc::api {
namespace {

constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::string_view kKeyPrefix = "lsk_";
constexpr size_t kKeyRandomBytes = 32;
constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxSecretBytes = 512;  // longer is no key of ours: not even hashed

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

bool ParseHash(std::string_view text, crypto::Sha256Digest* out) {
  if (!text.starts_with(kHashPrefix)) return false;
  text.remove_prefix(kHashPrefix.size());
  std::string bytes;
  if (text.size() != 2 * out->size() || !ascii::DecodeHex(text, &bytes)) return false;
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return true;
}

// The fields of a line, split at runs of spaces and tabs.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  if (line.ends_with('\r')) line.remove_suffix(1);  // a file with CRLF lines
  line = ascii::TrimOws(line);
  while (!line.empty()) {
    size_t end = line.find_first_of(" \t");
    out.push_back(line.substr(0, end));
    if (end == std::string_view::npos) break;
    line = ascii::TrimOws(line.substr(end));
  }
  return out;
}

bool ParseRate(std::string_view text, double* out) {
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 1000000000) {
    return false;
  }
  *out = static_cast<double>(n);
  return true;
}

}  // namespace

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case kScopeIngest:
      return "ingest";
    case kScopeRead:
      return "read";
    case kScopeAdmin:
      return "admin";
    default:
      return "";
  }
}

Result<unsigned> ParseScopes(std::string_view list) {
  unsigned scopes = 0;
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    bool known = false;
    for (Scope s : {kScopeIngest, kScopeRead, kScopeAdmin}) {
      if (name == ScopeName(s)) {
        scopes |= s;
        known = true;
      }
    }
    if (!known) {
      return Status::InvalidArgument("unknown scope \"" + std::string(name) +
                                     "\": the scopes are ingest, read and admin, comma-separated");
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return scopes;
}

Result<KeyRing> KeyRing::Parse(std::string_view text) {
  KeyRing ring;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    const auto fields = Fields(line);
    if (fields.empty() || fields[0].starts_with("#")) continue;
    const auto bad = [&](const std::string& what) {
      return Status::InvalidArgument("keys line " + std::to_string(line_number) + ": " + what);
    };
    ApiKey key;
    if (!ParseHash(fields[0], &key.hash)) {
      return bad(
          "must begin with sha256: and the 64 hex digits of a key's SHA-256 "
          "(`logsvc keys create` writes such lines)");
    }
    bool has_scopes = false, has_name = false, has_requests = false, has_entries = false;
    for (size_t i = 1; i < fields.size(); ++i) {
      const std::string_view f = fields[i];
      if (f.starts_with("scopes=") && !has_scopes) {
        auto scopes = ParseScopes(f.substr(7));
        if (!scopes.ok()) return bad(scopes.status().message());
        key.scopes = scopes.value();
        has_scopes = true;
      } else if (f.starts_with("name=") && !has_name) {
        if (!ValidName(f.substr(5))) {
          return bad("name= takes 1 to 64 letters, digits, '.', '_' or '-'");
        }
        key.name = std::string(f.substr(5));
        has_name = true;
      } else if (f.starts_with("requests-per-second=") && !has_requests) {
        if (!ParseRate(f.substr(20), &key.limits.requests_per_second)) {
          return bad("requests-per-second= takes a whole number from 1 to 1000000000");
        }
        has_requests = true;
      } else if (f.starts_with("entries-per-second=") && !has_entries) {
        if (!ParseRate(f.substr(19), &key.limits.entries_per_second)) {
          return bad("entries-per-second= takes a whole number from 1 to 1000000000");
        }
        has_entries = true;
      } else {
        // Named up to its '=', never whole: a key pasted in by mistake is not logged.
        const size_t eq = f.find('=');
        const std::string_view name = eq <= 24 ? f.substr(0, eq) : std::string_view("?");
        return bad("unknown or repeated field \"" + std::string(name) + "\" (field " +
                   std::to_string(i + 1) +
                   "): a line is the hash, scopes=..., and optionally name=..., "
                   "requests-per-second=..., entries-per-second=...");
      }
    }
    if (!has_scopes) return bad("no scopes= (ingest, read, admin, comma-separated)");
    for (const ApiKey& other : ring.keys_) {
      if (other.hash == key.hash) return bad("the same key is listed twice");
    }
    if (ring.keys_.size() == kMaxKeys) return bad("more than 10,000 keys");
    ring.keys_.push_back(std::move(key));
  }
  return ring;
}

const ApiKey* KeyRing::Find(std::string_view secret) const {
  if (secret.empty() || secret.size() > kMaxSecretBytes) return nullptr;
  const crypto::Sha256Digest hash = crypto::Sha256(secret);
  const ApiKey* found = nullptr;
  for (const ApiKey& key : keys_) {
    // No early exit: every hash is compared, whatever matched before.
    const bool match = crypto::EqualInConstantTime(key.hash, hash);
    found = match ? &key : found;
  }
  return found;
}

std::vector<std::string> PresentedSecrets(const RequestHeaders& headers) {
  std::vector<std::string> out;
  if (auto auth = headers.Get("Authorization")) {
    const std::string_view value = ascii::TrimOws(*auth);
    const size_t space = value.find(' ');
    const std::string_view scheme = value.substr(0, space);
    const std::string_view token =
        space == std::string_view::npos ? std::string_view() : ascii::TrimOws(value.substr(space));
    if (!token.empty() && token.size() <= 2 * kMaxSecretBytes) {
      if (ascii::EqualsIgnoreCase(scheme, "Bearer")) {
        out.emplace_back(token);
      } else if (ascii::EqualsIgnoreCase(scheme, "Basic")) {
        // RFC 7617: base64 of "user:password"; the key is the password.
        std::string decoded;
        if (base64::Decode(token, base64::Alphabet::kStandard, &decoded)) {
          const size_t colon = decoded.find(':');
          if (colon != std::string::npos) out.push_back(decoded.substr(colon + 1));
        }
      } else if (ascii::EqualsIgnoreCase(scheme, "ApiKey")) {
        // Elasticsearch clients send the key as given, or base64 of "id:key".
        out.emplace_back(token);
        std::string decoded;
        if (base64::Decode(token, base64::Alphabet::kStandard, &decoded)) {
          const size_t colon = decoded.find(':');
          if (colon != std::string::npos) out.push_back(decoded.substr(colon + 1));
        }
      }
    }
  }
  if (auto key = headers.Get("X-API-Key")) out.emplace_back(ascii::TrimOws(*key));
  return out;
}

Result<NewKey> CreateKey(unsigned scopes, std::string_view name, const RateLimits& limits) {
  if (scopes == 0) return Status::InvalidArgument("a key needs at least one scope");
  for (double rate : {limits.requests_per_second, limits.entries_per_second}) {
    if (rate != 0 &&
        (rate < 1 || rate > 1e9 || rate != static_cast<double>(static_cast<uint64_t>(rate)))) {
      return Status::InvalidArgument("a rate limit is a whole number from 1 to 1000000000");
    }
  }
  if (!name.empty() && !ValidName(name)) {
    return Status::InvalidArgument("a key's name is 1 to 64 letters, digits, '.', '_' or '-'");
  }
  unsigned char random[kKeyRandomBytes];
  if (RAND_bytes(random, sizeof random) != 1) {
    return Status::Internal("the system gave no random bytes for a key");
  }
  NewKey key;
  key.secret = std::string(kKeyPrefix);
  base64::Append(std::string_view(reinterpret_cast<const char*>(random), sizeof random),
                 base64::Alphabet::kUrl, &key.secret);
  const crypto::Sha256Digest hash = crypto::Sha256(key.secret);
  key.line =
      std::string(kHashPrefix) +
      ascii::LowerHex(std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size())) +
      "  scopes=";
  bool first = true;
  for (Scope s : {kScopeIngest, kScopeRead, kScopeAdmin}) {
    if (!(scopes & s)) continue;
    if (!first) key.line += ',';
    key.line += ScopeName(s);
    first = false;
  }
  if (!name.empty()) key.line += "  name=" + std::string(name);
  if (limits.requests_per_second > 0) {
    key.line += "  requests-per-second=" +
                std::to_string(static_cast<uint64_t>(limits.requests_per_second));
  }
  if (limits.entries_per_second > 0) {
    key.line +=
        "  entries-per-second=" + std::to_string(static_cast<uint64_t>(limits.entries_per_second));
  }
  key.line += '\n';
  return key;
}

}  // namespace logsvc::api
