#include "http/request_framing.h"

#include <boost/beast/core/string.hpp>
#include <cctype>

namespace logsvc::http {
namespace {

namespace bhttp = boost::beast::http;

// The longest coding name quoted back in an error.
constexpr size_t kQuotedNameLimit = 32;

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 section 5.6.2: token = 1*tchar.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// A request's transfer codings, all its Transfer-Encoding lines read as one
// comma-separated list (RFC 9110 section 5.3), in order.
struct Codings {
  int chunked = 0;                      // how many times chunked is named
  bool last_is_chunked = false;         // the final coding is chunked
  bool chunked_has_parameters = false;  // "chunked;x=1"
  bool malformed = false;               // an element that is not a coding
  std::string_view other;               // the first coding that is not chunked

  void Add(std::string_view list) {
    for (;;) {
      const size_t comma = list.find(',');
      const std::string_view element = TrimSpaces(list.substr(0, comma));
      // Empty list elements are allowed and mean nothing (RFC 9110 section 5.6.1).
      if (!element.empty()) {
        const size_t semicolon = element.find(';');
        const std::string_view name = TrimSpaces(element.substr(0, semicolon));
        last_is_chunked = boost::beast::iequals(name, "chunked");
        if (!IsToken(name)) {
          malformed = true;
        } else if (last_is_chunked) {
          ++chunked;
          chunked_has_parameters |= semicolon != std::string_view::npos;
        } else if (other.empty()) {
          other = name;
        }
      }
      if (comma == std::string_view::npos) return;
      list.remove_prefix(comma + 1);
    }
  }
};

}  // namespace

std::optional<FramingError> CheckFraming(const bhttp::request_header<>& header,
                                         bool parser_chunked) {
  int hosts = 0;
  bool has_transfer_encoding = false;
  Codings codings;
  for (const auto& field : header) {
    if (field.name() == bhttp::field::host) {
      ++hosts;
    } else if (field.name() == bhttp::field::transfer_encoding) {
      has_transfer_encoding = true;
      codings.Add(field.value());
    }
  }
  if (hosts > 1) {
    return FramingError{400,
                        "A request must carry one Host header, not " + std::to_string(hosts) + "."};
  }
  if (hosts == 0 && header.version() >= 11) {
    return FramingError{400, "An HTTP/1.1 request must carry a Host header."};
  }
  if (!has_transfer_encoding) return std::nullopt;
  if (header.version() < 11) {
    return FramingError{400,
                        "An HTTP/1.0 request cannot use Transfer-Encoding; send Content-Length."};
  }
  if (codings.malformed || !codings.last_is_chunked) {
    return FramingError{400,
                        "Transfer-Encoding must end with chunked, or the end of the body is "
                        "unknown; send the body chunked, or with Content-Length."};
  }
  if (codings.chunked > 1) {
    return FramingError{400, "Transfer-Encoding names chunked more than once."};
  }
  if (codings.chunked_has_parameters) {
    return FramingError{400, "The chunked transfer coding takes no parameters."};
  }
  if (!codings.other.empty()) {
    return FramingError{501, "The transfer coding '" +
                                 std::string(codings.other.substr(0, kQuotedNameLimit)) +
                                 "' is not supported; send the body with chunked alone, or "
                                 "with Content-Length."};
  }
  if (!parser_chunked) return FramingError{400, "Transfer-Encoding is malformed."};
  return std::nullopt;
}

bool OverflowIsTrailer(std::string_view unparsed) {
  // The CRLF that ends the previous chunk's data is parsed with the next size line.
  if (unparsed.substr(0, 2) == "\r\n") unparsed.remove_prefix(2);
  size_t digits = 0;
  while (digits < unparsed.size() && std::isxdigit(static_cast<unsigned char>(unparsed[digits]))) {
    if (unparsed[digits] != '0') return false;  // a chunk with data: not the last
    ++digits;
  }
  return digits > 0 && unparsed.find("\r\n", digits) != std::string_view::npos;
}

}  // namespace logsvc::http
