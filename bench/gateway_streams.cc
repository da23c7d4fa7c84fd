// gateway_streams — many concurrent streaming connections through rsfd (bench/gateway_streams.sh).
//
//   gateway_streams upstream PORT EVENTS INTERVAL_MS
//       A slow OpenAI-compatible upstream on 127.0.0.1:PORT: every POST gets a chat stream of
//       EVENTS content events (80 bytes of text each), INTERVAL_MS apart, then finish, usage
//       and [DONE].
//   gateway_streams clients PORT KEY CONNECTIONS PER_SECOND
//       Opens CONNECTIONS connections to rsfd on 127.0.0.1:PORT, PER_SECOND a second, asks each for a streamed chat
//       completion, and reports how many were streaming at the same time (had received an
//       event and not yet finished), how many finished with [DONE], and how many failed.
//
// Plain Asio with C++20 coroutines, one thread: the point is to load rsfd, not this program.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

std::string Chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

awaitable<void> Upstream(tcp::socket s, int events, int interval_ms) {
  boost::system::error_code ec;
  std::string in;
  asio::steady_timer timer(s.get_executor());
  for (;;) {
    const size_t head = co_await asio::async_read_until(s, asio::dynamic_buffer(in), "\r\n\r\n", asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    size_t length = 0;
    if (auto p = in.find("Content-Length: "); p != std::string::npos && p < head) length = std::stoul(in.substr(p + 16));
    while (in.size() < head + length) {
      char buf[4096];
      const size_t n = co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      in.append(buf, n);
    }
    in.erase(0, head + length);
    std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i <= events + 2; ++i) {
      if (i == events) {
        out += Chunk(R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})" "\n\n");
      } else if (i == events + 1) {
        out += Chunk(R"(data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":)" + std::to_string(events) + "}}\n\n");
      } else if (i == events + 2) {
        out += Chunk("data: [DONE]\n\n") + "0\r\n\r\n";
      } else {
        // 80 bytes of text per event: more than the gateway's 64-byte guard hold-back, so
        // every event reaches the client while the stream is still going.
        std::string text = "tick " + std::to_string(i) + " ";
        text.resize(80, '.');
        out += Chunk(R"(data: {"choices":[{"index":0,"delta":{"content":")" + text + R"("},"finish_reason":null}]})" "\n\n");
      }
      co_await asio::async_write(s, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      out.clear();
      if (i < events) {
        timer.expires_after(std::chrono::milliseconds(interval_ms));
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      }
    }
  }
}

awaitable<void> Accept(tcp::acceptor& acceptor, int events, int interval_ms) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) continue;
    s.set_option(tcp::no_delay(true), ec);  // events are small writes: no Nagle delay
    asio::co_spawn(acceptor.get_executor(), Upstream(std::move(s), events, interval_ms), asio::detached);
  }
}

struct Counts {
  int connected = 0, streaming = 0, peak = 0, done = 0, failed = 0;
  std::vector<double> first_event_ms;  // from sending the request to the first event
  std::string first_error;
};

awaitable<void> Client(tcp::endpoint ep, std::string request, Counts& c, std::chrono::microseconds delay) {
  boost::system::error_code ec;
  asio::steady_timer wait(co_await asio::this_coro::executor, delay);
  co_await wait.async_wait(asio::redirect_error(use_awaitable, ec));
  tcp::socket s(co_await asio::this_coro::executor);
  co_await s.async_connect(ep, asio::redirect_error(use_awaitable, ec));
  auto fail = [&](const std::string& why) {
    ++c.failed;
    if (c.first_error.empty()) c.first_error = why;
  };
  if (ec) co_return fail("connect: " + ec.message());
  ++c.connected;
  co_await asio::async_write(s, asio::buffer(request), asio::redirect_error(use_awaitable, ec));
  if (ec) co_return fail("write: " + ec.message());
  std::string in;
  bool streaming = false;
  const auto sent = std::chrono::steady_clock::now();
  char buf[4096];
  for (;;) {
    const size_t n = co_await s.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    in.append(buf, n);
    if (!streaming && in.find("\"tick ") != std::string::npos) {
      if (in.rfind("HTTP/1.1 200", 0) != 0) break;
      streaming = true;
      c.peak = std::max(c.peak, ++c.streaming);
      c.first_event_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - sent).count());
    }
    if (in.find("data: [DONE]") != std::string::npos) break;
    if (in.size() > 65536) in.erase(0, in.size() - 64);
  }
  if (streaming) --c.streaming;
  if (in.find("data: [DONE]") != std::string::npos && streaming) {
    ++c.done;
  } else {
    fail(ec ? "read: " + ec.message() : "answer: " + in.substr(0, 200));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  asio::io_context ioc(1);
  if (mode == "upstream" && argc == 5) {
    tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(std::atoi(argv[2]))));
    acceptor.listen(asio::socket_base::max_listen_connections);
    asio::co_spawn(ioc, Accept(acceptor, std::atoi(argv[3]), std::atoi(argv[4])), asio::detached);
    ioc.run();
    return 0;
  }
  if (mode == "clients" && argc == 6) {
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(std::atoi(argv[2])));
    const std::string body = R"({"model":"frontier-1","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"Count slowly."}]})";
    const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: rsfd\r\nAuthorization: Bearer " + std::string(argv[3]) +
                                "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    const int n = std::atoi(argv[4]);
    const double per_second = std::max(1, std::atoi(argv[5]));
    Counts c;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      const auto delay = std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / per_second));
      asio::co_spawn(ioc, Client(ep, request, c, delay), asio::detached);
    }
    ioc.run();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("connections %d: connected %d, streaming at once (peak) %d, finished with [DONE] %d, failed %d, in %.1f s\n", n,
                c.connected, c.peak, c.done, c.failed, secs);
    if (!c.first_error.empty()) std::printf("first failure: %s\n", c.first_error.c_str());
    if (!c.first_event_ms.empty()) {
      std::sort(c.first_event_ms.begin(), c.first_event_ms.end());
      auto at = [&](double q) { return c.first_event_ms[static_cast<size_t>(q * (c.first_event_ms.size() - 1))]; };
      std::printf("time to the first event (ms): p50 %.1f, p99 %.1f, max %.1f\n", at(0.5), at(0.99), at(1.0));
    }
    return c.done == n ? 0 : 1;
  }
  std::fprintf(stderr, "usage: gateway_streams upstream PORT EVENTS INTERVAL_MS | clients PORT KEY CONNECTIONS PER_SECOND\n");
  return 2;
}
