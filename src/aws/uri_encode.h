// Percent-encoding as AWS Signature Version 4 defines it: RFC 3986 with only
// the unreserved characters (A-Z a-z 0-9 - . _ ~) left as they are, hex digits
// upper case, and no '+' for space in either direction. Pure functions.
#ifndef LOGSVC_AWS_URI_ENCODE_H_
#define LOGSVC_AWS_URI_ENCODE_H_

#include <string>
#include <string_view>

namespace logsvc::aws {

// `s` with every byte but the unreserved ones written as %XX; '/' too unless
// `keep_slash` (a path whose separators must survive).
std::string UriEncode(std::string_view s, bool keep_slash = false);

// `s` with each %XX replaced by its byte. A '%' not followed by two hex digits
// stays as it is (a lenient decode: the signer must sign what the client sends,
// and AWS re-encodes such a '%' as %25 too). '+' stays '+'.
std::string UriDecode(std::string_view s);

}  // namespace logsvc::aws

#endif  // LOGSVC_AWS_URI_ENCODE_H_
