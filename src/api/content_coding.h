// The content codings a request body may carry. None yet: a body is taken as
// sent, so "Content-Encoding: identity" or no Content-Encoding at all (the
// shipper issue adds gzip and zstd). A body in another coding is refused with
// 415 instead of being parsed as if it were plain (a gzip body is not
// "invalid JSON", and a plain body labelled br must not be stored as if it
// had been decoded).
#ifndef LOGSVC_API_CONTENT_CODING_H_
#define LOGSVC_API_CONTENT_CODING_H_

#include <optional>
#include <string_view>

#include "api/request_headers.h"

namespace logsvc::api {

// The codings a request body may carry, for the Accept-Encoding of a 415 (RFC
// 9110 section 15.5.16).
inline constexpr std::string_view kAcceptedContentCodings = "identity";

// The first coding named by the request's Content-Encoding fields (each a
// comma-separated list, any letter case) that is not supported; nullopt if
// every one is (or there is none).
std::optional<std::string_view> UnsupportedContentCoding(const RequestHeaders& headers);

}  // namespace logsvc::api

#endif  // LOGSVC_API_CONTENT_CODING_H_
