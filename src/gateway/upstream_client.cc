// src/gateway/upstream_client.cc — calls to model upstreams on Boost.Beast with coroutines:
// keep-alive connections kept per upstream and reused by every client connection, retries on
// another upstream while nothing was accepted, time-outs per phase, and the active health
// checks. Results go to the route's UpstreamPool (circuit breaker, health).
#include "gateway/upstream_client.h"

#include <boost/asio/connect.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <limits>

#include "gateway/deadline.h"
#include "rsf/gateway/upstream_pool.h"
#include "rsf/model/openai_wire.h"

namespace rsf::gateway::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

constexpr size_t kMaxErrorBody = 64 * 1024;

std::string Key(const UpstreamPool::Endpoint& e) { return e.host + ":" + e.port; }

// Connects to `e` before `deadline` passes; the error says what failed.
awaitable<Status> Connect(tcp::socket& socket, Deadline& deadline, const UpstreamPool::Endpoint& e, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  tcp::resolver resolver(socket.get_executor());
  auto results = co_await resolver.async_resolve(e.host, e.port, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return UnavailableError(fmt::format("upstream {}: cannot resolve {}: {}", e.url, e.host, ec.message()));
  deadline.Set(timeout);
  co_await asio::async_connect(socket, results, asio::redirect_error(use_awaitable, ec));
  if (deadline.expired()) {
    co_return DeadlineExceededError(fmt::format("upstream {}: no connection within {} ms", e.url, timeout.count()));
  }
  if (ec) co_return UnavailableError(fmt::format("upstream {}: cannot connect: {}", e.url, ec.message()));
  socket.set_option(tcp::no_delay(true), ec);
  co_return Status();
}

// What a failed read or write means, for the message and the status code.
Status StreamError(const UpstreamPool::Endpoint& e, const boost::system::error_code& ec, bool timed_out,
                   std::string_view phase, int ms) {
  if (timed_out) {
    return DeadlineExceededError(fmt::format("upstream {}: {} took longer than {} ms", e.url, phase, ms));
  }
  return UnavailableError(fmt::format("upstream {}: {} failed: {}", e.url, phase, ec.message()));
}

// A failed exchange the circuit breaker counts against the upstream.
bool UpstreamsFault(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded;
}

}  // namespace

bool UpstreamClient::TakeIdle(const std::string& key, Socket& out) {
  std::lock_guard lock(mu_);
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return false;
  // Completion handlers run on the caller's executor (the awaitable's), not the socket's,
  // so a connection opened by one client connection can serve another as it is.
  out = std::move(it->second.back());
  it->second.pop_back();
  return true;
}

void UpstreamClient::PutIdle(const std::string& key, Socket socket) {
  std::lock_guard lock(mu_);
  auto& list = idle_[key];
  if (list.size() < max_idle_) list.push_back(std::move(socket));
}

