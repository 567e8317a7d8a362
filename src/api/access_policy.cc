#include "api/access_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <optional>

#include "api/responses.h"
#include "core/ascii.h"

namespace logsvc::api {
namespace {

struct IpAddress {
  int family = 0;  // AF_INET, AF_INET6, or 0: not an address
  std::array<unsigned char, 16> bytes{};
};

// The address `s` spells (IPv6 without brackets). inet_pton only parses: no lookup.
IpAddress ParseIp(std::string_view s) {
  IpAddress ip;
  std::array<char, 64> text{};
  if (s.empty() || s.size() >= text.size()) return ip;
  std::copy(s.begin(), s.end(), text.begin());
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, text.data(), ip.bytes.data()) == 1) {
      ip.family = family;
      break;
    }
  }
  return ip;
}

int IpFamily(std::string_view s) { return ParseIp(s).family; }

// 0.0.0.0 or :: (any spelling): an address that listens on every interface.
bool IsWildcardAddress(std::string_view s) {
  IpAddress ip = ParseIp(s);
  return ip.family != 0 &&
         std::all_of(ip.bytes.begin(), ip.bytes.end(), [](unsigned char b) { return b == 0; });
}

// A dotted-quad IPv4 address ("127.0.0.1"), as browsers write one in Host.
// By hand rather than with inet_pton: it runs on every request, and
// inet_pton wants a NUL-terminated copy (it was a third of the check's time).
bool IsIpv4(std::string_view s) {
  for (int part = 1;; ++part) {
    size_t digits = 0;
    unsigned value = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
      if (++digits > 3) return false;
      value = value * 10 + static_cast<unsigned>(s[digits - 1] - '0');
    }
    if (digits == 0 || value > 255) return false;
    s.remove_prefix(digits);
    if (s.empty()) return part == 4;
    if (s.front() != '.' || part == 4) return false;
    s.remove_prefix(1);
  }
}

// Letters, digits, '-', '_' and dots: a DNS name as people write them.
bool IsHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  unsigned n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n >= 1 && n <= 65535;
}

// "host" or "host:port", the host a name, an IPv4 address or a bracketed IPv6 one.
struct Authority {
  std::string_view host;  // without brackets or a trailing dot
  std::string_view port;  // "" if none
  bool ip = false;
};

std::optional<Authority> ParseAuthority(std::string_view s) {
  Authority a;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    a.host = s.substr(1, close - 1);
    if (IpFamily(a.host) != AF_INET6) return std::nullopt;
    a.ip = true;
    rest = s.substr(close + 1);
  } else {
    size_t colon = s.find(':');
    a.host = s.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
    if (!a.host.empty() && a.host.back() == '.') a.host.remove_suffix(1);
    if (!IsHostName(a.host)) return std::nullopt;
    a.ip = IsIpv4(a.host);
  }
  if (!rest.empty()) {
    if (rest.front() != ':' || !IsPort(rest.substr(1))) return std::nullopt;
    a.port = rest.substr(1);
  }
  return a;
}

// The items separated by commas.
std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ',';
    out += item;
  }
  return out;
}

// An origin as browsers serialize it (RFC 6454 section 6.1), or why `s` is not one.
Result<std::string> NormalizeOrigin(std::string_view s) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("invalid --cors-origins entry '" + std::string(s) + "': " + why +
                                   " (expected scheme://host[:port], e.g. "
                                   "https://app.example.com, or '*')");
  };
  size_t sep = s.find("://");
  if (sep == std::string_view::npos) return bad("not an origin");
  std::string scheme = ascii::Lower(s.substr(0, sep));
  if (scheme != "http" && scheme != "https") return bad("the scheme must be http or https");
  std::string_view rest = s.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return bad("an origin has no path, query or user name");
  }
  auto authority = ParseAuthority(rest);
  if (!authority || authority->host.empty()) return bad("the host or port is not valid");
  std::string out = scheme + "://";
  bool bracketed = !rest.empty() && rest.front() == '[';
  if (bracketed) out += '[';
  out += ascii::Lower(authority->host);
  if (bracketed) out += ']';
  std::string_view default_port = scheme == "http" ? "80" : "443";
  if (!authority->port.empty() && authority->port != default_port) {
    out += ':';
    out += authority->port;
  }
  return out;
}

Access Refuse(int status, std::string error) {
  Access a;
  a.status = status;
  a.error = std::move(error);
  return a;
}

// An Origin that is the server's own: http:// and the Host the request was sent to.
bool IsSameOrigin(std::string_view origin, std::optional<std::string_view> host) {
  constexpr std::string_view kScheme = "http://";
  return host && !host->empty() && origin.size() == kScheme.size() + host->size() &&
         ascii::EqualsIgnoreCase(origin.substr(0, kScheme.size()), kScheme) &&
         ascii::EqualsIgnoreCase(origin.substr(kScheme.size()), *host);
}

}  // namespace

HostPolicy HostPolicy::AnyHost() { return HostPolicy(); }

