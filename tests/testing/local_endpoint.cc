#include <utility>  // before Asio (Boost 1.74)

#include "testing/local_endpoint.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>

#include <mutex>
#include <thread>
#include <vector>

namespace rsf::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;

namespace {

Json Completion(const Json& req, const std::string& path, const LocalReply& r) {
  const bool chat = path.find("chat") != std::string::npos;
  Json choice = {{"index", 0}, {"finish_reason", "stop"}};
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", r.text}};
  } else {
    choice["text"] = r.text;
  }
  if (!r.top_logprobs.empty()) {
    Json top = Json::array();
    for (auto& [t, lp] : r.top_logprobs) top.push_back({{"token", t}, {"logprob", lp}});
    choice["logprobs"] = {{"content", Json::array({{{"token", r.top_logprobs[0].first},
                                                     {"logprob", r.top_logprobs[0].second},
                                                     {"top_logprobs", top}}})}};
  }
  return {{"id", "local"}, {"object", chat ? "chat.completion" : "text_completion"},
          {"model", req.value("model", "local")}, {"choices", Json::array({choice})},
          {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 3}, {"total_tokens", 13}}}};
}

}  // namespace

struct LocalEndpoint::Impl {
  LocalHandler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<int64_t> requests{0};
  std::mutex mu;
  std::vector<std::thread> sessions;
  std::vector<int> fds;  // open session sockets, shut down on destruction

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      std::lock_guard lock(mu);
      fds.push_back(socket.native_handle());
      sessions.emplace_back([this, s = std::move(socket)]() mutable { Serve(std::move(s)); });
      Accept();
    });
  }

  // One blocking session per connection: simple, and keep-alive is honoured.
  void Serve(tcp::socket socket) {
    struct Forget {
      Impl* impl;
      int fd;
      ~Forget() {
        std::lock_guard lock(impl->mu);
        std::erase(impl->fds, fd);
      }
    } forget{this, socket.native_handle()};
    beast::flat_buffer buffer;
    socket.set_option(tcp::no_delay(true));
    while (true) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      ++requests;
      Json body = Json::parse(req.body(), nullptr, false);
      std::string path(req.target());
      LocalReply r = handler(body, path);
      if (r.delay.count() > 0) std::this_thread::sleep_for(r.delay);
      if (r.drop_connection) {
        socket.shutdown(tcp::socket::shutdown_both, ec);
        return;
      }
      const bool stream = body.is_object() && body.value("stream", false);
      if (stream && r.status == 200) {
        // Chunked SSE: one event per word, then usage and [DONE].
        http::response<http::empty_body> head{http::status::ok, req.version()};
        head.set(http::field::content_type, "text/event-stream");
        head.chunked(true);
        http::response_serializer<http::empty_body> sr{head};
        http::write_header(socket, sr, ec);
        if (ec) return;
        auto chunk = [&](const std::string& data) {
          asio::write(socket, http::make_chunk(asio::buffer(data)), ec);
        };
        std::string word;
        auto send_word = [&](const std::string& w) {
          Json ev = {{"choices", Json::array({{{"index", 0}, {"delta", {{"content", w}}}}})}};
          chunk("data: " + ev.dump() + "\n\n");
        };
        for (char c : r.text) {
          word += c;
          if (c == ' ') {
            send_word(word);
            word.clear();
          }
        }
        if (!word.empty()) send_word(word);
        chunk("data: " + Json({{"choices", Json::array()}, {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 3}}}}).dump() + "\n\n");
        chunk("data: [DONE]\n\n");
        asio::write(socket, http::make_chunk_last(), ec);
        if (ec || !req.keep_alive()) return;
        continue;
      }
      http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
      res.set(http::field::content_type, "application/json");
      for (auto& [k, v] : r.headers) res.set(k, v);
      if (!r.raw_body.empty()) {
        res.body() = r.raw_body;
      } else if (r.status == 200) {
        res.body() = Completion(body, path, r).dump();
      } else {
        res.body() = Json({{"error", {{"message", "endpoint error " + std::to_string(r.status)}}}}).dump();
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }
};

LocalEndpoint::LocalEndpoint(LocalHandler handler, int threads) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(1024);
  impl_->Accept();
  for (int i = 0; i < threads; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

LocalEndpoint::~LocalEndpoint() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  {
    std::lock_guard lock(impl_->mu);
    for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : impl_->sessions) t.join();
}

int LocalEndpoint::port() const { return impl_->acceptor.local_endpoint().port(); }
std::string LocalEndpoint::base_url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/v1"; }
int64_t LocalEndpoint::requests() const { return impl_->requests.load(); }

}  // namespace rsf::testing
