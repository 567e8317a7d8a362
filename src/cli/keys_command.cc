#include "cli/keys_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace logsvc::cli {
namespace {

constexpr std::streamoff kMaxKeyFileBytes = 4 << 20;

std::string Errno() { return std::strerror(errno); }

}  // namespace

Result<std::shared_ptr<const api::KeyRing>> LoadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("cannot read the keys file " + path +
                                   " (--auth-keys): " + Errno());
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > kMaxKeyFileBytes) {
    return Status::InvalidArgument("the keys file " + path + " is over 4 MiB");
  }
  in.seekg(0);
  std::ostringstream text;
  text << in.rdbuf();
  auto ring = api::KeyRing::Parse(text.str());
  if (!ring.ok()) {
    return Status::InvalidArgument("the keys file " + path + ": " + ring.status().message());
  }
  // A file with no key (emptied, or caught half-written) must not turn
  // authentication off: without --auth-keys the service is open, with it never.
  if (ring.value().empty()) {
    return Status::InvalidArgument("the keys file " + path +
                                   " holds no key: make one with `logsvc keys create`, or "
                                   "leave out --auth-keys to serve without keys");
  }
  return std::make_shared<const api::KeyRing>(std::move(ring).value());
}

int RunKeysCreate(const std::string& path, const std::string& scopes, const std::string& name,
                  const api::RateLimits& limits) {
  auto parsed = api::ParseScopes(scopes);
  if (!parsed.ok()) {
    std::fprintf(stderr, "logsvc: error: --scopes: %s\n", parsed.status().message().c_str());
    return 2;
  }
  auto key = api::CreateKey(parsed.value(), name, limits);
  if (!key.ok()) {
    std::fprintf(stderr, "logsvc: error: %s\n", key.status().message().c_str());
    return key.status().code() == Status::Code::kInvalidArgument ? 2 : 1;
  }
  // Appended whole (one write of one line, O_APPEND) and synced before the
  // key is shown: a key printed is a key the file holds.
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "logsvc: error: cannot open the keys file %s: %s\n", path.c_str(),
                 Errno().c_str());
    return 1;
  }
  const std::string& line = key.value().line;
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  const std::string why = written ? "" : Errno();
  ::close(fd);
  if (!written) {
    std::fprintf(stderr, "logsvc: error: cannot write the keys file %s: %s\n", path.c_str(),
                 why.c_str());
    return 1;
  }
  std::printf("%s\n", key.value().secret.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "logsvc: added a key with scopes %s to %s; it is shown only this once. A running "
               "`logsvc serve` takes it on SIGHUP.\n",
               scopes.c_str(), path.c_str());
  return 0;
}

}  // namespace logsvc::cli
