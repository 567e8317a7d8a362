// AWS Signature Version 4 (AWS4-HMAC-SHA256): signs an outgoing HTTP request
// either with an Authorization header or as a presigned URL (query string).
//
// The rules are the ones the published test suite pins down (aws-c-auth's
// aws-signing-test-suite/v4, run by tests/unit/sigv4_test.cc); where the AWS
// prose and the suite disagree, the suite wins. Pure functions, thread-safe;
// the caller supplies the time, so signing is deterministic.
//
// What is signed: every header the request carries (no skip list: a header
// that a proxy may rewrite must not be passed in), the method, the path, every
// query parameter and the SHA-256 of the body.
#ifndef LOGSVC_AWS_SIGV4_H_
#define LOGSVC_AWS_SIGV4_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logsvc/status.h"

namespace logsvc::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term credentials
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The request as it will go on the wire.
struct HttpRequestToSign {
  std::string method;  // "GET"
  // As in the request line, starting with '/' ("" means "/"); may hold
  // %-escapes, which the signer encodes again (see double_encode_path).
  std::string path;
  std::string query;   // raw, without '?': "a=1&b=%2F"
  HeaderList headers;  // in order; a name may repeat, any case
  std::string body;
};

struct SigningParams {
  std::string region;    // "us-east-1"
  std::string service;   // "s3", "execute-api", ...
  std::string amz_date;  // the signing time, UTC, "YYYYMMDDTHHMMSSZ"
  // Resolve "." and ".." segments and drop empty ones ("//a/./b/../" signs as
  // "/a/"). Every service but S3 expects it.
  bool normalize_path = true;
  // Encode the path as sent once more (so "%20" signs as "%2520"), which is
  // what every service but S3 expects. False (S3): decode, then encode once.
  bool double_encode_path = true;
  // Header signing only: also send and sign x-amz-content-sha256 (S3 wants it).
  bool sign_body = false;
  // Send the session token but leave it out of the signature (services such as
  // IoT that want the token added after signing).
  bool omit_session_token = false;
  // Query signing only: how long the URL stays valid, 1..604800 (7 days).
  int64_t expires_seconds = 3600;
};

// The outcome of header signing: add headers_to_add to the request, in order.
struct HeaderSignature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lower-case hex
  std::string authorization;  // the Authorization header's value
  // X-Amz-Security-Token (if there is a token), X-Amz-Date,
  // x-amz-content-sha256 (if sign_body), then Authorization.
  HeaderList headers_to_add;
};

// The outcome of query signing (a presigned URL).
struct QuerySignature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
  // "X-Amz-Algorithm=...&...&X-Amz-Signature=...", already %-encoded: append
  // to the request's query after a '&' (or use as the query if it had none).
  std::string query_to_append;
};

// Signs with an Authorization header. InvalidArgument when the parameters or
// the request cannot be signed (bad amz_date, empty region, a header name that
// is not an HTTP token, a path not starting with '/', or the request already
// carries a header this adds); Internal if OpenSSL fails.
Result<HeaderSignature> SignWithHeaders(const HttpRequestToSign& request,
                                        const Credentials& credentials,
                                        const SigningParams& params);

// Presigns: the signature travels in the query string, the headers are left
// alone (those the request has are still signed, so the client must send them
// unchanged). Errors as SignWithHeaders, plus expires_seconds out of range or a
// query that already has an X-Amz-* signing parameter.
Result<QuerySignature> PresignWithQuery(const HttpRequestToSign& request,
                                        const Credentials& credentials,
                                        const SigningParams& params);

// ---- The steps, for tests and for debugging a signature mismatch ----------

// The canonical request of `request` exactly as given: all its headers signed,
// its query as it is, the payload hash the hex SHA-256 of its body. Uses
// params.normalize_path and params.double_encode_path only.
Result<std::string> CanonicalRequest(const HttpRequestToSign& request, const SigningParams& params);

// "YYYYMMDD/region/service/aws4_request".
std::string CredentialScope(const SigningParams& params);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex SHA-256 of canonical_request>".
Result<std::string> StringToSign(const SigningParams& params, std::string_view canonical_request);

// Lower-case hex HMAC-SHA256 of string_to_sign under the key derived from the
// secret, date, region and service.
Result<std::string> Signature(std::string_view secret_access_key, const SigningParams& params,
                              std::string_view string_to_sign);

// The canonical path: normalized if asked, each segment %-encoded.
std::string CanonicalUri(std::string_view path, bool normalize, bool double_encode);

// The canonical query: each name and value decoded then encoded again, the
// pairs sorted by encoded name then encoded value, joined with '&'.
std::string CanonicalQuery(std::string_view raw_query);

// A header value as signed: trimmed, every run of white space (SP, HT, and the
// CR/LF of an obsolete folded line) collapsed to one space.
std::string CanonicalHeaderValue(std::string_view value);

}  // namespace logsvc::aws

#endif  // LOGSVC_AWS_SIGV4_H_
