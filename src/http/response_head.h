// FormatResponseHead: the status line and header block of an HTTP/1.x
// response, everything before the body, as one contiguous string.
//
// Beast parses every request; replies are written from this buffer plus the
// body instead of through Beast's serializer, which for a ~250-byte response
// spent more user time (a fields container allocating per field, a chain of
// buffer-sequence adaptors) than the rest of the request path together
// (perf, bench/run.sh: ingest went from ~40k to ~46k requests/s).
//
// Pure function; no I/O, thread-safe.
#ifndef LOGSVC_HTTP_RESPONSE_HEAD_H_
#define LOGSVC_HTTP_RESPONSE_HEAD_H_

#include <string>

#include "api/api.h"

namespace logsvc::http {

// Appends to `out` (after clearing it):
//   "HTTP/1.<minor> <status> <reason>\r\n", each of `response.headers`,
//   "Content-Length: <body size>\r\n" unless the status carries no body (1xx,
//   204, 304) or, for a stream (response.stream), "Transfer-Encoding:
//   chunked" in HTTP/1.1 and nothing in 1.0 (the body ends at the close), the Connection header
//   HTTP/1.<minor> needs to say `keep_alive`, then the empty line. The body is not included: send
//   `response.Body()` after it, or nothing for a HEAD request (the length still is the GET body's).
// `version` is Beast's encoding: 10 for HTTP/1.0, 11 for HTTP/1.1. Header
// names and values come from api::Api and must not contain CR or LF.
void FormatResponseHead(const api::Response& response, unsigned version, bool keep_alive,
                        std::string* out);

}  // namespace logsvc::http

#endif  // LOGSVC_HTTP_RESPONSE_HEAD_H_
