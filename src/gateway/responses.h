// src/gateway/responses.h — JSON responses and errors of the gateway, in the OpenAI shape:
// {"error": {"message", "type", "code"}}.
#pragma once

#include <string>
#include <string_view>

#include "gateway/exchange.h"
#include "rsf/common/json.h"
#include "rsf/common/status.h"

namespace rsf::gateway::internal {

// Messages may quote what the client sent, which need not be valid UTF-8: replace, never throw.
inline std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

inline HttpOut JsonOut(int status, const Json& body) { return HttpOut{status, "application/json", Dump(body) + "\n", {}}; }

inline HttpOut Error(int status, std::string_view type, std::string_view code, std::string_view message) {
  return JsonOut(status, Json{{"error", {{"message", message}, {"type", type}, {"code", code}}}});
}

inline HttpOut FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return Error(400, "invalid_request_error", "invalid_request", s.message());
    case StatusCode::kPermissionDenied: return Error(403, "permission_error", "not_allowed_for_tier", s.message());
    case StatusCode::kNotFound: return Error(404, "invalid_request_error", "model_not_found", s.message());
    case StatusCode::kFailedPrecondition: return Error(409, "invalid_request_error", "conflict", s.message());
    case StatusCode::kResourceExhausted: return Error(429, "rate_limit_error", "rate_limited", s.message());
    case StatusCode::kDeadlineExceeded: return Error(504, "server_error", "upstream_timeout", s.message());
    case StatusCode::kUnavailable: return Error(502, "server_error", "upstream_unavailable", s.message());
    default: return Error(500, "server_error", "internal", s.message());
  }
}

}  // namespace rsf::gateway::internal
