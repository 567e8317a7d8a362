#include "api/content_coding.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "api/responses.h"
#include "core/ascii.h"

namespace logsvc::api {

namespace {

enum class Coding { kIdentity, kGzip, kZstd, kOther };

Coding CodingOf(std::string_view name) {
  if (ascii::EqualsIgnoreCase(name, "identity")) return Coding::kIdentity;
  if (ascii::EqualsIgnoreCase(name, "gzip") || ascii::EqualsIgnoreCase(name, "x-gzip")) {
    return Coding::kGzip;
  }
  if (ascii::EqualsIgnoreCase(name, "zstd")) return Coding::kZstd;
  return Coding::kOther;
}

constexpr size_t kChunk = 64 << 10;

ContentDecodeError TooLarge(size_t max_bytes) {
  return {413, "The request body is larger than " + std::to_string(max_bytes) +
                   " bytes once decompressed."};
}

ContentDecodeError OutOfMemory() {
  return {503, "The server has no memory to decompress the request body now; try again later."};
}

ContentDecodeError Corrupt(std::string_view coding, std::string_view why) {
  return {400,
          "The request body is not valid " + std::string(coding) + ": " + std::string(why) + "."};
}

// One or more gzip members (RFC 1952), and nothing after the last.
std::optional<ContentDecodeError> Gunzip(std::string_view in, size_t max_bytes, std::string* out) {
  z_stream zs{};
  // uInt counts: bodies past 4 GiB (no limit allows them) are not taken.
  if (in.size() > UINT32_MAX) return TooLarge(max_bytes);
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return OutOfMemory();
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&zs, inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[kChunk];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    const int r = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = sizeof buf - zs.avail_out;
    if (out->size() + produced > max_bytes) return TooLarge(max_bytes);
    out->append(buf, produced);
    if (r == Z_STREAM_END) {
      if (zs.avail_in == 0) return std::nullopt;
      if (inflateReset(&zs) != Z_OK) return OutOfMemory();
      continue;  // the next member
    }
    if (r == Z_OK || r == Z_BUF_ERROR) {
      // Input used up before the end of the member, with room left to write.
      if (zs.avail_in == 0 && zs.avail_out != 0) return Corrupt("gzip", "it ends too early");
      continue;
    }
    if (r == Z_MEM_ERROR) return OutOfMemory();
    return Corrupt("gzip", zs.msg ? zs.msg : "it does not decode");
  }
}

// The window a zstd frame may ask for: enough for a body of max_bytes, and at
// least what streaming compressors use by default at their usual levels (8
// MiB at level 19), at most zstd's own default limit (128 MiB).
int WindowLogFor(size_t max_bytes) {
  int log = 10;
  while (log < 27 && (size_t{1} << log) < max_bytes) ++log;
  return std::max(log, 23);
}

// One or more zstd frames (RFC 8878), and nothing after the last.
std::optional<ContentDecodeError> Unzstd(std::string_view in, size_t max_bytes, std::string* out) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!d) return OutOfMemory();
  if (ZSTD_isError(ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, WindowLogFor(max_bytes)))) {
    return OutOfMemory();  // not expected: the value is within zstd's bounds
  }
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  char buf[kChunk];
  for (;;) {
    ZSTD_outBuffer output{buf, sizeof buf, 0};
    const size_t r = ZSTD_decompressStream(d.get(), &output, &input);
    if (ZSTD_isError(r)) {
      if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge) {
        return ContentDecodeError{413, "The request body's zstd frame needs a window larger than " +
                                           std::to_string(size_t{1} << WindowLogFor(max_bytes)) +
                                           " bytes; compress it with a smaller one."};
      }
      if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) return OutOfMemory();
      return Corrupt("zstd", ZSTD_getErrorName(r));
    }
    if (out->size() + output.pos > max_bytes) return TooLarge(max_bytes);
    out->append(buf, output.pos);
    const bool all_read = input.pos == input.size;
    if (r == 0 && all_read) return std::nullopt;  // the last frame is complete
    if (all_read && output.pos < output.size) return Corrupt("zstd", "it ends too early");
  }
}

// The codings the Content-Encoding fields name, identity left out, in the
// order listed (at most kMaxContentCodings; `too_many` past that), and the
// first one not supported.
struct NamedCodings {
  std::vector<Coding> codings;
  bool too_many = false;
  std::optional<std::string_view> unsupported;
};

NamedCodings CodingsOf(const RequestHeaders& headers) {
  NamedCodings out;
  headers.ForEach("Content-Encoding", [&](std::string_view list) {
    ascii::ForEachListItem(list, [&](std::string_view name) {
      const Coding c = CodingOf(name);
      if (c == Coding::kOther && !out.unsupported) out.unsupported = name;
      if (c == Coding::kIdentity || c == Coding::kOther) return;
      if (out.codings.size() == kMaxContentCodings) out.too_many = true;
      if (!out.too_many) out.codings.push_back(c);
    });
  });
  return out;
}

}  // namespace

std::optional<std::string_view> UnsupportedContentCoding(const RequestHeaders& headers) {
  return CodingsOf(headers).unsupported;
}

std::optional<ContentDecodeError> DecodeContent(const RequestHeaders& headers,
                                                std::string_view body, size_t max_bytes,
                                                std::string* decoded, bool* used_decoded) {
  *used_decoded = false;
  const NamedCodings named = CodingsOf(headers);
  if (named.unsupported) {
    return ContentDecodeError{415, "Content-Encoding " + QuotedExcerpt(*named.unsupported) +
                                       " is not supported; send the body uncompressed, or in " +
                                       "gzip or zstd."};
  }
  if (named.too_many) {
    return ContentDecodeError{400, "Content-Encoding names more than " +
                                       std::to_string(kMaxContentCodings) + " codings."};
  }
  const std::vector<Coding>& codings = named.codings;
  // Applied in the order listed: undone from the last.
  std::string input;
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    std::string output;
    const std::string_view from = *used_decoded ? std::string_view(input) : body;
    auto error =
        *it == Coding::kGzip ? Gunzip(from, max_bytes, &output) : Unzstd(from, max_bytes, &output);
    if (error) return error;
    input.swap(output);
    *used_decoded = true;
  }
  if (*used_decoded) decoded->swap(input);
  return std::nullopt;
}

std::optional<ContentDecodeError> DecodeSnappyBlock(std::string_view body, size_t max_bytes,
                                                    std::string* out) {
  out->clear();
  size_t length = 0;
  // Reads only the block's length header (a varint of at most 5 bytes).
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &length)) {
    return Corrupt("snappy", "its length header does not decode");
  }
  if (length > max_bytes) return TooLarge(max_bytes);
  try {
    out->resize(length);
  } catch (const std::bad_alloc&) {
    return OutOfMemory();
  }
  // Checks every copy against the input and the announced length.
  if (!snappy::RawUncompress(body.data(), body.size(), out->data())) {
    out->clear();
    return Corrupt("snappy", "it does not decode");
  }
  return std::nullopt;
}

}  // namespace logsvc::api