awaitable<Status> UpstreamClient::Attempt(UpstreamCall& call, size_t upstream, const Emit& emit,
                                          std::vector<std::string>& pending, const Flush& flush, bool& accepted) {
  const UpstreamPool::Endpoint& e = call.pool->endpoint(upstream);
  const UpstreamSettings& cfg = call.pool->settings();
  const auto ex = co_await asio::this_coro::executor;
  const std::string key = Key(e);
  http::request<http::string_body> req{http::verb::post, e.prefix + call.path, 11};
  req.set(http::field::host, key);
  req.set(http::field::content_type, "application/json");
  req.set(http::field::accept, "text/event-stream");
  req.keep_alive(true);
  req.body() = call.body(e.model);
  req.prepare_payload();
  // A kept connection may have been closed by the upstream meanwhile: if it fails before any
  // of the response arrived, try once more on a new one.
  for (int round = 0; round < 2; ++round) {
    Socket socket(ex);
    const bool reused = round == 0 && TakeIdle(key, socket);
    Deadline deadline(ex, socket);
    if (!reused) {
      Status s = co_await Connect(socket, deadline, e, std::chrono::milliseconds(cfg.connect_timeout_ms));
      if (!s.ok()) co_return s;
    }
    boost::system::error_code ec;
    deadline.Set(std::chrono::milliseconds(cfg.first_byte_timeout_ms));
    co_await http::async_write(socket, req, asio::redirect_error(use_awaitable, ec));
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // boost::none is broken in 1.74 (Content-Length > none)
    if (!ec) co_await http::async_read_header(socket, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec && reused && !deadline.expired() && !parser.got_some()) continue;
    if (ec) co_return StreamError(e, ec, deadline.expired(), "the response header", cfg.first_byte_timeout_ms);
    const int status = parser.get().result_int();
    char scratch[4096];  // in the coroutine frame: kept small, one per stream in flight
    if (status < 200 || status >= 300) {
      std::string body;
      while (!parser.is_done() && body.size() < kMaxErrorBody) {
        parser.get().body().data = scratch;
        parser.get().body().size = sizeof scratch;
        deadline.Set(std::chrono::milliseconds(cfg.idle_timeout_ms));
        co_await http::async_read_some(socket, buffer, parser, asio::redirect_error(use_awaitable, ec));
        if (ec == http::error::need_buffer) ec = {};
        body.append(scratch, sizeof scratch - parser.get().body().size);
        if (ec) break;
      }
      deadline.Clear();
      if (!ec && parser.is_done() && parser.keep_alive() && buffer.size() == 0) PutIdle(key, std::move(socket));
      const std::string msg = fmt::format("upstream {} answered HTTP {}: {}", e.url, status, model::OpenAiErrorMessage(body));
      if (status == 429 || status >= 500 || status == 401 || status == 403) co_return UnavailableError(msg);
      co_return InvalidArgumentError(msg);
    }
    bool go = true;
    while (!parser.is_done()) {
      parser.get().body().data = scratch;
      parser.get().body().size = sizeof scratch;
      deadline.Set(std::chrono::milliseconds(cfg.idle_timeout_ms));
      // read_some: hand on what arrived now, not when the buffer is full.
      co_await http::async_read_some(socket, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      const size_t n = sizeof scratch - parser.get().body().size;
      if (n > 0) {
        accepted = true;
        go = call.on_body(std::string_view(scratch, n), emit);
        if (!pending.empty()) co_await flush(pending);
      }
      if (ec) co_return StreamError(e, ec, deadline.expired(), "the response body", cfg.idle_timeout_ms);
      if (!go) co_return FailedPreconditionError("the gateway stopped the response");
    }
    deadline.Clear();
    if (parser.keep_alive() && buffer.size() == 0) PutIdle(key, std::move(socket));
    co_return Status();
  }
  co_return UnavailableError(fmt::format("upstream {}: the connection closed before answering", e.url));
}

awaitable<Status> UpstreamClient::Exchange(UpstreamCall& call, const Emit& emit, std::vector<std::string>& pending,
                                           const Flush& flush) {
  UpstreamPool& pool = *call.pool;
  std::vector<size_t> tried;
  Status last = UnavailableError(fmt::format("no upstream of model '{}' may take requests now (unhealthy or circuit open)",
                                             pool.model_id()));
  for (int attempt = 0; attempt < pool.settings().max_attempts; ++attempt) {
    const auto picked = pool.Pick(tried);
    if (!picked) break;
    tried.push_back(*picked);
    bool accepted = false;
    Status s = co_await Attempt(call, *picked, emit, pending, flush, accepted);
    if (UpstreamsFault(s)) {
      pool.Failed(*picked);
    } else {
      pool.Succeeded(*picked);
    }
    if (!UpstreamsFault(s) || accepted) co_return s;
    last = std::move(s);
  }
  co_return last;
}

awaitable<HttpOut> UpstreamClient::Run(UpstreamCall& call, const Flush& flush) {
  std::vector<std::string> pending;
  bool client_ok = true;
  const Emit emit = [&](std::string_view chunk) {
    if (!client_ok) return false;
    pending.emplace_back(chunk);
    return true;
  };
  // Every flush goes through here so a failed write stops later emits.
  const Flush guarded = [&](std::vector<std::string>& chunks) -> awaitable<bool> {
    if (client_ok) client_ok = co_await flush(chunks);
    chunks.clear();
    co_return client_ok;
  };
  for (;;) {
    const Status s = co_await Exchange(call, emit, pending, guarded);
    std::optional<HttpOut> out = call.on_end(s, emit);
    if (!pending.empty()) co_await guarded(pending);
    if (out) co_return std::move(*out);
  }
}

awaitable<bool> UpstreamClient::Probe(const UpstreamPool& pool, size_t upstream) {
  const UpstreamPool::Endpoint& e = pool.endpoint(upstream);
  const auto timeout = std::chrono::milliseconds(pool.settings().health_timeout_ms);
  const auto ex = co_await asio::this_coro::executor;
  Socket socket(ex);
  Deadline deadline(ex, socket);
  if (!(co_await Connect(socket, deadline, e, timeout)).ok()) co_return false;
  http::request<http::empty_body> req{http::verb::get, e.prefix + pool.settings().health_path, 11};
  req.set(http::field::host, Key(e));
  req.keep_alive(false);
  boost::system::error_code ec;
  deadline.Set(timeout);
  co_await http::async_write(socket, req, asio::redirect_error(use_awaitable, ec));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxErrorBody);
  if (!ec) co_await http::async_read(socket, buffer, parser, asio::redirect_error(use_awaitable, ec));
  socket.shutdown(tcp::socket::shutdown_both, ec);
  if (!parser.is_header_done()) co_return false;
  const int status = parser.get().result_int();
  co_return status >= 200 && status < 300;
}

awaitable<void> UpstreamClient::HealthChecks(std::weak_ptr<UpstreamPool> weak) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    int interval_ms;
    {
      auto pool = weak.lock();
      if (!pool || pool->settings().health_path.empty()) co_return;
      for (size_t i = 0; i < pool->size(); ++i) pool->Checked(i, co_await Probe(*pool, i));
      interval_ms = pool->settings().health_interval_ms;
    }
    timer.expires_after(std::chrono::milliseconds(interval_ms));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

}  // namespace rsf::gateway::internal
