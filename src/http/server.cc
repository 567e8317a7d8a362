#include "http/server.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "http/idle_connections.h"
#include "http/reply_budget.h"
#include "http/request_framing.h"
#include "http/response_head.h"
#include "util/log.h"
#include "util/mutex.h"

namespace logsvc::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
// Sockets bound to an I/O thread's executor by its concrete type: the
// type-erased any_io_executor costs a copy on every operation.
using Socket = net::basic_stream_socket<tcp, net::io_context::executor_type>;

// The most a connection holds of a request that is not yet parsed: the
// header, then a chunk-size line with its extensions, or the trailer. Beast
// bounds only the header; the read buffer's size bounds the rest.
constexpr uint32_t kHeaderLimit = 16 * 1024;
constexpr size_t kBodyReadBuffer = 256 * 1024;  // read size while a body comes in
// After a reply that closes the connection, how long and how much we keep
// reading (and discarding) so the client sees our reply and not a reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 8 << 20;
// The socket send buffer of a streamed response (GET /logs/tail).
constexpr int kStreamSendBuffer = 64 * 1024;

// Whether an event that can repeat every few milliseconds (accept failing,
// connections refused) begins an episode worth a log line: events less than
// a minute apart are one episode, said once.
class Episode {
 public:
  bool Begins() {
    const auto now = std::chrono::steady_clock::now();
    const bool begins = !last_ || now - *last_ > std::chrono::minutes(1);
    last_ = now;
    return begins;
  }

 private:
  std::optional<std::chrono::steady_clock::time_point> last_;
};

constexpr std::string_view kOverBudget =
    "The server holds too many replies that clients have not read; try again later.";

// What every connection needs from the server.
struct SessionContext {
  SessionContext(ServerOptions o, api::Api& a)
      : opts(std::move(o)), api(a), budget(opts.max_pending_response_bytes) {}

  const ServerOptions opts;
  api::Api& api;
  ReplyBudget budget;                  // response bytes held for clients, in total
  std::atomic<size_t> connections{0};  // open, counted from accept to close
  std::atomic<int> in_flight{0};       // requests read and not yet answered
  std::atomic<bool> draining{false};   // stopping: close connections after their reply
};

class Session;

// Replies that complete on another thread (the store's) reach a connection's
// I/O thread through its context's mailbox: one post wakes the thread for
// every reply queued before it runs, where a post per reply cost an
// allocation, a lock and often a wake-up each. A group commit's replies
// travel in a few posts (measured: ~5 for ~25 replies), because the I/O
// thread starts writing the first ones while the store still calls back.
// Holding them back for one post per commit measured slower.
class ReplyMailbox {
 public:
  explicit ReplyMailbox(net::io_context& io) : io_(io) {}
  // Thread-safe. Replies on the I/O thread itself at once.
  void Deliver(std::shared_ptr<Session> session, api::Response response);

 private:
  void Drain();

  net::io_context& io_;
  util::Mutex mu_;
  std::vector<std::pair<std::shared_ptr<Session>, api::Response>> queued_ GUARDED_BY(mu_);
};

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions o, api::Api& a) : ctx{std::move(o), a} {
    for (int i = 0; i < std::max(1, ctx.opts.threads); ++i) {
      idle.push_back(std::make_unique<IdleConnections>());
      contexts.push_back(std::make_unique<net::io_context>(1));
      mailboxes.push_back(std::make_unique<ReplyMailbox>(*contexts.back()));
      guards.push_back(net::make_work_guard(*contexts.back()));
    }
    acceptor.emplace(*contexts[0]);
    accept_timer.emplace(*contexts[0]);
    drain_timer.emplace(*contexts[0]);
    api::Response refusal =
        api::ErrorResponse(503, "The server has as many connections as it takes; try again later.");
    FormatResponseHead(refusal, 11, false, &refusal_bytes);
    refusal_bytes += refusal.body;
  }

  Status Listen();
  void Run();
  void Stop();

  SessionContext ctx;

 private:
  void Accept();
  void OnAcceptError(const beast::error_code& ec);
  void OnAccepted(std::unique_ptr<Socket> socket, size_t index);
  void Refuse(Socket& socket);
  void WaitForDrain();

  // Declared before the contexts: sessions destroyed with a context unlist themselves.
  std::vector<std::unique_ptr<IdleConnections>> idle;  // one per context
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<std::unique_ptr<ReplyMailbox>> mailboxes;  // one per context
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_timer;
  std::optional<net::steady_timer> drain_timer;
  std::chrono::steady_clock::time_point drain_deadline;
  size_t next_context = 0;
  std::atomic<bool> stop_requested{false};
  std::string refusal_bytes;  // the 503 for a connection over the cap, head and body
  Episode refusals;
  // accept() failing (out of descriptors, usually): the wait before the next
  // try, zero after one that worked.
  std::chrono::milliseconds accept_backoff{0};
  Episode accept_failures;

  friend class Server;
};

