// src/gateway/exchange.h — what the HTTP layer (http_server.cc, the only file that sees
// Beast) and the filter chain (gateway.cc) hand each other.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rsf::gateway::internal {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpIn {
  std::string method;
  std::string target;         // path and query
  std::string authorization;  // the Authorization header
  std::string client;         // remote address
  std::string body;
};

struct HttpOut {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;  // e.g. Retry-After (names and values are the gateway's, never the client's)
};

// Receives one server-sent-events chunk ("data: ...\n\n"); false when the client has gone.
using Emit = std::function<bool(std::string_view chunk)>;

// Work that must leave the network thread: a backend call. Run() executes on a worker thread;
// for a stream it emits SSE chunks and returns the final status (the body is ignored once the
// stream has started); otherwise it returns the whole response.
struct Job {
  bool stream = false;
  Headers headers;  // sent with the stream's (or the response's) header
  std::function<HttpOut(const Emit& emit)> run;
};

// Either an immediate response or a job.
struct Routed {
  HttpOut response;
  std::shared_ptr<Job> job;
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual Routed Route(HttpIn& in) = 0;
  // Called when a request could not be read (413, 400, 408): counted, never passed on.
  virtual HttpOut Reject(int status, std::string_view message, std::string_view code) = 0;
};

// Serves `handler` on host:port until Stop. Defined in http_server.cc.
class HttpServer {
 public:
  struct Options {
    int io_threads = 1;
    int worker_threads = 4;
    size_t max_body_bytes = 1 << 20;
    int header_timeout_ms = 10000;
    int request_timeout_ms = 120000;
  };
  virtual ~HttpServer() = default;
  // Returns the bound port.
  virtual int Start(const std::string& host, int port, std::string* error) = 0;
  // Stops accepting, lets requests in flight finish for up to `drain` (streams included), then
  // closes every connection and joins the threads.
  virtual void Stop(std::chrono::milliseconds drain) = 0;
  // Requests being handled now.
  virtual int64_t InFlight() const = 0;
  static std::unique_ptr<HttpServer> Make(Handler& handler, const Options& options);
};

}  // namespace rsf::gateway::internal
