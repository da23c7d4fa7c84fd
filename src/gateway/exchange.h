// src/gateway/exchange.h — what the HTTP layer (http_server.cc, the only file that sees
// Beast) and the filter chain (gateway.cc) hand each other.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::gateway {
class UpstreamPool;
}

namespace rsf::gateway::internal {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpIn {
  std::string method;
  std::string target;         // path and query
  std::string authorization;  // the Authorization header
  std::string client;         // remote address
  std::string drill;          // the x-rsf-drill header: drill traffic (accepted in drill mode only)
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

// A call to a model's upstream that the HTTP layer makes itself, asynchronously, on the
// connection's strand (no worker thread): POST `body(model)` to `path` on an upstream the
// pool picks. A failure before any of the response body was accepted (no connection, a
// time-out, HTTP 5xx or 429) is reported to the pool and tried on another upstream, up to the
// route's `max_attempts`; a stale keep-alive connection is replaced without counting.
// Callbacks, in order, on the connection's strand:
//   on_body(bytes, emit)  each piece of a 2xx body as it arrives; false stops the exchange
//                         (what was emitted is still sent);
//   on_end(status, emit)  OK when the body ended; else kUnavailable (no upstream, refused,
//                         broken, 5xx), kDeadlineExceeded (a time-out), kInvalidArgument (the
//                         upstream's 4xx), kFailedPrecondition (on_body stopped it). Returns the response,
//                         or nullopt to make the call again (the next of n choices).
struct UpstreamCall {
  std::shared_ptr<UpstreamPool> pool;
  std::string path;  // e.g. "/v1/chat/completions"
  std::function<std::string(const std::string& model)> body;
  std::function<bool(std::string_view bytes, const Emit& emit)> on_body;
  std::function<std::optional<HttpOut>(const Status& status, const Emit& emit)> on_end;
};

// Work that must leave the request's first pass: a backend call. With `upstream` set, the
// HTTP layer makes the call itself; otherwise run() executes on a worker thread. For a stream,
// chunks are emitted and the final status returned (its body is ignored once the stream has
// started); otherwise the whole response is returned.
struct Job {
  bool stream = false;
  Headers headers;  // sent with the stream's (or the response's) header
  std::function<HttpOut(const Emit& emit)> run;
  std::shared_ptr<UpstreamCall> upstream;
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
  // Runs the pool's active health checks (when its route has a health path) for as long as
  // the pool lives and the server runs.
  virtual void Watch(std::shared_ptr<UpstreamPool> pool) = 0;
  static std::unique_ptr<HttpServer> Make(Handler& handler, const Options& options);
};

}  // namespace rsf::gateway::internal