namespace {

// One connection: read a request, hand it to the Api, write the response,
// repeat while keep-alive. Lives as long as an operation holds a shared_ptr.
class Session final : public std::enable_shared_from_this<Session>, public IdleConnections::Node {
 public:
  Session(Socket socket, ReplyMailbox& mailbox, IdleConnections& idle, SessionContext& server)
      : stream_(std::move(socket)), mailbox_(mailbox), idle_(idle), server_(server) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      client_ = ep.address().to_string();
      remote_ = client_ + ":" + std::to_string(ep.port());
    }
    // Replies are first written without waiting (WriteNow).
    stream_.socket().non_blocking(true, ec);
  }
  ~Session() {
    idle_.Remove(this);
    server_.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void Start() { ReadHeader(); }

  // Sends the Api's response; on this connection's I/O thread only.
  void Complete(api::Response r) { Reply(std::move(r), false); }

  // Closes an idle connection to make room for a new one (IdleConnections).
  void Evict() override { stream_.close(); }

 private:
  void ReadHeader() {
    head_ = false;
    // Back to the header's bound after a body read with a larger one
    // (ReadBody); a buffer grown for a large body is given back once empty.
    buffer_.max_size(std::max<size_t>(kHeaderLimit, buffer_.size()));
    if (buffer_.size() == 0 && buffer_.capacity() > kHeaderLimit) buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(server_.opts.max_body_bytes);
    stream_.expires_after(server_.opts.idle_timeout);
    if (buffer_.size() > 0) {  // pipelined: the next request is here already
      BeginRequest();
      return ParseHeader();
    }
    // Idle until the first bytes of the next request arrive: the first to be
    // closed if the server runs out of connections meanwhile.
    idle_.Add(this);
    stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, kHeaderLimit)),
                            beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    idle_.Remove(this);
    if (ec) return OnReadError(ec);
    buffer_.commit(n);
    BeginRequest();
    ParseHeader();
  }

  // A request's first bytes are here: its duration counts from now.
  void BeginRequest() {
    if (server_.opts.access_log) started_ = std::chrono::steady_clock::now();
  }

  // Parses the header from what is buffered, reading more only if it is not all there.
  void ParseHeader() {
    beast::error_code ec;
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec == bhttp::error::need_more) {
      return bhttp::async_read_header(
          stream_, buffer_, *parser_,
          beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
    }
    OnHeader(ec, 0);
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    if (auto bad = CheckFraming(req.base(), parser_->chunked())) {
      version_ = req.version();
      return Reply(api::ErrorResponse(bad->status, bad->error), /*force_close=*/true);
    }
    // curl and others send "Expect: 100-continue" before a large body and
    // wait a second for it unless told to go on.
    if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
      continue_.emplace(bhttp::status::continue_, 11);
      return bhttp::async_write(stream_, *continue_,
                                [self = shared_from_this()](beast::error_code ec2, size_t) {
                                  if (ec2) return self->Close();
                                  self->ReadBody();
                                });
    }
    // The body of a small request came with its header: parse it here
    // instead of going through another asynchronous read.
    while (!parser_->is_done() && buffer_.size() > 0) {
      size_t n = parser_->put(buffer_.data(), ec);
      if (ec == bhttp::error::need_more) break;
      if (ec) return OnReadError(ec);
      buffer_.consume(n);
      if (n == 0) break;
    }
    if (parser_->is_done()) return OnRead({}, 0);
    ReadBody();
  }

  void ReadBody() {
    // Beast reads at most what the buffer may hold at a time: with the
    // header's 16 KiB, a batch of 1,000 entries took ten reads (each an
    // epoll re-arm and a timer reset: a sixth of a batch load's CPU). The
    // body's own bound is the parser's body_limit. Not for a chunked body:
    // there the buffer's size is what bounds a chunk-size line and the
    // trailer (kHeaderLimit, 431 past it).
    if (!parser_->chunked()) buffer_.max_size(kBodyReadBuffer);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  // "http://host:port/logs" (absolute form, RFC 9112 section 3.2.2) -> "/logs".
  static std::string_view OriginForm(std::string_view target) {
    if (target.empty() || target.front() == '/') return target;
    size_t scheme = target.find("://");
    if (scheme == std::string_view::npos) return target;
    size_t path = target.find('/', scheme + 3);
    return path == std::string_view::npos ? "/" : target.substr(path);
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      return Reply(
          api::ErrorResponse(413, "Request body is larger than the limit of " +
                                      std::to_string(server_.opts.max_body_bytes) + " bytes."),
          /*force_close=*/true);
    }
    if (ec == bhttp::error::header_limit ||
        (ec == bhttp::error::buffer_overflow && !parser_->is_header_done())) {
      return Reply(api::ErrorResponse(431, "Request headers are larger than 16 KiB."), true);
    }
    if (ec == bhttp::error::buffer_overflow) {
      // A chunked body whose unparsed part filled the buffer (kHeaderLimit).
      const auto* p = static_cast<const char*>(buffer_.data().data());
      if (OverflowIsTrailer({p, buffer_.size()})) {
        return Reply(api::ErrorResponse(431, "The chunked body's trailer is larger than 16 KiB."),
                     true);
      }
      return Reply(api::ErrorResponse(400,
                                      "A chunk-size line with its chunk extensions is longer "
                                      "than 16 KiB."),
                   true);
    }
    if (&ec.category() == &bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
      return Reply(api::ErrorResponse(400, "Malformed HTTP request: " + ec.message() + "."), true);
    }
    // End of stream, timeout, reset, evicted: nothing to answer.
    Close();
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    ++server_.in_flight;
    counted_ = true;
    head_ = req.method() == bhttp::verb::head;
    // The header fields, for the Api's checks (Host, Origin, Content-Encoding):
    // views of the parser's, valid until Handle returns; on the stack for the
    // usual handful, on the heap until then for more (16 KiB of headers at most).
    boost::container::small_vector<api::HeaderField, 16> fields;
    for (const auto& f : req) fields.push_back({f.name_string(), f.value()});
    api::Request ar{req.method_string(), OriginForm(req.target()), std::move(req.body()),
                    api::RequestHeaders({fields.data(), fields.size()}), client_};
    // Called on a store thread, or inline: continue on this connection's thread.
    server_.api.Handle(ar, [self = shared_from_this()](api::Response res) {
      self->mailbox_.Deliver(self, std::move(res));
    });
  }

  void Reply(api::Response r, bool force_close) {
    if (r.stream) return StartStream(std::move(r));
    const bool send_body = !head_ && r.status != 204;
    // The body is held until written: it must fit the server's budget, or
    // this client gets a small 503 instead and the connection closes.
    const bool fits = !send_body || r.Body().empty() ||
                      (r.shared_body ? server_.budget.TryClaim(r.shared_body, &claim_)
                                     : server_.budget.TryClaim(r.body.size(), &claim_));
    if (!fits) {
      r = api::ErrorResponse(503, kOverBudget);
      server_.budget.ClaimAnyway(r.body.size(), &claim_);
      force_close = true;
    }
    reply_keep_alive_ = keep_alive_ && !force_close && !server_.draining;
    reply_status_ = r.status;
    FormatResponseHead(r, version_, reply_keep_alive_, &head_out_);
    shared_out_ = std::move(r.shared_body);
    body_out_ = std::move(r.body);
    body_view_ =
        send_body ? (shared_out_ ? std::string_view(*shared_out_) : body_out_) : std::string_view();
    sent_ = 0;
    WriteNow();
  }

  // What of the reply is still to be written.
  std::array<net::const_buffer, 2> Unsent() const {
    if (sent_ < head_out_.size()) {
      return {net::buffer(head_out_) + sent_, net::buffer(body_view_)};
    }
    return {net::buffer(body_view_) + (sent_ - head_out_.size()), net::const_buffer()};
  }

  bool AllSent() const { return sent_ == head_out_.size() + body_view_.size(); }

  // Writes what the socket takes at once. Nearly every reply fits: one send,
  // no timer, no completion to wait for.
  void WriteNow() {
    beast::error_code ec;
    sent_ += stream_.socket().write_some(Unsent(), ec);
    if (ec && ec != net::error::would_block) return OnWrite(ec);
    if (AllSent()) return OnWrite({});
    WriteRest();
  }

  // The rest, as the client takes it: a reply that makes no progress for
  // write_timeout closes the connection (basic_stream's expiry closes the
  // socket), so a client that does not read holds its memory no longer.
  void WriteRest() {
    stream_.expires_after(streaming_ ? server_.opts.stream_write_timeout
                                     : server_.opts.write_timeout);
    stream_.async_write_some(Unsent(), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->sent_ += n;
      if (ec || self->AllSent()) return self->OnWrite(ec);
      self->WriteRest();
    });
  }

  // A streamed body (GET /logs/tail, api/body_stream.h): the head now, then
  // each piece the stream gives once the previous one is written, chunked
  // (HTTP/1.1) or to the close (1.0); the connection closes at its end. The
  // request counts as answered once the head is out: a graceful stop does
  // not wait for streams; they are cut when the I/O threads stop (clients
  // reconnect with their Last-Event-ID).
  void StartStream(api::Response r) {
    reply_keep_alive_ = false;
    reply_status_ = r.status;
    FormatResponseHead(r, version_, false, &head_out_);
    body_out_.clear();
    body_view_ = {};
    sent_ = 0;
    if (!head_) {
      body_stream_ = std::move(r.stream);
      streaming_ = true;
      // What a client that stops reading holds in the kernel: a small send
      // buffer (the kernel doubles it), so it stalls after a few events
      // instead of after megabytes the server would make for nothing.
      beast::error_code ignored;
      stream_.socket().set_option(net::socket_base::send_buffer_size(kStreamSendBuffer), ignored);
      WatchForLeaving();
    }
    WriteNow();
  }

  // Notices the client leaving while the stream waits for entries: the
  // socket's own read, not the stream's (whose timer would close it).
  // Anything a client sends on a stream is read and ignored.
  void WatchForLeaving() {
    stream_.socket().async_read_some(net::buffer(discard_),
                                     [self = shared_from_this()](beast::error_code ec, size_t) {
                                       if (ec) return self->EndStream();  // closed, or reset
                                       if (self->body_stream_) self->WatchForLeaving();
                                     });
  }

  void NextPiece() {
    if (!body_stream_) return;
    if (server_.draining) {
      return OnPiece(api::BodyStream::Piece{"", 0, true});
    }
    body_stream_->Next([self = shared_from_this()](api::BodyStream::Piece piece) {
      net::post(self->stream_.get_executor(),
                [self, piece = std::move(piece)]() mutable { self->OnPiece(std::move(piece)); });
    });
  }

  void OnPiece(api::BodyStream::Piece piece) {
    if (!body_stream_) return;  // ended meanwhile
    if (piece.bytes.empty() && !piece.end) return Pause(piece.wait_ms);
    piece_wait_ms_ = piece.wait_ms;  // after this piece is written
    body_out_.clear();
    if (version_ == 10) {
      body_out_ = std::move(piece.bytes);
    } else {
      if (!piece.bytes.empty()) {
        char size[20];
        auto [end, ec] = std::to_chars(size, size + sizeof(size), piece.bytes.size(), 16);
        body_out_.append(size, end);
        body_out_.append("\r\n");
        body_out_.append(piece.bytes);
        body_out_.append("\r\n");
      }
      if (piece.end) body_out_.append("0\r\n\r\n");
    }
    // Held until written, so counted in the server's budget of bytes held
    // for clients, as replies are; past it the stream ends (the client
    // resumes with its Last-Event-ID).
    if (!server_.budget.TryClaim(body_out_.size(), &claim_)) return EndStream();
    stream_ending_ = piece.end;
    head_out_.clear();
    body_view_ = body_out_;
    sent_ = 0;
    WriteNow();
  }

  void Pause(int64_t ms) {
    if (!pause_) pause_.emplace(stream_.get_executor());
    pause_->expires_after(std::chrono::milliseconds(ms));
    pause_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->NextPiece();
    });
  }

  void EndStream() {
    if (!body_stream_) return;
    body_stream_.reset();  // frees its slot (ApiOptions::max_tail_clients)
    if (pause_) pause_->cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  void OnWrite(beast::error_code ec) {
    if (streaming_ && stream_started_) {
      claim_.Release();
      if (ec || stream_ending_) return EndStream();
      if (piece_wait_ms_ > 0) return Pause(piece_wait_ms_);
      return NextPiece();
    }
    // Written, or never will be: the body is no longer held.
    claim_.Release();
    shared_out_.reset();
    body_out_ = std::string();
    body_view_ = {};
    if (counted_) {
      counted_ = false;
      --server_.in_flight;
    }
    if (server_.opts.access_log) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started_)
                    .count();
      // The request line as far as it was parsed: empty if it was not.
      const auto& req = parser_->get();
      const std::string_view target = req.target();
      log::Info("request")
          .Str("method", req.method_string())
          .Str("path", target.substr(0, target.find('?')))
          .Int("status", reply_status_)
          .Int("bytes", static_cast<int64_t>(sent_))
          .Int("duration_us", us)
          .Str("remote", remote_);
    }
    if (streaming_) {
      stream_started_ = true;
      if (ec) return EndStream();
      // Stalled now means a client that stopped reading: it holds one piece
      // and costs nothing else, so it may wait longer than a reply would.
      return NextPiece();
    }
    if (ec || !reply_keep_alive_) return Close();
    // A pipelined request already read goes through the queue: parsing it
    // here could recurse once per request in the buffer.
    if (buffer_.size() > 0) {
      return net::post(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
    }
    ReadHeader();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(kLingerTime);
    Linger();
  }

  void Linger() {
    if (lingered_ >= kLingerBytes) return;
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return;
                              self->lingered_ += n;
                              self->Linger();
                            });
  }

  beast::basic_stream<tcp, net::io_context::executor_type> stream_;
  ReplyMailbox& mailbox_;
  IdleConnections& idle_;
  SessionContext& server_;
  beast::flat_buffer buffer_{kHeaderLimit};
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  // The reply being written: head_out_ keeps its capacity; the body is
  // body_out_ or shared_out_, claimed from the server's budget until written.
  std::string head_out_, body_out_;
  std::shared_ptr<const std::string> shared_out_;
  std::string_view body_view_;
  size_t sent_ = 0;
  ReplyBudget::Claim claim_;
  int reply_status_ = 0;
  bool reply_keep_alive_ = false;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool counted_ = false;
  std::string client_;  // the peer's address: rate limits without keys
  std::string remote_;
  std::chrono::steady_clock::time_point started_;  // the request's first bytes (access log)
  size_t lingered_ = 0;
  std::array<char, 4096> discard_;
  // A streamed response (StartStream): the stream, until it ends; a timer
  // for its waits; whether its head is written; whether the piece being
  // written is its last.
  std::shared_ptr<api::BodyStream> body_stream_;
  std::optional<net::steady_timer> pause_;
  bool streaming_ = false;
  bool stream_started_ = false;
  bool stream_ending_ = false;
  int64_t piece_wait_ms_ = 0;  // the wait after the piece being written
};

