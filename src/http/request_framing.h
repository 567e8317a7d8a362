// The checks on a request's header that decide whether its body can be found
// at all (RFC 9112 sections 3.2, 6 and 7), made once the header is parsed and
// before any of the body is read.
//
// Beast reads Transfer-Encoding leniently: a list that does not end in
// chunked ("identity", "chunked, identity", "chunked, chunked", "") leaves the
// request with an empty body, so the body's bytes would be read as the next
// request on the connection (request smuggling). CheckFraming refuses:
//   - an HTTP/1.1 request without Host, or any request with more than one: 400;
//   - Transfer-Encoding in an HTTP/1.0 request (faulty framing, 6.1): 400;
//   - Transfer-Encoding whose codings, all its lines read as one list, do not
//     end in chunked, name chunked twice, or give chunked parameters (6.3, 7): 400;
//   - another coding before the final chunked ("gzip, chunked"): 501, as the
//     server decodes none (6.1).
// Transfer-Encoding together with Content-Length never gets here: Beast
// refuses it while parsing the header (400). After any of these the server
// closes the connection without reading the body.
//
// Pure functions; thread-safe.
#ifndef LOGSVC_HTTP_REQUEST_FRAMING_H_
#define LOGSVC_HTTP_REQUEST_FRAMING_H_

#include <boost/beast/http/message.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace logsvc::http {

struct FramingError {
  int status;         // 400 or 501
  std::string error;  // a sentence saying what is wrong, for api::ErrorResponse
};

// `parser_chunked`: whether Beast's parser took the body as chunked; a
// Transfer-Encoding accepted here that Beast did not read as chunked is refused.
std::optional<FramingError> CheckFraming(const boost::beast::http::request_header<>& header,
                                         bool parser_chunked);

// Given the bytes of a chunked body not yet parsed when they overflowed the
// read buffer: whether they begin with the last chunk's complete size line
// ("0" and optional extensions), i.e. what overflowed is the trailer (431),
// not one over-long chunk-size line (400).
bool OverflowIsTrailer(std::string_view unparsed);

}  // namespace logsvc::http

#endif  // LOGSVC_HTTP_REQUEST_FRAMING_H_
