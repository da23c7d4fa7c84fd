// src/gateway/http_server.cc — the network side of rsfd on Boost.Beast with C++20 coroutines.
// One coroutine per connection, on its own strand; backend calls run on a worker pool and hand
// results (or SSE chunks) back through a queue the coroutine drains. Asio and Beast stay in
// this file (they are slow to compile; docs/design.md).
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/deadline.h"
#include "gateway/exchange.h"
#include "gateway/upstream_client.h"
#include "rsf/gateway/upstream_pool.h"

namespace rsf::gateway::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// A job in flight: the worker fills it, the connection's coroutine drains it. `signaled` and
// the timer are touched only on the connection's strand.
struct Pending {
  explicit Pending(asio::any_io_executor ex) : timer(ex) {}
  std::mutex mu;
  std::deque<std::string> chunks;
  bool done = false;
  HttpOut out;
  std::atomic<bool> client_gone{false};
  asio::steady_timer timer;
  bool signaled = false;
};

void Notify(const std::shared_ptr<Pending>& p) {
  asio::post(p->timer.get_executor(), [p] {
    p->signaled = true;
    p->timer.cancel();
  });
}

template <typename Stream>
awaitable<bool> WriteResponse(Stream& stream, const HttpOut& out, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(out.status), version};
  res.set(http::field::server, "rsfd");
  res.set(http::field::content_type, out.content_type);
  for (const auto& [name, value] : out.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = out.body;
  res.prepare_payload();
  boost::system::error_code ec;
  co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  co_return !ec;
}

// Writes a stream's response: the header with the first chunk, then chunks (server-sent
// events, chunked), then the last chunk; a plain response when it ends with an error before
// anything was sent.
class StreamOut {
 public:
  StreamOut(beast::tcp_stream& stream, unsigned version, bool keep_alive, const Headers& headers)
      : stream_(stream), version_(version), keep_alive_(keep_alive), res_{http::status::ok, version}, sr_{res_} {
    res_.set(http::field::server, "rsfd");
    res_.set(http::field::content_type, "text/event-stream");
    res_.set(http::field::cache_control, "no-cache");
    for (const auto& [name, value] : headers) res_.set(name, value);
    res_.keep_alive(keep_alive);
    res_.chunked(true);
  }
  StreamOut(const StreamOut&) = delete;
  StreamOut& operator=(const StreamOut&) = delete;

  // Writes `chunks` and clears them; false once the client has gone.
  template <typename Chunks>
  awaitable<bool> Send(Chunks& chunks) {
    if (ok_ && !started_ && !chunks.empty()) co_await Start();
    for (const auto& c : chunks) {
      if (!ok_) break;
      boost::system::error_code ec;
      co_await asio::async_write(stream_, http::make_chunk(asio::buffer(c)), asio::redirect_error(use_awaitable, ec));
      ok_ = !ec;
    }
    chunks.clear();
    co_return ok_;
  }