void ReplyMailbox::Deliver(std::shared_ptr<Session> session, api::Response response) {
  if (io_.get_executor().running_in_this_thread()) return session->Complete(std::move(response));
  bool first;
  {
    util::MutexLock lock(&mu_);
    first = queued_.empty();
    queued_.emplace_back(std::move(session), std::move(response));
  }
  if (first) net::post(io_, [this] { Drain(); });
}

void ReplyMailbox::Drain() {
  std::vector<std::pair<std::shared_ptr<Session>, api::Response>> ready;
  {
    util::MutexLock lock(&mu_);
    ready.swap(queued_);
  }
  for (auto& [session, response] : ready) session->Complete(std::move(response));
}

}  // namespace

Status Server::Impl::Listen() {
  beast::error_code ec;
  tcp::resolver resolver(*contexts[0]);
  auto results = resolver.resolve(ctx.opts.host, std::to_string(ctx.opts.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  std::string where = ctx.opts.host + ":" + std::to_string(ctx.opts.port);
  if (ec || results.empty()) {
    return Status::Unavailable("cannot resolve listen address '" + where + "': " + ec.message());
  }
  tcp::endpoint ep = results.begin()->endpoint();
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on " + where + ": " + ec.message());
  return Status::Ok();
}

void Server::Impl::Accept() {
  size_t index = next_context++ % contexts.size();
  // Accepted straight into a socket of the connection's I/O thread.
  auto socket = std::make_unique<Socket>(contexts[index]->get_executor());
  Socket& peer = *socket;
  acceptor->async_accept(peer,
                         [this, index, socket = std::move(socket)](beast::error_code ec) mutable {
                           if (ec == net::error::operation_aborted || !acceptor->is_open()) return;
                           if (ec) return OnAcceptError(ec);
                           accept_backoff = std::chrono::milliseconds(0);
                           OnAccepted(std::move(socket), index);
                           Accept();
                         });
}

// Out of file descriptors, usually: wait before the next try, twice as long
// each failure in a row (10 ms to 1 s), and say so once per episode, not once
// per try (while descriptors are short, some accepts succeed between failures).
void Server::Impl::OnAcceptError(const beast::error_code& ec) {
  if (accept_failures.Begins()) {
    log::Warn(
        "accept failing; retrying with back-off, warning again only after a minute "
        "without failures")
        .Str("error", ec.message())
        .Int("open_connections", static_cast<int64_t>(ctx.connections.load()));
  }
  accept_backoff = std::clamp(accept_backoff * 2, std::chrono::milliseconds(10),
                              std::chrono::milliseconds(1000));
  accept_timer->expires_after(accept_backoff);
  accept_timer->async_wait([this](beast::error_code) { Accept(); });
}

// At the connection cap, a new connection takes the place of the oldest idle
// one (of any I/O thread); with none idle, it is refused.
void Server::Impl::OnAccepted(std::unique_ptr<Socket> socket, size_t index) {
  if (ctx.connections.fetch_add(1, std::memory_order_relaxed) >= ctx.opts.max_connections) {
    size_t oldest = idle.size();
    int64_t since = IdleConnections::kNone;
    for (size_t i = 0; i < idle.size(); ++i) {
      if (idle[i]->oldest_since() < since) {
        since = idle[i]->oldest_since();
        oldest = i;
      }
    }
    if (oldest == idle.size()) {
      if (refusals.Begins()) {
        log::Warn("at --max-connections with none idle: refusing new connections (503)")
            .Int("max_connections", static_cast<int64_t>(ctx.opts.max_connections));
      }
      Refuse(*socket);
      ctx.connections.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    // oldest_since() may be stale: if that thread has no idle connection left
    // when this runs, the cap is passed by one until a connection closes (the
    // next accept meanwhile evicts again).
    net::post(*contexts[oldest], [list = idle[oldest].get()] { list->EvictOldest(); });
  }
  beast::error_code ignored;
  socket->set_option(tcp::no_delay(true), ignored);
  auto executor = socket->get_executor();
  auto session =
      std::make_shared<Session>(std::move(*socket), *mailboxes[index], *idle[index], ctx);
  net::post(executor, [session] { session->Start(); });
}

// A 503 if the socket takes it at once, then closed. What the client sent is
// read first (without waiting): closing with it unread would send a reset,
// which can discard the 503 before the client reads it.
void Server::Impl::Refuse(Socket& socket) {
  beast::error_code ec;
  socket.non_blocking(true, ec);
  std::array<char, 4096> discard;
  while (!ec && socket.read_some(net::buffer(discard), ec) == discard.size()) {
  }
  socket.write_some(net::buffer(refusal_bytes), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

void Server::Impl::Run() {
  net::post(*contexts[0], [this] { Accept(); });
  auto run = [](net::io_context& io) {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        log::Error("unexpected error on an I/O thread").Str("error", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < contexts.size(); ++i) {
    threads.emplace_back([&run, io = contexts[i].get()] {
      pthread_setname_np(pthread_self(), "logsvc-io");
      run(*io);
    });
  }
  run(*contexts[0]);
  for (auto& t : threads) t.join();
}

void Server::Impl::Stop() {
  if (stop_requested.exchange(true)) return;
  net::post(*contexts[0], [this] {
    beast::error_code ec;
    acceptor->close(ec);
    ctx.draining = true;
    drain_deadline = std::chrono::steady_clock::now() + ctx.opts.drain_timeout;
    WaitForDrain();
  });
}

void Server::Impl::WaitForDrain() {
  if (ctx.in_flight > 0 && std::chrono::steady_clock::now() < drain_deadline) {
    drain_timer->expires_after(std::chrono::milliseconds(10));
    drain_timer->async_wait([this](beast::error_code) { WaitForDrain(); });
    return;
  }
  if (ctx.in_flight > 0) {
    log::Warn("dropping requests still in flight").Int("count", ctx.in_flight);
  }
  for (auto& g : guards) g.reset();
  for (auto& c : contexts) c->stop();
}

Server::Server(ServerOptions options, api::Api& api)
    : impl_(std::make_unique<Impl>(std::move(options), api)) {}
Server::~Server() = default;
Status Server::Listen() { return impl_->Listen(); }
uint16_t Server::port() const { return impl_->acceptor->local_endpoint().port(); }
void Server::Run() { impl_->Run(); }
void Server::Stop() { impl_->Stop(); }

}  // namespace logsvc::http
