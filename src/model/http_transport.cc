// The Boost.Beast transport. Every operation runs asynchronously on the connection's own
// io_context, driven with run_until(deadline), which is how a blocking call gets a time-out.
// Asio and Beast stay inside this file (they are slow to compile; docs/design.md).
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

#include "rsf/model/http.h"

namespace rsf::model {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return "";
}

Result<ParsedUrl> ParseUrl(std::string_view url) {
  ParsedUrl out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    out.tls = true;
  } else {
    return InvalidArgumentError(fmt::format("url '{}': expected http:// or https://", url));
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) return InvalidArgumentError(fmt::format("url '{}': no host", url));
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
    if (out.port.empty() || !std::all_of(out.port.begin(), out.port.end(), ::isdigit)) {
      return InvalidArgumentError(fmt::format("url '{}': bad port", url));
    }
  } else {
    out.host = std::string(authority);
    out.port = out.tls ? "443" : "80";
  }
  return out;
}

namespace {

struct Connection {
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void Close() {
    beast::error_code ec;
    Lowest().socket().close(ec);
  }
};

// Runs the operation started by `start` on c's io_context until it completes or `deadline`
// passes (then the socket is closed and kDeadlineExceeded returned).
template <class Start>
Status Run(Connection& c, Clock::time_point deadline, std::string_view what, Start start) {
  c.ioc.restart();
  bool done = false;
  beast::error_code ec;
  start([&](beast::error_code e, auto&&...) {
    ec = e;
    done = true;
  });
  c.ioc.run_until(deadline);
  if (!done) {
    c.Close();
    c.ioc.restart();
    c.ioc.run();
    return DeadlineExceededError(fmt::format("{}: timed out", what));
  }
  if (ec) return UnavailableError(fmt::format("{}: {}", what, ec.message()));
  return OkStatus();
}

class BeastTransport final : public HttpTransport {
 public:
  explicit BeastTransport(const HttpTransportOptions& options)
      : options_(options), ssl_(asio::ssl::context::tls_client) {
    ssl_.set_default_verify_paths();
    ssl_.set_verify_mode(options.verify_tls ? asio::ssl::verify_peer : asio::ssl::verify_none);
  }

