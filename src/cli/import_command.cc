#include "cli/import_command.h"

#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "core/ascii.h"
#include "core/json_writer.h"
#include "crypto/sha256.h"

namespace logsvc::cli {
namespace {

constexpr size_t kBatchEntries = 1000;
constexpr size_t kBatchBytes = 512 * 1024;  // under the server's default 1 MiB body

struct Batch {
  std::string body;  // NDJSON
  size_t entries = 0;
  std::string key;       // Idempotency-Key
  std::string where;     // "FILE, lines A to B", for an error
  size_t end_bytes = 0;  // of all the files, read up to the end of this batch (progress)
};

// The severity of a plain-text line: error if it has an error word, else
// warning if it has a warning word, else info.
std::string_view GuessSeverity(std::string_view line) {
  auto alnum = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  auto has = [&](std::string_view word) {
    for (size_t at = line.find(word); at != std::string_view::npos; at = line.find(word, at + 1)) {
      const bool start = at == 0 || !alnum(line[at - 1]);
      const bool end = at + word.size() == line.size() || !alnum(line[at + word.size()]);
      if (start && end) return true;
    }
    return false;
  };
  for (std::string_view w : {"ERROR", "Error", "error", "ERR", "FATAL", "Fatal", "fatal",
                             "CRITICAL", "CRIT", "PANIC", "panic"}) {
    if (has(w)) return "error";
  }
  for (std::string_view w : {"WARN", "WARNING", "Warning", "warning", "warn"}) {
    if (has(w)) return "warning";
  }
  return "info";
}

// The whole file, in one read (a stream iterator reads a byte at a time).
bool ReadFile(const std::string& path, std::string* out) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) return false;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), f.get())) > 0;) out->append(buf, n);
  return !std::ferror(f.get());
}

// Hands batches from the reader (this thread) to the senders.
class Queue {
 public:
  explicit Queue(size_t capacity) : capacity_(capacity) {}
  // false once Fail()ed: the caller stops reading.
  bool Push(Batch b) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return items_.size() < capacity_ || failed_; });
    if (failed_) return false;
    items_.push_back(std::move(b));
    ready_.notify_one();
    return true;
  }
  bool Pop(Batch* b) {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !items_.empty() || closed_ || failed_; });
    if (failed_ || items_.empty()) return false;
    *b = std::move(items_.front());
    items_.pop_front();
    space_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    ready_.notify_all();
  }
  // The first failure wins; everyone stops.
  void Fail(std::string why) {
    std::lock_guard lock(mu_);
    if (!failed_) error_ = std::move(why);
    failed_ = true;
    ready_.notify_all();
    space_.notify_all();
  }
  bool failed() {
    std::lock_guard lock(mu_);
    return failed_;
  }
  std::string error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<Batch> items_;
  const size_t capacity_;
  bool closed_ = false, failed_ = false;
  std::string error_;
};

}  // namespace

