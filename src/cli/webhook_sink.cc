// A small HTTP receiver for incident webhooks (src/cli/webhook_sink.h): one thread, one
// request per connection, Boost.Beast's synchronous API.
#include "webhook_sink.h"

#include <atomic>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <fmt/format.h>

namespace rsf::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct WebhookSink::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::string host;
  OnPost on_post;
  std::atomic<bool> stop{false};
  std::thread thread;

  void Serve() {
    while (!stop.load()) {
      beast::error_code ec;
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec || stop.load()) continue;
      beast::flat_buffer buffer;
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      http::read(socket, buffer, parser, ec);
      if (ec) continue;
      const auto& req = parser.get();
      http::response<http::empty_body> res{req.method() == http::verb::post ? http::status::no_content : http::status::method_not_allowed,
                                           req.version()};
      res.set(http::field::server, "rsf-webhook-sink");
      res.keep_alive(false);
      if (req.method() == http::verb::post && on_post) on_post(std::string(req.target()), req.body());
      http::write(socket, res, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }
};

WebhookSink::WebhookSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<WebhookSink>> WebhookSink::Start(const std::string& host, uint16_t port, OnPost on_post) {
  auto impl = std::make_unique<Impl>();
  impl->host = host;
  impl->on_post = std::move(on_post);
  beast::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  if (ec) return InvalidArgumentError(fmt::format("webhook sink: '{}' is not an IP address", host));
  tcp::endpoint ep(addr, port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError(fmt::format("webhook sink: cannot listen on {}:{}: {}", host, port, ec.message()));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Serve(); });
  return std::unique_ptr<WebhookSink>(new WebhookSink(std::move(impl)));
}

WebhookSink::~WebhookSink() {
  impl_->stop.store(true);
  // Wake the blocking accept with a connection of our own.
  beast::error_code ec;
  asio::io_context io;
  tcp::socket s(io);
  s.connect(impl_->acceptor.local_endpoint(), ec);
  impl_->thread.join();
}

uint16_t WebhookSink::port() const { return impl_->acceptor.local_endpoint().port(); }
std::string WebhookSink::url(const std::string& path) const { return fmt::format("http://{}:{}{}", impl_->host, port(), path); }

}  // namespace rsf::cli