  Result<HttpResponse> Send(const HttpRequest& request, const BodyCallback* on_body) override {
    RSF_ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(request.url));
    const auto deadline = Clock::now() + request.timeout;
    const std::string key = fmt::format("{}://{}:{}", url.tls ? "https" : "http", url.host, url.port);
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<Connection> conn = TakeIdle(key);
      const bool reused = conn != nullptr;
      if (!conn) {
        RSF_ASSIGN_OR_RETURN(conn, Connect(url, deadline));
      }
      bool any_bytes = false, keep_alive = false;
      Result<HttpResponse> r =
          Exchange(*conn, url, request, on_body, deadline, any_bytes, keep_alive);
      // A kept-alive connection the server has closed fails before any byte arrives: retry
      // once on a fresh connection.
      if (!r.ok() && reused && !any_bytes && attempt == 0 &&
          r.status().code() == StatusCode::kUnavailable) {
        continue;
      }
      if (!r.ok()) return r.status();
      if (keep_alive) PutIdle(key, std::move(conn));
      return r;
    }
  }

 private:
  Result<std::unique_ptr<Connection>> Connect(const ParsedUrl& url, Clock::time_point deadline) {
    auto c = std::make_unique<Connection>();
    tcp::resolver resolver(c->ioc);
    tcp::resolver::results_type endpoints;
    const std::string where = fmt::format("{}:{}", url.host, url.port);
    {
      c->ioc.restart();
      bool done = false;
      beast::error_code ec;
      resolver.async_resolve(url.host, url.port,
                             [&](beast::error_code e, tcp::resolver::results_type r) {
                               ec = e;
                               endpoints = std::move(r);
                               done = true;
                             });
      c->ioc.run_until(deadline);
      if (!done) {
        resolver.cancel();
        c->ioc.restart();
        c->ioc.run();
        return DeadlineExceededError(fmt::format("resolving {}: timed out", where));
      }
      if (ec) return UnavailableError(fmt::format("resolving {}: {}", where, ec.message()));
    }
    if (url.tls) {
      c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c->ioc, ssl_);
      if (!SSL_set_tlsext_host_name(c->tls->native_handle(), url.host.c_str())) {
        return UnavailableError(fmt::format("{}: cannot set TLS server name", where));
      }
      if (options_.verify_tls) c->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(c->ioc);
    }
    RSF_RETURN_IF_ERROR(Run(*c, deadline, "connecting to " + where, [&](auto handler) {
      c->Lowest().async_connect(endpoints, handler);
    }));
    beast::error_code ignored;
    c->Lowest().socket().set_option(tcp::no_delay(true), ignored);
    if (c->tls) {
      RSF_RETURN_IF_ERROR(Run(*c, deadline, "TLS handshake with " + where, [&](auto handler) {
        c->tls->async_handshake(asio::ssl::stream_base::client, handler);
      }));
    }
    return c;
  }

  Result<HttpResponse> Exchange(Connection& c, const ParsedUrl& url, const HttpRequest& request,
                                const BodyCallback* on_body, Clock::time_point deadline,
                                bool& any_bytes, bool& keep_alive) {
    keep_alive = false;
    http::request<http::string_body> req;
    req.method(http::string_to_verb(request.method));
    req.target(url.target);
    req.version(11);
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "rsf/0.1");
    for (const auto& [k, v] : request.headers) req.set(k, v);
    req.body() = request.body;
    req.prepare_payload();
    const std::string where = fmt::format("{} {}", request.method, request.url);
    RSF_RETURN_IF_ERROR(Run(c, deadline, where, [&](auto handler) {
      if (c.tls) {
        http::async_write(*c.tls, req, handler);
      } else {
        http::async_write(*c.plain, req, handler);
      }
    }));

    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{256} << 20);
    HttpResponse out;
    bool stopped = false;
    auto chunk = [&](std::uint64_t, beast::string_view body, beast::error_code& ec) {
      out.body.append(body.data(), body.size());
      if (on_body && !(*on_body)(std::string_view(body.data(), body.size()))) {
        stopped = true;
        ec = asio::error::operation_aborted;
      }
      return body.size();
    };
    if (on_body) parser.on_chunk_body(chunk);
    Status read = Run(c, deadline, where, [&](auto handler) {
      auto counting = [&, handler](beast::error_code e, std::size_t n) mutable {
        if (n > 0) any_bytes = true;
        handler(e, n);
      };
      if (c.tls) {
        http::async_read(*c.tls, c.buffer, parser, counting);
      } else {
        http::async_read(*c.plain, c.buffer, parser, counting);
      }
    });
    if (!read.ok() && !stopped) return read;
    if (!parser.is_header_done()) return UnavailableError(where + ": no response header");
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    // With a callback, chunked bodies were collected chunk by chunk; otherwise the parser
    // holds the whole body (chunked or not).
    if (!on_body || !res.chunked()) {
      out.body = std::move(res.body());
      if (on_body && !out.body.empty()) (*on_body)(out.body);
    }
    keep_alive = !stopped && parser.is_done() && res.keep_alive();
    return out;
  }

  std::unique_ptr<Connection> TakeIdle(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end() || it->second.empty()) return nullptr;
    auto c = std::move(it->second.back());
    it->second.pop_back();
    return c;
  }

  void PutIdle(const std::string& key, std::unique_ptr<Connection> c) {
    c->buffer.clear();
    std::lock_guard lock(mu_);
    auto& list = idle_[key];
    if (list.size() < options_.max_idle_per_host) list.push_back(std::move(c));
  }

  HttpTransportOptions options_;
  asio::ssl::context ssl_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeHttpTransport(const HttpTransportOptions& options) {
  return std::make_unique<BeastTransport>(options);
}

}  // namespace rsf::model
