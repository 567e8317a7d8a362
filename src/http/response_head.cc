#include "http/response_head.h"

#include <boost/beast/http/status.hpp>
#include <charconv>

namespace logsvc::http {
namespace {

void AppendNumber(std::string* out, size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n);
  out->append(digits, end);
}

// RFC 9110 section 6.4.1: these never have content, so no Content-Length.
bool HasNoContent(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

void FormatResponseHead(const api::Response& response, unsigned version, bool keep_alive,
                        std::string* out) {
  out->clear();
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  AppendNumber(out, static_cast<size_t>(response.status));
  out->push_back(' ');
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  out->append(reason.data(), reason.size());
  out->append("\r\n");
  for (const api::Header& h : response.headers) {
    out->append(h.name);
    out->append(": ");
    out->append(h.value);
    out->append("\r\n");
  }
  if (response.stream) {
    // Sent as it comes: chunked in HTTP/1.1; HTTP/1.0 reads to the close.
    if (version != 10) out->append("Transfer-Encoding: chunked\r\n");
  } else if (!HasNoContent(response.status)) {
    out->append("Content-Length: ");
    AppendNumber(out, response.Body().size());
    out->append("\r\n");
  }
  // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 the reverse.
  if (version == 10 && keep_alive) out->append("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) out->append("Connection: close\r\n");
  out->append("\r\n");
}

}  // namespace logsvc::http
