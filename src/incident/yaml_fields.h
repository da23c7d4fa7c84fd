// src/incident/yaml_fields.h — the field readers the incident module's YAML parsers share
// (the policy's incidents section, runbooks, drill scenarios): durations, kinds, severities,
// each failing with the node's file:line:column.
#pragma once

#include <chrono>

#include "common/yaml_reader.h"
#include "rsf/incident/incident.h"
#include "rsf/policy/policy.h"

namespace rsf::incident::internal {

// "90s", "10m", "72h", "15d" (positive).
inline std::chrono::milliseconds ReadDuration(const rsf::internal::YamlReader& r, const YAML::Node& n, std::string_view field) {
  const std::string text = r.String(n, field);
  auto d = policy::ParseDuration(text);
  if (!d.ok() || *d <= 0) r.Fail(n, fmt::format("'{}' must be a duration such as 5s, 10m, 72h or 15d (got '{}')", field, text));
  return std::chrono::milliseconds(*d * 1000);
}

inline Kind ReadKind(const rsf::internal::YamlReader& r, const YAML::Node& n, std::string_view field = "kind") {
  auto k = ParseKind(r.String(n, field));
  if (!k) r.Fail(n, fmt::format("'{}' must be one of {}", field, KindList()));
  return *k;
}

inline Severity ReadSeverity(const rsf::internal::YamlReader& r, const YAML::Node& n, std::string_view field = "severity") {
  auto s = ParseSeverity(r.String(n, field));
  if (!s) r.Fail(n, fmt::format("'{}' must be low, medium, high or critical", field));
  return *s;
}

}  // namespace rsf::incident::internal