  // Ends the response with `final_out`'s status; true when the connection may be reused.
  awaitable<bool> End(const HttpOut& final_out) {
    if (!ok_) co_return false;
    if (!started_ && final_out.status != 200) co_return co_await WriteResponse(stream_, final_out, version_, keep_alive_);
    if (!started_) co_await Start();
    if (!ok_) co_return false;
    boost::system::error_code ec;
    co_await asio::async_write(stream_, http::make_chunk_last(), asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

 private:
  awaitable<void> Start() {
    boost::system::error_code ec;
    co_await http::async_write_header(stream_, sr_, asio::redirect_error(use_awaitable, ec));
    ok_ = !ec;
    started_ = true;
  }

  beast::tcp_stream& stream_;
  unsigned version_;
  bool keep_alive_;
  http::response<http::empty_body> res_;
  http::response_serializer<http::empty_body> sr_;
  bool started_ = false, ok_ = true;
};

class BeastServer final : public HttpServer {
 public:
  BeastServer(Handler& handler, const Options& options)
      : handler_(handler), options_(options), ioc_(options.io_threads), pool_(static_cast<size_t>(options.worker_threads)) {}
  ~BeastServer() override { Stop(std::chrono::milliseconds(0)); }

  int64_t InFlight() const override { return in_flight_.load(); }

  void Watch(std::shared_ptr<UpstreamPool> pool) override {
    if (!pool || pool->settings().health_path.empty() || stopping_.load()) return;
    asio::co_spawn(ConnectionExecutor(), upstream_.HealthChecks(pool), asio::detached);
  }

  int Start(const std::string& host, int port, std::string* error) override {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) {
      *error = "cannot parse listen address '" + host + "': " + ec.message();
      return -1;
    }
    acceptor_ = std::make_unique<tcp::acceptor>(ioc_);
    const tcp::endpoint ep(address, static_cast<uint16_t>(port));
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
      return -1;
    }
    const int bound = acceptor_->local_endpoint().port();
    asio::co_spawn(ioc_, Accept(), asio::detached);
    for (int i = 0; i < options_.io_threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
    return bound;
  }

  void Stop(std::chrono::milliseconds drain) override {
    if (stopping_.exchange(true)) return;
    asio::post(ioc_, [this] {
      boost::system::error_code ec;
      if (acceptor_) acceptor_->close(ec);
    });
    // Requests in flight (streams included) may finish; idle connections are closed below.
    const auto deadline = std::chrono::steady_clock::now() + drain;
    while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    stopped_ = true;
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    pool_.join();
  }

 private:
  // Where a connection's coroutine runs: its own strand when several threads run the loop;
  // with one thread the loop itself serialises everything and a strand only adds a post per
  // resumption.
  asio::any_io_executor ConnectionExecutor() {
    if (options_.io_threads == 1) return ioc_.get_executor();
    return asio::make_strand(ioc_);
  }

  awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_->async_accept(ConnectionExecutor(), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
        continue;  // e.g. too many open files: keep accepting
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto ex = socket.get_executor();
      asio::co_spawn(ex, Session(std::move(socket)), asio::detached);
    }
  }

  // Waits until the job has something for us: chunks, or its end.
  static awaitable<void> WaitFor(const std::shared_ptr<Pending>& p) {
    if (p->signaled) {
      p->signaled = false;
      co_return;
    }
    p->timer.expires_after(std::chrono::hours(24));
    boost::system::error_code ec;
    co_await p->timer.async_wait(asio::redirect_error(use_awaitable, ec));
    p->signaled = false;
  }

  std::shared_ptr<Pending> Launch(const std::shared_ptr<Job>& job, asio::any_io_executor ex) {
    auto p = std::make_shared<Pending>(ex);
    asio::post(pool_, [p, job, this] {
      const Emit emit = [p, this](std::string_view chunk) {
        if (p->client_gone.load() || stopped_.load()) return false;
        {
          std::lock_guard lock(p->mu);
          p->chunks.emplace_back(chunk);
        }
        Notify(p);
        return true;
      };
      HttpOut out;
      try {
        out = job->run(emit);
      } catch (const std::exception&) {
        out = handler_.Reject(500, "internal error", "internal");
      }
      {
        std::lock_guard lock(p->mu);
        p->out = std::move(out);
        p->done = true;
      }
      Notify(p);
    });
    return p;
  }

