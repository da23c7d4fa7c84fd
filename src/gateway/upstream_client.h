// src/gateway/upstream_client.h — the gateway's asynchronous client for model upstreams
// (exchange.h, UpstreamCall), on Boost.Beast with C++20 coroutines. Included only by the two
// files that may see Asio: http_server.cc and upstream_client.cc.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/exchange.h"

namespace rsf::gateway::internal {

// Writes emitted chunks to the client and clears them; false when the client has gone.
using Flush = std::function<boost::asio::awaitable<bool>(std::vector<std::string>& chunks)>;

class UpstreamClient {
 public:
  explicit UpstreamClient(size_t max_idle_per_upstream = 256) : max_idle_(max_idle_per_upstream) {}

  // Runs `call` to its end (every choice) and returns the final response; what the call
  // emits on the way goes through `flush`.
  boost::asio::awaitable<HttpOut> Run(UpstreamCall& call, const Flush& flush);

  // Active health checks of `pool` until it is gone or the io_context stops.
  boost::asio::awaitable<void> HealthChecks(std::weak_ptr<UpstreamPool> pool);

 private:
  using Socket = boost::asio::ip::tcp::socket;

  boost::asio::awaitable<Status> Exchange(UpstreamCall& call, const Emit& emit, std::vector<std::string>& pending,
                                          const Flush& flush);
  boost::asio::awaitable<Status> Attempt(UpstreamCall& call, size_t upstream, const Emit& emit,
                                         std::vector<std::string>& pending, const Flush& flush, bool& accepted);
  boost::asio::awaitable<bool> Probe(const UpstreamPool& pool, size_t upstream);

  // An idle keep-alive connection to host:port, if one is kept.
  bool TakeIdle(const std::string& key, Socket& out);
  void PutIdle(const std::string& key, Socket socket);

  const size_t max_idle_;
  std::mutex mu_;
  std::map<std::string, std::vector<Socket>> idle_;
};

}  // namespace rsf::gateway::internal
