#include "cli/serve_options.h"

#include <charconv>
#include <optional>
#include <string_view>
#include <utility>

namespace logsvc::cli {

Result<HostPort> ParseListenAddress(const std::string& listen) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("invalid --listen '" + listen + "': " + why +
                                   " (expected HOST:PORT, e.g. 127.0.0.1:8080)");
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return bad("an IPv6 address needs brackets");
  }
  if (host.empty()) return bad("no host");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return bad("the port is not a number from 0 to 65535");
  }
  return HostPort{host, static_cast<uint16_t>(port)};
}

namespace {

// A size: a number and an optional unit (B, KB..TB, KiB..TiB); nullopt if not.
std::optional<uint64_t> ParseSize(std::string_view text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  double number = 0;
  auto [unit_start, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || unit_start == begin || number < 0) return std::nullopt;
  const std::string_view unit(unit_start, static_cast<size_t>(end - unit_start));
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},          {"B", 1},
      {"KB", 1e3},      {"MB", 1e6},
      {"GB", 1e9},      {"TB", 1e12},
      {"KiB", 1024.0},  {"MiB", 1048576.0},
      {"GiB", 1 << 30}, {"TiB", 1099511627776.0}};
  for (const auto& [name, scale] : kUnits) {
    if (unit == name) {
      const double bytes = number * scale;
      if (bytes > 1e18) return std::nullopt;
      return static_cast<uint64_t>(bytes);
    }
  }
  return std::nullopt;
}

}  // namespace

Result<DiskReserve> ParseDiskReserve(const std::string& text) {
  if (text.empty()) return DiskReserve{256ull << 20, 0.02};
  auto bad = [&] {
    return Status::InvalidArgument("invalid --min-free-disk '" + text +
                                   "': expected a size such as 512MiB or 2GB, or a percentage "
                                   "of the disk up to 50% such as 5%");
  };
  if (text.ends_with('%')) {
    double number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, number);
    if (ec != std::errc() || end != text.data() + text.size() - 1 || number < 0 || number > 50) {
      return bad();
    }
    return DiskReserve{0, number / 100};
  }
  const auto bytes = ParseSize(text);
  if (!bytes) return bad();
  return DiskReserve{*bytes, 0};
}

Result<uint64_t> ParseMaxDiskBytes(const std::string& text) {
  if (text.empty() || text == "0") return uint64_t{0};
  const auto bytes = ParseSize(text);
  if (!bytes || *bytes < kMinMaxDiskBytes) {
    return Status::InvalidArgument(
        "invalid --max-disk-bytes '" + text +
        "': expected a size of at least 128MiB (the store's logs alone take 64 MiB), such as "
        "20GiB, or 0 for no bound");
  }
  return *bytes;
}

Result<int64_t> ParseRetention(const std::string& text) {
  if (text.empty() || text == "0") return int64_t{0};
  auto bad = [&] {
    return Status::InvalidArgument("invalid --retention '" + text +
                                   "': expected a whole number of seconds, minutes, hours or "
                                   "days, such as 30d, 12h, 90m or 3600s, or 0 to keep all");
  };
  if (text.size() < 2) return bad();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || n <= 0 || n > 100000000) {
    return bad();
  }
  switch (text.back()) {
    case 's':
      return n * 1000;
    case 'm':
      return n * 60 * 1000;
    case 'h':
      return n * 3600 * 1000;
    case 'd':
      return n * 86400 * 1000;
    default:
      return bad();
  }
}

uint64_t DefaultMaxConnections(uint64_t descriptors) {
  if (descriptors < kReservedDescriptors + kMinConnections) return kMinConnections;
  return descriptors - kReservedDescriptors;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace logsvc::cli