int RunImport(const ClientOptions& client_options, const ImportOptions& o) {
  if (o.severity != "" && o.severity != "info" && o.severity != "warning" &&
      o.severity != "error") {
    std::fprintf(stderr, "logsvc: error: --severity is info, warning or error\n");
    return kExitUsage;
  }
  size_t total_bytes = 0;
  for (const std::string& f : o.files) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(f, ec);
    if (ec) {
      std::fprintf(stderr, "logsvc: error: cannot read %s: %s\n", f.c_str(), ec.message().c_str());
      return kExitUsage;
    }
    total_bytes += size;
  }
  auto client = OpenClient(client_options);
  if (!client) return kExitUsage;
  ApiClient& api = *client;
  Queue queue(static_cast<size_t>(o.concurrency) * 2);
  std::atomic<size_t> stored{0}, replayed{0}, sent_bytes{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < o.concurrency; ++i) {
    senders.emplace_back([&] {
      Batch b;
      while (queue.Pop(&b)) {
        bool again = false;
        if (std::string why = PostEntries(api, b.body, "application/x-ndjson", b.key, &again);
            !why.empty()) {
          return queue.Fail(b.where + ": " + why);
        }
        (again ? replayed : stored) += b.entries;
        for (size_t seen = sent_bytes.load();
             seen < b.end_bytes && !sent_bytes.compare_exchange_weak(seen, b.end_bytes);) {
        }
      }
    });
  }
  // Progress on a terminal, twice a second.
  const bool progress = isatty(STDERR_FILENO);
  std::atomic<bool> done{false};
  const auto start = std::chrono::steady_clock::now();
  auto report = [&] {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const size_t n = stored + replayed, bytes = sent_bytes;
    const double rate = n / std::max(secs, 0.001);
    const double eta = bytes > 0 ? secs * (static_cast<double>(total_bytes) / bytes - 1) : 0;
    std::fprintf(stderr, "\rimported %zu entries, %.0f/s, %3.0f%%, ETA %.0f s   ", n, rate,
                 total_bytes ? 100.0 * bytes / total_bytes : 100.0, eta);
  };
  std::thread reporter([&] {
    while (progress && !done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      if (!done) report();
    }
  });

  // Read the files into batches, in order.
  size_t bytes_before = 0;
  std::string read_error;
  for (const std::string& path : o.files) {
    std::string all;
    if (!ReadFile(path, &all)) {
      read_error = "cannot read " + path;
      break;
    }
    const std::string name = std::filesystem::path(path).filename();
    Batch batch;
    size_t index = 0;
    // Where the batch's entries are: lines of a text or NDJSON file, or
    // entries of an array (1-based).
    size_t item = 0, first_item = 1;
    const char* unit = "lines";
    auto flush = [&](size_t end_in_file) {
      if (batch.entries == 0) return true;
      batch.where =
          path + ", " + unit + " " + std::to_string(first_item) + " to " + std::to_string(item);
      first_item = item + 1;
      batch.key = ascii::LowerHex(std::string_view(
          reinterpret_cast<const char*>(
              crypto::Sha256OfParts({"logsvc import", name, std::to_string(index++), batch.body})
                  .data()),
          32));
      batch.end_bytes = bytes_before + end_in_file;
      const bool ok = queue.Push(std::move(batch));
      batch = Batch();
      return ok;
    };
    auto add = [&](std::string_view line, size_t end_in_file) {
      // A batch stays under kBatchBytes: one that would pass it goes first.
      if (batch.entries > 0 && batch.body.size() + line.size() + 1 > kBatchBytes) {
        --item;
        if (!flush(end_in_file)) return false;
        ++item;
      }
      if (batch.body.empty()) batch.body.reserve(kBatchBytes + 64 * 1024);
      batch.body.append(line);
      batch.body.push_back('\n');
      ++batch.entries;
      if (batch.entries >= kBatchEntries || batch.body.size() >= kBatchBytes) {
        return flush(end_in_file);
      }
      return true;
    };
    const size_t first = all.find_first_not_of(" \t\r\n");
    const char kind = first == std::string::npos ? '\0' : all[first];
    bool ok = true;
    if (kind == '[') {  // a JSON array of entries
      simdjson::dom::parser parser;
      simdjson::dom::array entries;
      if (parser.parse(all).get(entries)) {
        read_error = path + " begins with '[' but is not a JSON array";
        break;
      }
      unit = "entries";
      for (simdjson::dom::element e : entries) {
        ++item;
        if (!(ok = add(simdjson::minify(e), 0))) break;  // progress: by file
      }
    } else {  // NDJSON lines, or plain text lines
      size_t pos = 0;
      std::string entry;
      while (ok && pos < all.size()) {
        size_t nl = all.find('\n', pos);
        if (nl == std::string::npos) nl = all.size();
        std::string_view line(all.data() + pos, nl - pos);
        pos = nl + 1;
        ++item;  // counted blank or not: the file's line numbers
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        if (kind == '{') {
          ok = add(line, pos);
        } else {
          entry = "{\"severity\":\"";
          entry += o.severity.empty() ? GuessSeverity(line) : o.severity;
          entry += "\",\"message\":";
          json::AppendString(&entry, line);
          entry += "}";
          ok = add(entry, pos);
        }
      }
    }
    if (!ok || !flush(all.size())) break;
    bytes_before += all.size();
  }
  if (!read_error.empty()) queue.Fail(read_error);
  queue.Close();
  for (auto& t : senders) t.join();
  done = true;
  reporter.join();
  if (progress) {  // the last state, however short the import was
    report();
    std::fputc('\n', stderr);
  }
  if (!read_error.empty()) {
    return ServerError(read_error + " (" + std::to_string(stored + replayed) +
                       " entries of the files before it are stored)");
  }
  if (queue.failed()) {
    return ServerError(queue.error() + "; " + std::to_string(stored + replayed) +
                       " entries are stored: fix that and run the same import again to go on");
  }
  std::printf("imported %zu entries (%zu already there)\n", stored.load() + replayed.load(),
              replayed.load());
  return kExitOk;
}

}  // namespace logsvc::cli
