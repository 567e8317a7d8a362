#include "cli/tail_command.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cli/entry_output.h"

namespace logsvc::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Reads an event stream (the WHATWG HTML event stream format) line by line:
// `on_event(type, data)` for each event with data; tracks the last event id,
// which an id-only block updates too.
class EventParser {
 public:
  template <typename OnEvent>
  void Feed(std::string_view bytes, const OnEvent& on_event) {
    pending_.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(pending_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {
        if (has_id_) last_id_ = id_;
        if (!data_.empty()) on_event(event_.empty() ? std::string_view("message") : event_, data_);
        data_.clear();
        event_.clear();
        has_id_ = false;
        continue;
      }
      if (line.front() == ':') continue;  // a comment
      const size_t colon = line.find(':');
      std::string_view field = line.substr(0, colon), value;
      if (colon != std::string_view::npos) {
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      }
      if (field == "data") {
        if (!data_.empty()) data_.push_back('\n');
        data_.append(value);
      } else if (field == "event") {
        event_ = value;
      } else if (field == "id") {
        id_ = value;
        has_id_ = true;
      }
    }
    pending_.erase(0, start);
  }
  const std::string& last_id() const { return last_id_; }
  void Reset() {  // a new connection: a half-read event is dropped
    pending_.clear();
    data_.clear();
    event_.clear();
    has_id_ = false;
  }

 private:
  std::string pending_, data_, event_, id_, last_id_;
  bool has_id_ = false;
};

struct Outcome {
  int refused_status = 0;  // the server refused (a 4xx, or an error event): give up
  int retry_after_s = 1;   // a refusal to wait out (429, 5xx): when to try again
  bool streamed = false;   // the server answered 200
  std::string error;       // why the stream ended
};

// How long a stream may stay silent: the server sends a heartbeat at least
// every 15 s (by default), so a minute of nothing is a dead connection.
constexpr auto kSilence = std::chrono::seconds(60);

// One connection: reads events until the stream breaks.
Outcome FollowOnce(const net::Endpoint& ep, const net::Headers& auth, const std::string& target,
                   EventParser* parser,
                   const std::function<void(std::string_view, std::string_view)>& on_event) {
  Outcome out;
  beast::error_code ec;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  auto addresses = resolver.resolve(ep.host, ep.port, ec);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  if (!ec) stream.connect(addresses, ec);
  if (ec) {
    out.error = "cannot connect to " + ep.host + ":" + ep.port + ": " + ec.message();
    return out;
  }
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, ep.host_header);
  req.set(http::field::accept, "text/event-stream");
  for (const auto& [name, value] : auth) req.set(name, value);
  if (!parser->last_id().empty()) req.set("Last-Event-ID", parser->last_id());
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> response;
  response.body_limit(boost::none);
  if (!ec) {
    stream.expires_after(kSilence);
    http::read_header(stream, buffer, response, ec);
  }
  if (ec) {
    out.error = "the stream broke: " + ec.message();
    return out;
  }
  std::string refused;
  const int status = static_cast<int>(response.get().result_int());
  parser->Reset();
  char chunk[64 * 1024];
  while (!response.is_done()) {
    stream.expires_after(kSilence);
    response.get().body().data = chunk;
    response.get().body().size = sizeof(chunk);
    http::read_some(stream, buffer, response, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) break;
    const std::string_view got(chunk, sizeof(chunk) - response.get().body().size);
    if (status != 200) {
      refused.append(got.substr(0, 65536 - std::min<size_t>(refused.size(), 65536)));
    } else {
      parser->Feed(got, [&](std::string_view type, std::string_view data) {
        if (type == "error" && out.refused_status == 0) {  // the server gives up on us
          net::HttpResponse r;
          r.status = 400;
          r.body = std::string(data);
          out.refused_status = 400;
          out.error = ReplyError(r);
        } else {
          on_event(type, data);
        }
      });
      if (out.refused_status != 0) return out;
    }
  }
  if (status != 200) {
    // A proxy or a server restarting (5xx), too many streams or requests
    // (503, 429): wait and try again. Anything else is for the user.
    if (status == 429 || status >= 500) {
      const std::string_view after = response.get()[http::field::retry_after];
      out.retry_after_s =
          after.empty() ? 1 : std::clamp(std::atoi(std::string(after).c_str()), 1, 60);
      out.error = "the server answered HTTP " + std::to_string(status);
      return out;
    }
    out.refused_status = status;
    net::HttpResponse r;
    r.status = status;
    r.body = std::move(refused);
    out.error = ReplyError(r);
    return out;
  }
  out.streamed = true;
  out.error = ec ? "the stream broke: " + ec.message() : "the server ended the stream";
  return out;
}

}  // namespace

int RunTail(const ClientOptions& client_options, const TailOptions& o) {
  const std::string output = o.output.empty() ? "table" : o.output;
  if (output != "table" && output != "ndjson") {
    std::fprintf(stderr, "logsvc: error: --output is table or ndjson, not '%s'\n", output.c_str());
    return kExitUsage;
  }
  auto client = OpenClient(client_options);
  if (!client) return kExitUsage;
  const net::Endpoint& ep = client->endpoint();
  if (ep.tls) {
    std::fprintf(stderr, "logsvc: error: tail follows plain http:// servers only for now\n");
    return kExitUsage;
  }
  std::string target = "/logs/tail";
  if (!o.query.empty()) AddParam(&target, "q", o.query);
  if (!o.severity.empty()) AddParam(&target, "severity", o.severity);
  const bool colour = output == "table" && UseColour();
  simdjson::dom::parser json;
  auto print = [&](std::string_view type, std::string_view data) {
    if (type != "message") return;  // an event of a later version: not an entry
    simdjson::dom::element e;
    if (json.parse(data).get(e)) return;  // not an entry: skipped
    if (output == "ndjson") {
      std::printf("%s\n", simdjson::minify(e).c_str());
    } else {
      PrintRow(e, colour);
    }
    std::fflush(stdout);
  };
  EventParser parser;
  bool warned = false;
  for (;;) {
    Outcome out = FollowOnce(ep, client->AuthHeaders(), target, &parser, print);
    if (out.refused_status != 0) return ServerError(out.error);
    if (out.streamed) warned = false;  // said once per outage, not per try
    if (!warned) {
      std::fprintf(stderr, "logsvc: %s; reconnecting\n", out.error.c_str());
      warned = true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(out.retry_after_s));
  }
}

}  // namespace logsvc::cli
