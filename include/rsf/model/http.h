// include/rsf/model/http.h
//
// The HTTP seam under the OpenAI-compatible client: one request, one response, with optional
// streaming of the body as it arrives. The real transport (Boost.Beast over TCP, TLS with the
// system's CA store and SNI for https) keeps idle keep-alive connections per host and reuses
// them; unit tests put a fake here.
//
// Thread safety: Send may be called from many threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "rsf/common/status.h"

namespace rsf::model {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // http://host[:port]/path or https://...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};  // for the whole exchange
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // the whole body (also when streamed)

  // The value of header `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

// Receives body bytes as they arrive. Returning false stops reading; the response then holds
// what arrived and the connection is not reused.
using BodyCallback = std::function<bool(std::string_view chunk)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // kInvalidArgument for a URL that is not http(s)://host[:port]/path; kUnavailable when the
  // host cannot be resolved or reached or the connection breaks; kDeadlineExceeded when the
  // exchange takes longer than request.timeout. Any HTTP status is a successful exchange.
  virtual Result<HttpResponse> Send(const HttpRequest& request,
                                    const BodyCallback* on_body = nullptr) = 0;
};

struct HttpTransportOptions {
  size_t max_idle_per_host = 256;  // idle keep-alive connections kept per host
  bool verify_tls = true;          // verify server certificates (https)
};

std::unique_ptr<HttpTransport> MakeHttpTransport(const HttpTransportOptions& options = {});

struct ParsedUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, at least "/"
};
Result<ParsedUrl> ParseUrl(std::string_view url);

}  // namespace rsf::model
