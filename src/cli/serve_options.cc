#include "cli/serve_options.h"

#include <charconv>

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

uint64_t DefaultMaxConnections(uint64_t descriptors) {
  if (descriptors < kReservedDescriptors + kMinConnections) return kMinConnections;
  return descriptors - kReservedDescriptors;
}

}  // namespace logsvc::cli