Result<HostPolicy> HostPolicy::ForServer(std::string_view listen_host,
                                         std::string_view allowed_hosts) {
  HostPolicy p;
  p.any_ = false;
  p.names_.push_back("localhost");
  bool listed = false, star = false;
  Status error;
  ascii::ForEachListItem(allowed_hosts, [&](std::string_view item) {
    listed = true;
    auto bad = [&](const char* why) {
      if (error.ok()) {
        error = Status::InvalidArgument(
            "invalid --allowed-hosts entry '" + std::string(item) + "': " + why +
            " (expected host names separated by commas, e.g. logs.example.com, or '*')");
      }
    };
    if (item == "*") {
      star = true;
      return;
    }
    if (item.find("://") != std::string_view::npos || item.find('/') != std::string_view::npos) {
      return bad("a host name, not a URL");
    }
    if (IpFamily(item) == AF_INET6) return;  // an address: always answered
    auto authority = ParseAuthority(item);
    if (!authority || authority->host.empty()) return bad("not a host name");
    if (!authority->port.empty())
      return bad("give the name without a port (ports are not checked)");
    if (authority->ip) return;
    std::string name = ascii::Lower(authority->host);
    if (std::find(p.names_.begin(), p.names_.end(), name) == p.names_.end()) {
      p.names_.push_back(std::move(name));
    }
  });
  if (!error.ok()) return error;
  if (star) {
    if (p.names_.size() > 1) {
      return Status::InvalidArgument(
          "invalid --allowed-hosts: '*' answers every host; give '*' or host names, not both");
    }
    return AnyHost();
  }
  if (!listed && IsWildcardAddress(listen_host)) return AnyHost();
  if (IpFamily(listen_host) == 0 && !listen_host.empty()) {
    std::string name = ascii::Lower(listen_host);
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (std::find(p.names_.begin(), p.names_.end(), name) == p.names_.end()) {
      p.names_.push_back(std::move(name));
    }
  }
  return p;
}

bool HostPolicy::Allows(std::string_view host) const {
  if (any_ || host.empty()) return true;
  auto authority = ParseAuthority(host);
  if (!authority) return false;
  if (authority->ip) return true;
  return std::any_of(names_.begin(), names_.end(), [&](const std::string& name) {
    return ascii::EqualsIgnoreCase(authority->host, name);
  });
}

std::string HostPolicy::Describe() const { return any_ ? "*" : "IP addresses," + Join(names_); }

CorsPolicy CorsPolicy::SameOriginOnly() { return CorsPolicy(); }

CorsPolicy CorsPolicy::AnyOrigin() {
  CorsPolicy p;
  p.any_ = true;
  return p;
}

Result<CorsPolicy> CorsPolicy::Parse(std::string_view origins) {
  CorsPolicy p;
  Status error;
  bool star = false;
  ascii::ForEachListItem(origins, [&](std::string_view item) {
    if (!error.ok()) return;
    if (item == "*") {
      star = true;
      return;
    }
    auto origin = NormalizeOrigin(item);
    if (!origin.ok()) {
      error = origin.status();
      return;
    }
    if (std::find(p.origins_.begin(), p.origins_.end(), origin.value()) == p.origins_.end()) {
      p.origins_.push_back(std::move(origin).value());
    }
  });
  if (!error.ok()) return error;
  if (star && !p.origins_.empty()) {
    return Status::InvalidArgument(
        "invalid --cors-origins: '*' allows every origin; give '*' or origins, not both");
  }
  if (star) return AnyOrigin();
  return p;
}

std::string CorsPolicy::Describe() const { return any_ ? "*" : Join(origins_); }

std::string_view CorsPolicy::Find(std::string_view origin) const {
  for (const std::string& o : origins_) {
    if (ascii::EqualsIgnoreCase(origin, o)) return o;
  }
  return {};
}

Access AccessPolicy::Check(std::string_view method, const RequestHeaders& headers) const {
  Access access;
  std::optional<std::string_view> host, origin, site, mode, dest;
  int origins = 0;
  // One pass over the fields, for the hot path: a request from curl or a
  // shipper has a handful of fields and no Origin.
  for (const HeaderField& f : headers.fields()) {
    if (ascii::EqualsIgnoreCase(f.name, "Host")) {
      // Every Host field is checked: a second one must not slip through.
      if (!hosts.Allows(f.value)) {
        return Refuse(421, "This server does not answer to the Host " + QuotedExcerpt(f.value) +
                               "; add that name to --allowed-hosts to allow it.");
      }
      if (!host) host = f.value;
    } else if (ascii::EqualsIgnoreCase(f.name, "Origin")) {
      ++origins;
      if (!origin) origin = f.value;
    } else if (ascii::EqualsIgnoreCase(f.name, "Sec-Fetch-Site")) {
      site = f.value;
    } else if (ascii::EqualsIgnoreCase(f.name, "Sec-Fetch-Mode")) {
      mode = f.value;
    } else if (ascii::EqualsIgnoreCase(f.name, "Sec-Fetch-Dest")) {
      dest = f.value;
    }
  }
  if (cors.any()) {
    access.allow_origin = "*";
    return access;
  }
  if (origins > 1) return Refuse(403, "The request has more than one Origin header.");
  if (origin) {
    if (IsSameOrigin(*origin, host)) return access;
    access.allow_origin = cors.Find(*origin);
    if (!access.allow_origin.empty()) return access;
    return Refuse(403, "Web pages from the origin " + QuotedExcerpt(*origin) +
                           " may not use this server; list that origin in --cors-origins to "
                           "allow them.");
  }
  if (site && (ascii::EqualsIgnoreCase(*site, "cross-site") ||
               ascii::EqualsIgnoreCase(*site, "same-site"))) {
    const bool navigation = (method == "GET" || method == "HEAD") && mode &&
                            ascii::EqualsIgnoreCase(*mode, "navigate") && dest &&
                            ascii::EqualsIgnoreCase(*dest, "document");
    if (!navigation) {
      return Refuse(403,
                    "Browser requests from another site without an allowed Origin are "
                    "refused (Sec-Fetch-Site: " +
                        std::string(*site) +
                        "); a page whose origin is listed in --cors-origins may use "
                        "fetch().");
    }
  }
  return access;
}

}  // namespace logsvc::api
