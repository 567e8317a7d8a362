// gzip and zstd compression for tests and the fuzz targets, with zlib and
// libzstd themselves. A compressor that fails aborts: the test's tools, not
// the code under test, are broken then.
#ifndef LOGSVC_TESTS_UNIT_COMPRESS_H_
#define LOGSVC_TESTS_UNIT_COMPRESS_H_

#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace logsvc::testing {

inline void CompressorCheck(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "%s failed\n", what);
  std::abort();
}

inline std::string Gzip(std::string_view in) {
  z_stream zs{};
  CompressorCheck(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
                  "deflateInit2");
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  CompressorCheck(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline std::string Zstd(std::string_view in, int level = 3) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
  CompressorCheck(!ZSTD_isError(n), "ZSTD_compress");
  out.resize(n);
  return out;
}

}  // namespace logsvc::testing

#endif  // LOGSVC_TESTS_UNIT_COMPRESS_H_
