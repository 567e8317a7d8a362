// The content codings a request body may carry: gzip (and its alias x-gzip),
// zstd and identity, named by Content-Encoding (RFC 9110 section 8.4: a list,
// any letter case, in the order they were applied; several fields are one
// list). Shippers compress their batches this way (Filebeat, Vector, Fluent
// Bit, the OpenTelemetry exporters).
//
// Decoding is bounded: the decoded body may not exceed the same limit as a
// plain one (a small gzip of zeros must not become gigabytes in memory: 413,
// not an out-of-memory), a zstd frame may not ask for a window larger than
// the limit or 8 MiB, whichever is larger (what streaming compressors use at
// their usual levels; 413 past it), and at most kMaxContentCodings codings
// are undone. A body in another
// coding is refused with 415 instead of being parsed as if it were plain (a
// gzip body is not "invalid JSON", and a plain body labelled br must not be
// stored as if it had been decoded); a body that does not decode is 400.
//
// Pure functions, thread-safe.
#ifndef LOGSVC_API_CONTENT_CODING_H_
#define LOGSVC_API_CONTENT_CODING_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "api/request_headers.h"

namespace logsvc::api {

// The codings a request body may carry, for the Accept-Encoding of a 415 (RFC
// 9110 section 15.5.16).
inline constexpr std::string_view kAcceptedContentCodings = "gzip, zstd, identity";
inline constexpr size_t kMaxContentCodings = 4;

// The first coding named by the request's Content-Encoding fields that is not
// supported; nullopt if every one is (or there is none).
std::optional<std::string_view> UnsupportedContentCoding(const RequestHeaders& headers);

// Why a body could not be decoded: the status to answer (400, 413 or 415; 503
// if memory for a decoder could not be had) and a sentence for the client.
struct ContentDecodeError {
  int status;
  std::string message;
};

// Undoes the codings the request's Content-Encoding names, last applied first.
// On success, nullopt, and *decoded is the body as sent before coding (left
// untouched when there is nothing to undo: use `body` then, *used_decoded
// false). Never makes more than `max_bytes` of output.
std::optional<ContentDecodeError> DecodeContent(const RequestHeaders& headers,
                                                std::string_view body, size_t max_bytes,
                                                std::string* decoded, bool* used_decoded);

// Loki's protobuf bodies: one snappy block (the raw format, not the framed
// one; Content-Encoding does not name it: the media type implies it). On
// success nullopt and *out is the uncompressed body. 413 when the length the
// block announces exceeds `max_bytes` (checked before anything is allocated),
// 400 when the block does not decode; *out is then unspecified.
std::optional<ContentDecodeError> DecodeSnappyBlock(std::string_view body, size_t max_bytes,
                                                    std::string* out);

}  // namespace logsvc::api

#endif  // LOGSVC_API_CONTENT_CODING_H_
