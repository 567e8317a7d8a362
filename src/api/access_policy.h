// AccessPolicy: which browser requests the Api answers, decided before any
// request is routed. Pure logic, no I/O. `logsvc serve` builds it from
// --listen, --allowed-hosts and --cors-origins; the Lambda functions use
// AnyHost() and AnyOrigin() (their URLs' CORS is configured in
// infrastructure/).
//
// Host (DNS rebinding). A page on attacker.example whose DNS name the
// attacker then points at 127.0.0.1 is, to the browser, same-origin with
// itself: it may read whatever a loopback server answers. Its requests say
// "Host: attacker.example[:port]". So a restricted HostPolicy answers only
// Host names it knows: any IP address (a rebinding page's Host is always the
// attacker's name, never an address), "localhost", the --listen host, and
// the --allowed-hosts names; the port is not compared (SSH tunnels and
// container port mappings change it, and it is no defence). A server on a
// wildcard address (0.0.0.0, ::) answers any Host unless --allowed-hosts
// names some: it is meant to be reached by names it cannot know. A request
// without a Host (HTTP/1.0) is not refused here. Refused: 421 Misdirected
// Request (this server is not the authority for that Host).
//
// Origin (CORS). Browsers send Origin on every cross-origin request that can
// read the answer (fetch, XMLHttpRequest) and on every cross-origin POST, a
// form's too; curl and log shippers send none. SameOriginOnly (the default)
// answers an Origin only when it is the server's own (http:// plus the Host
// header: a page the server itself serves), and never sends
// Access-Control-Allow-Origin; a listed origin gets its own origin back with
// Vary: Origin (preflights too); AnyOrigin gets "*" on every response. An
// Origin that is not allowed is refused with 403, before routing, so a page
// can neither read entries nor add them.
// Requests that carry no Origin but say they come from another site
// (Sec-Fetch-Site: cross-site or same-site, sent by current browsers even for
// <img> and <script> loads) are refused too, unless the policy is AnyOrigin
// or the request is a top-level navigation (Sec-Fetch-Mode: navigate,
// Sec-Fetch-Dest: document, GET or HEAD: a link the user follows, whose page
// no other site can read).
#ifndef LOGSVC_API_ACCESS_POLICY_H_
#define LOGSVC_API_ACCESS_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/request_headers.h"
#include "logsvc/status.h"

namespace logsvc::api {

class HostPolicy {
 public:
  // Every Host is answered.
  static HostPolicy AnyHost();
  // `logsvc serve`'s, for its --listen host (an address or name, IPv6 without
  // brackets) and its --allowed-hosts: a comma-separated list of host names
  // (no port: it is not compared) that adds to the names answered, or "*"
  // for any. InvalidArgument naming the entry that is not a host name.
  static Result<HostPolicy> ForServer(std::string_view listen_host, std::string_view allowed_hosts);

  // Whether a Host header value ("name", "name:port", "[v6]:port") is answered.
  bool Allows(std::string_view host) const;

  // For the start-up line: "*", or "IP addresses" and the names.
  std::string Describe() const;

 private:
  bool any_ = true;
  std::vector<std::string> names_;  // lower-case, no port, no trailing dot
};

class CorsPolicy {
 public:
  // Same-origin browser requests only; no Access-Control-Allow-Origin.
  static CorsPolicy SameOriginOnly();
  // Every origin; every response says Access-Control-Allow-Origin: *.
  static CorsPolicy AnyOrigin();
  // --cors-origins: "" (SameOriginOnly), "*" (AnyOrigin), or a comma-separated
  // list of origins, scheme://host[:port] with scheme http or https (any
  // letter case; a default port and one trailing "/" are dropped, as browsers
  // write origins). InvalidArgument naming the entry that is not an origin.
  static Result<CorsPolicy> Parse(std::string_view origins);

  // For the start-up line: "*", the origins comma-separated, or "".
  std::string Describe() const;

  bool any() const { return any_; }
  // The listed origin equal to `origin` (a view of this policy's list), or "".
  std::string_view Find(std::string_view origin) const;

 private:
  bool any_ = false;
  std::vector<std::string> origins_;  // as browsers serialize them
};

// The verdict on one request.
struct Access {
  int status = 0;     // 0: answer it; 403 or 421: refuse it, saying `error`
  std::string error;  // a sentence naming the value refused and the flag
  // The Access-Control-Allow-Origin of every response to it: "" (none), "*",
  // or the request's Origin as the CorsPolicy lists it (outlives the request).
  std::string_view allow_origin;
};

struct AccessPolicy {
  HostPolicy hosts = HostPolicy::AnyHost();
  CorsPolicy cors = CorsPolicy::SameOriginOnly();

  // Host first, then Origin and Sec-Fetch-Site; see the top of this file.
  // `method` decides only whether a request is a navigation. Allocates only
  // to refuse.
  Access Check(std::string_view method, const RequestHeaders& headers) const;
};

}  // namespace logsvc::api

#endif  // LOGSVC_API_ACCESS_POLICY_H_
