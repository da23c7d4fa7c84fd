// src/common/yaml_reader.h — reads yaml-cpp nodes for the configuration parsers, turning every
// mistake into "source:line:col: what was expected". Private to rsf's modules (it exposes
// yaml-cpp); a parser catches YamlReader::Failure at its entry point and returns the status.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "rsf/common/status.h"

namespace rsf::internal {

class YamlReader {
 public:
  explicit YamlReader(std::string_view source) : source_(source) {}

  struct Failure {
    Status status;
  };

  [[noreturn]] void Fail(const YAML::Node& n, const std::string& what) const {
    const YAML::Mark m = n.IsDefined() ? n.Mark() : YAML::Mark();
    if (m.line < 0) throw Failure{InvalidArgumentError(fmt::format("{}: {}", source_, what))};
    throw Failure{InvalidArgumentError(fmt::format("{}:{}:{}: {}", source_, m.line + 1, m.column + 1, what))};
  }
  std::string Where(const YAML::Node& n) const { return fmt::format("{}:{}", source_, n.Mark().line + 1); }
  const std::string& source() const { return source_; }

  void Fields(const YAML::Node& n, std::string_view what, const std::set<std::string>& allowed) const {
    if (!n.IsMap()) Fail(n, fmt::format("{} must be a mapping", what));
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.as<std::string>("");
      if (!allowed.contains(key)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Fail(it->first, fmt::format("unknown field '{}' in {} (expected one of: {})", key, what, list));
      }
    }
  }
  std::string String(const YAML::Node& n, std::string_view field) const {
    if (!n.IsScalar()) Fail(n, fmt::format("'{}' must be a string", field));
    return n.Scalar();
  }
  double Number(const YAML::Node& n, std::string_view field, double lo, double hi) const {
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !(v >= lo && v <= hi)) {
      Fail(n, fmt::format("'{}' must be a number in [{}, {}]", field, lo, hi));
    }
    return v;
  }
  int64_t Int(const YAML::Node& n, std::string_view field, int64_t lo, int64_t hi) const {
    int64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v) || v < lo || v > hi) {
      Fail(n, fmt::format("'{}' must be an integer in [{}, {}]", field, lo, hi));
    }
    return v;
  }
  bool Bool(const YAML::Node& n, std::string_view field) const {
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) Fail(n, fmt::format("'{}' must be true or false", field));
    return v;
  }
  std::vector<std::string> Strings(const YAML::Node& n, std::string_view field) const {
    if (!n.IsSequence()) Fail(n, fmt::format("'{}' must be a list of strings", field));
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(String(item, field));
    return out;
  }

 private:
  std::string source_;
};

// Parses a YAML document; a syntax error becomes kInvalidArgument "source:line:col: what".
inline Result<YAML::Node> LoadYaml(std::string_view yaml, std::string_view source) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

}  // namespace rsf::internal
