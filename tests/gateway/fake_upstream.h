// tests/gateway/fake_upstream.h — an OpenAI-compatible model server for the gateway's
// upstream tests: a real HTTP/1.1 server on 127.0.0.1 (port 0, keep-alive, chunked
// server-sent events) whose behaviour a test switches: stream an answer, fail with 500,
// accept the request and never answer, reset the connection at once, or reset it half-way
// through a stream. GET /health answers 200 or 503.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rsf/common/json.h"

namespace rsf::gateway::testing {

class FakeUpstream {
 public:
  enum class Mode { kStream, kFail, kHang, kReset, kResetMidStream };

  // Answers with `text` in pieces of 7 bytes, `pause` apart.
  explicit FakeUpstream(std::string text, std::chrono::milliseconds pause = {}) : text_(std::move(text)), pause_(pause) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }

  ~FakeUpstream() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (int fd : clients_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    for (auto& t : threads_) t.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_mode(Mode m) { mode_ = m; }
  void set_healthy(bool h) { healthy_ = h; }
  int completions() const { return completions_.load(); }
  int health_checks() const { return health_checks_.load(); }
  int connections() const { return connections_.load(); }
  Json last_body() {
    std::lock_guard lock(mu_);
    return Json::parse(last_body_, nullptr, false);
  }

 private:
  void Accept() {
    for (;;) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++connections_;
      clients_.push_back(fd);
      threads_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static bool SendAll(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  static std::string Chunk(std::string_view data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return std::string(size) + std::string(data) + "\r\n";
  }

  // One connection: requests until the peer closes.
  void Serve(int fd) {
    std::string in;
    char buf[8192];
    for (;;) {
      size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return Close(fd);
        in.append(buf, static_cast<size_t>(n));
      }
      const std::string head = in.substr(0, head_end);
      size_t length = 0;
      if (auto p = head.find("Content-Length: "); p != std::string::npos) length = std::stoul(head.substr(p + 16));
      while (in.size() < head_end + 4 + length) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return Close(fd);
        in.append(buf, static_cast<size_t>(n));
      }
      const std::string body = in.substr(head_end + 4, length);
      in.erase(0, head_end + 4 + length);
      if (head.starts_with("GET /health")) {
        ++health_checks_;
        const std::string r = healthy_ ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                                       : "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown";
        if (!SendAll(fd, r)) return Close(fd);
        continue;
      }
      ++completions_;
      {
        std::lock_guard lock(mu_);
        last_body_ = body;
      }
      const Mode mode = mode_.load();
      if (mode == Mode::kHang) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(20), [&] { return stopping_; });
        lock.unlock();
        return Close(fd);
      }
      if (mode == Mode::kReset) return Reset(fd);
      if (mode == Mode::kFail) {
        const std::string err = R"j({"error":{"message":"the model crashed (test)"}})j";
        if (!SendAll(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(err.size()) + "\r\n\r\n" + err)) {
          return Close(fd);
        }
        continue;
      }
      if (mode == Mode::kResetMidStream) {
        Stream(fd, head.starts_with("POST /v1/chat/"), /*pieces=*/static_cast<int>(text_.size() / 14));
        return Reset(fd);
      }
      if (!Stream(fd, head.starts_with("POST /v1/chat/"))) return Close(fd);
    }
  }

  // Streams the answer; with `pieces` >= 0, stops after that many pieces (no end, no usage).
  bool Stream(int fd, bool chat, int pieces = -1) {
    if (!SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")) return false;
    auto event = [&](const Json& choice) {
      Json e = {{"id", "up-1"}, {"object", chat ? "chat.completion.chunk" : "text_completion"}, {"model", "up"},
                {"choices", Json::array({choice})}};
      return SendAll(fd, Chunk("data: " + e.dump() + "\n\n"));
    };
    if (chat && !event({{"index", 0}, {"delta", {{"role", "assistant"}}}, {"finish_reason", nullptr}})) return false;
    for (size_t i = 0; i < text_.size(); i += 7) {
      if (pieces >= 0 && static_cast<int>(i / 7) == pieces) return true;
      if (pause_.count() && i > 0) std::this_thread::sleep_for(pause_);
      const std::string piece = text_.substr(i, 7);
      const Json choice = chat ? Json{{"index", 0}, {"delta", {{"content", piece}}}, {"finish_reason", nullptr}}
                               : Json{{"index", 0}, {"text", piece}, {"finish_reason", nullptr}};
      if (!event(choice)) return false;
    }
    if (!event(chat ? Json{{"index", 0}, {"delta", Json::object()}, {"finish_reason", "stop"}}
                    : Json{{"index", 0}, {"text", ""}, {"finish_reason", "stop"}})) {
      return false;
    }
    const Json usage = {{"id", "up-1"}, {"choices", Json::array()},
                        {"usage", {{"prompt_tokens", 3}, {"completion_tokens", text_.size() / 4}}}};
    return SendAll(fd, Chunk("data: " + usage.dump() + "\n\n")) && SendAll(fd, Chunk("data: [DONE]\n\n")) &&
           SendAll(fd, "0\r\n\r\n");
  }

  // Closes with a TCP reset (SO_LINGER 0), as a crashed or killed server's kernel would.
  void Reset(int fd) {
    const linger hard{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    Close(fd);
  }

  void Close(int fd) {
    std::lock_guard lock(mu_);
    std::erase(clients_, fd);
    ::close(fd);
  }

  const std::string text_;
  const std::chrono::milliseconds pause_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<Mode> mode_{Mode::kStream};
  std::atomic<bool> healthy_{true};
  std::atomic<int> completions_{0}, health_checks_{0}, connections_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::string last_body_;
  std::vector<int> clients_;
  std::thread acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace rsf::gateway::testing
