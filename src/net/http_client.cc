#include "net/http_client.h"

#include <openssl/ssl.h>

#include <unistd.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <future>
#include <optional>
#include <thread>

namespace logsvc::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;

constexpr const char* kAmazonLinuxCaBundle = "/etc/pki/tls/certs/ca-bundle.crt";

// One keep-alive connection: plain or TLS.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  // Calls f with the stream requests go through.
  template <class F>
  void With(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(*plain);
    }
  }
};

}  // namespace

std::string_view HttpResponse::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (beast::iequals(n, name)) return v;
  }
  return {};
}

Result<Endpoint> ParseEndpoint(std::string_view url) {
  Endpoint e;
  std::string_view rest;
  if (beast::iequals(url.substr(0, 8), "https://")) {
    e.tls = true;
    rest = url.substr(8);
  } else if (beast::iequals(url.substr(0, 7), "http://")) {
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument("the endpoint '" + std::string(url) +
                                   "' is not an http:// or https:// URL");
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  for (char c : rest) {
    // No user info, no white space or control characters: a host, a port.
    if (c == '@' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Status::InvalidArgument("the endpoint '" + std::string(url) +
                                     "' is not of the form scheme://host[:port]");
    }
  }
  std::string_view host = rest, port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("the endpoint '" + std::string(url) + "' has a bad host");
    }
    host = rest.substr(1, close - 1);
    if (rest.size() > close + 1) {
      if (rest[close + 1] != ':') {
        return Status::InvalidArgument("the endpoint '" + std::string(url) + "' has a bad host");
      }
      port = rest.substr(close + 2);
    }
  } else if (size_t colon = rest.find(':'); colon != std::string_view::npos) {
    if (rest.find(':', colon + 1) != std::string_view::npos) {
      return Status::InvalidArgument("the endpoint '" + std::string(url) +
                                     "' has an IPv6 address without [brackets]");
    }
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) {
      return Status::InvalidArgument("the endpoint '" + std::string(url) + "' has a bad port");
    }
  }
  if (host.empty()) {
    return Status::InvalidArgument("the endpoint '" + std::string(url) + "' has no host");
  }
  const std::string_view default_port = e.tls ? "443" : "80";
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Status::InvalidArgument("the endpoint '" + std::string(url) + "' has a bad port");
    }
  }
  e.host = std::string(host);
  // The port as a number ("080" is 80), so the Host header is canonical.
  e.port = port.empty() ? std::string(default_port) : std::to_string(std::stoul(std::string(port)));
  const bool v6 = e.host.find(':') != std::string::npos;
  e.host_header = v6 ? "[" + e.host + "]" : e.host;
  if (e.port != default_port) e.host_header += ":" + e.port;
  return e;
}