  // Closes after an error response without resetting the connection: stops sending, then
  // reads (and drops) what the client is still sending, for a bounded time and size, so the
  // client gets to read the response instead of a reset.
  static awaitable<void> LingeringClose(beast::tcp_stream& stream) {
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(2));
    char scratch[16384];
    size_t drained = 0;
    while (!ec && drained < (size_t{8} << 20)) {
      drained += co_await stream.async_read_some(asio::buffer(scratch), asio::redirect_error(use_awaitable, ec));
    }
  }

  awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    // One lazily re-armed timer per connection for the read time-outs (deadline.h).
    Deadline deadline(stream.get_executor(), stream.socket());
    const std::string client = [&] {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      return ec ? std::string("unknown") : ep.address().to_string();
    }();
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      parser.header_limit(16 * 1024);
      // Time-outs cancel the read but leave the socket open, so the client still gets its 408
      // (tcp_stream's own expiry would close the socket first).
      boost::system::error_code ec;
      deadline.Set(std::chrono::milliseconds(options_.header_timeout_ms));
      co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (!ec && parser.content_length() && *parser.content_length() > options_.max_body_bytes) {
        ec = http::error::body_limit;  // refuse before reading it
      }
      if (!ec && !parser.is_done()) {
        deadline.Set(std::chrono::milliseconds(options_.request_timeout_ms));
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      }
      deadline.Clear();
      if (deadline.expired()) {
        if (!parser.got_some() && buffer.size() == 0) break;  // an idle keep-alive connection: just close
        ec = beast::error::timeout;
      }
      if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) break;
      if (ec) {
        HttpOut out;
        if (ec == http::error::body_limit) {
          out = handler_.Reject(413, "request body is larger than the limit of " + std::to_string(options_.max_body_bytes) + " bytes", "body_too_large");
        } else if (ec == beast::error::timeout) {
          out = handler_.Reject(408, "the request was not received in time", "request_timeout");
        } else if (ec == http::error::header_limit) {
          out = handler_.Reject(431, "request headers are too large", "headers_too_large");
        } else {
          out = handler_.Reject(400, "malformed HTTP request: " + ec.message(), "bad_request");
        }
        stream.expires_after(std::chrono::seconds(5));
        co_await WriteResponse(stream, out, 11, false);
        co_await LingeringClose(stream);
        co_return;
      }
      stream.expires_never();
      auto& req = parser.get();
      // While stopping, answer what was read and close the connection.
      const bool keep_alive = req.keep_alive() && !stopping_.load();
      in_flight_.fetch_add(1);
      struct Done {
        std::atomic<int64_t>& n;
        ~Done() { n.fetch_sub(1); }
      } done_guard{in_flight_};
      HttpIn in;
      in.method = std::string(req.method_string());
      in.target = std::string(req.target());
      in.authorization = std::string(req[http::field::authorization]);
      in.drill = std::string(req["x-rsf-drill"]);
      in.client = client;
      in.body = std::move(req.body());
      Routed routed;
      try {
        routed = handler_.Route(in);
      } catch (const std::exception&) {
        // A bug, not the client's fault: answer 500 and keep serving others.
        routed = Routed{handler_.Reject(500, "internal error", "internal"), nullptr};
      }
      if (!routed.job) {
        if (!co_await WriteResponse(stream, routed.response, req.version(), keep_alive) || !keep_alive) break;
        continue;
      }
      if (routed.job->upstream) {
        StreamOut out(stream, req.version(), keep_alive, routed.job->headers);
        const Flush flush = [&out](std::vector<std::string>& chunks) { return out.Send(chunks); };
        const HttpOut final_out = co_await upstream_.Run(*routed.job->upstream, flush);
        const bool ok = routed.job->stream ? co_await out.End(final_out) : co_await WriteResponse(stream, final_out, req.version(), keep_alive);
        if (!ok || !keep_alive) break;
        continue;
      }
      auto p = Launch(routed.job, co_await asio::this_coro::executor);
      if (!routed.job->stream) {
        for (;;) {
          {
            std::lock_guard lock(p->mu);
            if (p->done) break;
          }
          co_await WaitFor(p);
        }
        if (!co_await WriteResponse(stream, p->out, req.version(), keep_alive) || !keep_alive) break;
        continue;
      }
      StreamOut out(stream, req.version(), keep_alive, routed.job->headers);
      bool ok = true;
      for (;;) {
        std::deque<std::string> chunks;
        bool done;
        HttpOut final_out;
        {
          std::lock_guard lock(p->mu);
          chunks.swap(p->chunks);
          done = p->done;
          if (done) final_out = p->out;
        }
        ok = co_await out.Send(chunks);
        if (!ok) p->client_gone = true;
        if (done) {
          ok = co_await out.End(final_out);
          break;
        }
        co_await WaitFor(p);
      }
      if (!ok || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  Handler& handler_;
  Options options_;
  asio::io_context ioc_;
  asio::thread_pool pool_;
  UpstreamClient upstream_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace

std::unique_ptr<HttpServer> HttpServer::Make(Handler& handler, const Options& options) {
  return std::make_unique<BeastServer>(handler, options);
}

}  // namespace rsf::gateway::internal
