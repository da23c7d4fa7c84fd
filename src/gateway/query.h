// src/gateway/query.h — reading the query string of an admin request's target.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rsf::gateway::internal {

// The value of `name` in the target's query string ("" when absent). Values are ids, types and
// times: no percent-decoding beyond what those need (%3A).
inline std::string QueryParam(std::string_view target, std::string_view name) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return "";
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string v(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      for (size_t at = v.find("%3A"); at != std::string::npos; at = v.find("%3A")) v.replace(at, 3, ":");
      return v;
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return "";
}

// A whole number parameter: nullopt when absent or not a number.
inline std::optional<uint64_t> QueryNumber(std::string_view target, std::string_view name) {
  const std::string v = QueryParam(target, name);
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

}  // namespace rsf::gateway::internal
