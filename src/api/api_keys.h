// API keys and their scopes: who may use which routes. Pure logic, no I/O:
// the keys file's text comes from the caller (`logsvc serve --auth-keys`
// reads the file, the Lambda functions an environment variable).
//
// The keys file: one key per line, as its SHA-256 (never the key itself),
// its scopes, and optionally a name (for logs), e.g.
//
//   # made by `logsvc keys create`
//   sha256:5b5c...e1f0  scopes=ingest,read  name=checkout
//   sha256:93a1...07bc  scopes=ingest  requests-per-second=50  entries-per-second=20000
//
// Fields are separated by spaces or tabs; '#' starts a comment line; blank
// lines are skipped. Scopes: `ingest` (POST /logs and the shippers' routes,
// with Elasticsearch's probes), `read` (GET /logs, /logs/stats,
// /logs/{logId}), `admin` (operators' routes, such as /metrics). A key has
// exactly the scopes listed: admin does not imply the others. The rate
// limits (whole numbers, 1 to 1,000,000,000) replace, for this key, those of
// `logsvc serve --rate-limit-*` (api/rate_limiter.h).
//
// Keys are made by CreateKey: "lsk_" and 43 base64url characters (32 random
// bytes), so a key is never guessed, and a hash of it reveals nothing.
//
// Thread-safety: a KeyRing is immutable once parsed; share it freely.
#ifndef LOGSVC_API_API_KEYS_H_
#define LOGSVC_API_API_KEYS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/rate_limiter.h"
#include "api/request_headers.h"
#include "crypto/sha256.h"
#include "logsvc/status.h"

namespace logsvc::api {

enum Scope : unsigned {
  kScopeNone = 0,  // a route open to all (GET /healthz, CORS preflights)
  kScopeIngest = 1,
  kScopeRead = 2,
  kScopeAdmin = 4,
};

// "ingest", "read", "admin" for one scope.
std::string_view ScopeName(Scope scope);
// "ingest,read" -> bits; InvalidArgument naming an unknown scope or an empty list.
Result<unsigned> ParseScopes(std::string_view list);

struct ApiKey {
  crypto::Sha256Digest hash;
  unsigned scopes = 0;  // Scope bits
  std::string name;     // "" if the line gives none
  RateLimits limits;    // 0: the server's default
};

class KeyRing {
 public:
  // At most this many keys (a Lambda environment holds about 40).
  static constexpr size_t kMaxKeys = 10000;

  // Parses a keys file (see the top of this file). InvalidArgument naming the
  // line and what is wrong with it; nothing is half-loaded.
  static Result<KeyRing> Parse(std::string_view text);

  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

  // The key whose hash is SHA-256(secret), or nullptr. Compares with every
  // key's hash, each in constant time, and goes on past a match: how long it
  // takes says nothing about which keys exist or how close a guess came.
  const ApiKey* Find(std::string_view secret) const;

 private:
  std::vector<ApiKey> keys_;
};

// The secrets a request presents, in the order they are tried:
// Authorization: Bearer KEY; Authorization: Basic with KEY as the password
// (any user name: what Loki, Elasticsearch and OTLP shippers can send);
// Authorization: ApiKey, Elasticsearch's scheme (KEY, or base64 of "id:KEY");
// X-API-Key: KEY. Empty if it presents none.
std::vector<std::string> PresentedSecrets(const RequestHeaders& headers);

// A new random key and its keys-file line, with `limits` where they are not
// 0. InvalidArgument for a name that is not 1 to 64 letters, digits, '.',
// '_' or '-', no scopes, or a limit that is not a whole number from 1 to
// 1,000,000,000; kInternal if the system has no randomness to give.
struct NewKey {
  std::string secret;  // shown once, never stored
  std::string line;    // "sha256:<hex>  scopes=...  name=...\n"
};
Result<NewKey> CreateKey(unsigned scopes, std::string_view name, const RateLimits& limits = {});

}  // namespace logsvc::api

#endif  // LOGSVC_API_API_KEYS_H_
