// Microbenchmarks of search's hot paths: the tokenizer (run at ingest to index
// words, later) and the matcher (run on every entry a scan reads). Built with
// -DLOGSVC_BENCH=ON; not part of ctest:  build/bench_search
#include <benchmark/benchmark.h>

#include <string>

#include "core/query.h"
#include "core/text_query.h"
#include "core/words.h"

namespace {

using namespace logsvc;

const std::string kAscii =
    "2026-12-01 12:00:03 ERROR [checkout-7f9c] Database connection timeout after 5000 ms "
    "(user_id=42, host=10.0.0.17, attempt 3/5); will retry";
const std::string kCyrillic =
    "Ошибка подключения к базе данных: время ожидания истекло через 5000 мс (попытка 3/5)";
const std::string kCjk = "データベース接続がタイムアウトしました user_id=42 再試行します";

void Tokenize(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    words::WordReader reader(text);
    words::Word w;
    size_t n = 0;
    while (reader.Next(&w)) n += w.text.size();
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK_CAPTURE(Tokenize, ascii, kAscii);
BENCHMARK_CAPTURE(Tokenize, cyrillic, kCyrillic);
BENCHMARK_CAPTURE(Tokenize, cjk, kCjk);

void Match(benchmark::State& state, const char* q, const std::string& text) {
  TextQuery query = ParseText(q).value();
  for (auto _ : state) benchmark::DoNotOptimize(Matches(query, text));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(Match, word_miss, "deadlock", kAscii);
BENCHMARK_CAPTURE(Match, word_hit_early, "database", kAscii);
BENCHMARK_CAPTURE(Match, three_terms, "timeout -\"connection refused\" retr*", kAscii);
BENCHMARK_CAPTURE(Match, cyrillic, "\"время ожидания\"", kCyrillic);

void ParseParams(benchmark::State& state) {
  const std::string raw =
      "severity=error,warning&from=2026-12-01T00:00:00Z&to=now&q=timeout%20-retry&limit=100";
  for (auto _ : state) benchmark::DoNotOptimize(ParseSearchParams(raw, 1'796'083'200'000).ok());
}
BENCHMARK(ParseParams);

}  // namespace