class HttpClient::Impl {
 public:
  explicit Impl(HttpClientOptions options)
      : options_(std::move(options)), work_(asio::make_work_guard(ioc_)) {
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~Impl() {
    work_.reset();
    ioc_.stop();
    thread_.join();
    idle_.clear();
  }

  void Send(HttpRequest request, Done done) {
    auto op = std::make_shared<Op>(this, std::move(request), std::move(done));
    asio::post(ioc_, [op] { op->impl->Start(op); });
  }

  void After(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(ioc_, delay);
    timer->async_wait([timer, fn = std::move(fn)](error_code ec) {
      if (!ec) fn();
    });
  }

  const HttpClientOptions options_;

 private:
  struct Op {
    Op(Impl* i, HttpRequest r, Done d) : impl(i), resolver(i->ioc_), done(std::move(d)) {
      req.method_string(r.method);
      req.target(r.target);
      req.version(11);
      req.set(bhttp::field::host, i->options_.endpoint.host_header);
      for (auto& [name, value] : r.headers) req.insert(name, value);
      req.body() = std::move(r.body);
      req.prepare_payload();
    }

    Impl* impl;
    tcp::resolver resolver;
    Done done;
    bhttp::request<bhttp::string_body> req;
    std::unique_ptr<Connection> conn;
    bool reused = false;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  };
  using OpPtr = std::shared_ptr<Op>;

  void Start(const OpPtr& op) {
    if (!idle_.empty()) {
      op->conn = std::move(idle_.back());
      idle_.pop_back();
      op->reused = true;
      return Write(op);
    }
    Connect(op);
  }

  void Connect(const OpPtr& op) {
    op->reused = false;
    op->conn = std::make_unique<Connection>();
    op->conn->plain.emplace(ioc_);
    const Endpoint& ep = options_.endpoint;
    op->resolver.async_resolve(
        ep.host, ep.port, [this, op](error_code ec, const tcp::resolver::results_type& results) {
          if (ec) return Fail(op, "cannot resolve " + options_.endpoint.host + ": " + ec.message());
          beast::tcp_stream& stream = *op->conn->plain;
          stream.expires_after(options_.connect_timeout);
          stream.async_connect(results, [this, op](error_code ec2, const tcp::endpoint&) {
            if (ec2) return Fail(op, "cannot connect to " + Where() + ": " + ec2.message());
            op->conn->plain->socket().set_option(tcp::no_delay(true));
            if (options_.endpoint.tls) return Handshake(op);
            Write(op);
          });
        });
  }

  void Handshake(const OpPtr& op) {
    if (Status s = EnsureTls(); !s.ok()) return Fail(op, s.message());
    Connection& c = *op->conn;
    c.tls.emplace(std::move(*c.plain), *ssl_ctx_);
    c.plain.reset();
    const std::string& host = options_.endpoint.host;
    if (!SSL_set_tlsext_host_name(c.tls->native_handle(), host.c_str())) {
      return Fail(op, "cannot set the TLS server name");
    }
    c.tls->set_verify_callback(ssl::host_name_verification(host));
    c.tcp().expires_after(options_.connect_timeout);
    c.tls->async_handshake(ssl::stream_base::client, [this, op](error_code ec) {
      if (ec) return Fail(op, "TLS handshake with " + Where() + " failed: " + ec.message());
      Write(op);
    });
  }

  void Write(const OpPtr& op) {
    Connection& c = *op->conn;
    if (options_.request_timeout.count() > 0) {
      c.tcp().expires_after(options_.request_timeout);
    } else {
      c.tcp().expires_never();
    }
    op->parser.emplace();
    op->parser->body_limit(options_.max_response_bytes);
    op->parser->header_limit(64 * 1024);
    c.With([&](auto& stream) {
      bhttp::async_write(stream, op->req, [this, op](error_code ec, size_t) {
        if (ec) return Retry(op, "cannot send to " + Where() + ": " + ec.message());
        Read(op);
      });
    });
  }

  void Read(const OpPtr& op) {
    Connection& c = *op->conn;
    c.With([&](auto& stream) {
      bhttp::async_read(stream, c.buffer, *op->parser, [this, op](error_code ec, size_t) {
        if (ec) {
          std::string why = "no response from " + Where() + ": " + ec.message();
          // A timeout is a slow server, not a stale connection: not sent twice.
          const bool resend = !op->parser->got_some() && ec != beast::error::timeout;
          return resend ? Retry(op, why) : Fail(op, why);
        }
        Finish(op);
      });
    });
  }

  void Finish(const OpPtr& op) {
    auto msg = op->parser->release();
    HttpResponse resp;
    resp.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      resp.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    resp.body = std::move(msg.body());
    if (msg.keep_alive() && idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(op->conn));
    }
    op->conn.reset();
    auto done = std::move(op->done);
    done(std::move(resp));
  }

  // A reused connection may have been closed by the server while idle: one
  // more try on a fresh connection before giving up.
  void Retry(const OpPtr& op, const std::string& why) {
    if (op->reused) return Connect(op);
    Fail(op, why);
  }

  void Fail(const OpPtr& op, const std::string& why) {
    op->conn.reset();
    auto done = std::move(op->done);
    done(Status::Unavailable(why));
  }

  Status EnsureTls() {
    if (ssl_ctx_) return Status::Ok();
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    error_code ec;
    if (!options_.ca_file.empty()) {
      ctx->load_verify_file(options_.ca_file, ec);
    } else if (access(kAmazonLinuxCaBundle, R_OK) == 0) {
      ctx->load_verify_file(kAmazonLinuxCaBundle, ec);
    } else {
      ctx->set_default_verify_paths(ec);
    }
    if (ec) return Status::Unavailable("cannot load the CA certificates: " + ec.message());
    ctx->set_verify_mode(ssl::verify_peer);
    ssl_ctx_ = std::move(ctx);
    return Status::Ok();
  }

  std::string Where() const { return options_.endpoint.host_header; }

  // Declaration order is destruction order reversed: TLS streams refer to
  // ssl_ctx_, and handlers (destroyed with ioc_) own connections.
  std::unique_ptr<ssl::context> ssl_ctx_;  // created on first https use
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::unique_ptr<Connection>> idle_;  // used on the client thread only
  std::thread thread_;
};

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
HttpClient::~HttpClient() = default;

void HttpClient::Send(HttpRequest request, Done done) {
  impl_->Send(std::move(request), std::move(done));
}

void HttpClient::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  impl_->After(delay, std::move(fn));
}

const Endpoint& HttpClient::endpoint() const { return impl_->options_.endpoint; }

Result<HttpResponse> SendAndWait(HttpClient& client, HttpRequest request) {
  std::promise<Result<HttpResponse>> promise;
  auto future = promise.get_future();
  client.Send(std::move(request),
              [&promise](Result<HttpResponse> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace logsvc::net
