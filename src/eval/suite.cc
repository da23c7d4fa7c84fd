#include "rsf/eval/suite.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "rsf/common/sha256.h"

namespace rsf::eval {

const std::vector<std::string>& MetricsFor(TaskKind kind) {
  static const std::vector<std::string> kMc = {"accuracy", "matching_behavior", "invalid_rate"};
  static const std::vector<std::string> kRefusal = {"refusal_rate", "attack_success_rate",
                                                    "over_refusal_rate", "compliance_rate"};
  static const std::vector<std::string> kJudge = {"score", "pass_rate"};
  switch (kind) {
    case TaskKind::kMultipleChoice: return kMc;
    case TaskKind::kRefusal: return kRefusal;
    case TaskKind::kJudge: return kJudge;
  }
  return kMc;
}

std::string_view TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kMultipleChoice: return "multiple_choice";
    case TaskKind::kRefusal: return "refusal";
    case TaskKind::kJudge: return "judge";
  }
  return "?";
}

namespace {

struct Failure {
  Status status;
};

class SuiteParser {
 public:
  SuiteParser(const std::string& path, const std::map<std::string, std::string>& vars)
      : path_(path), vars_(vars) {}

  Suite Parse(const YAML::Node& root) {
    if (!root.IsMap()) Fail(root, "expected a mapping with suite, dataset and task");
    Keys(root, {"suite", "version", "description", "dataset", "task", "sampling", "epochs", "metrics"});
    Suite s;
    s.path = path_;
    s.name = Str(root, "suite", true);
    if (s.name.empty() || !std::all_of(s.name.begin(), s.name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        })) {
      Fail(root["suite"], "suite: expected a name of [a-z0-9_] (it prefixes metric names)");
    }
    s.version = Str(root, "version", false);
    s.description = Str(root, "description", false);

    YAML::Node d = Need(root, "dataset");
    Keys(d, {"path", "format", "sha256", "limit", "expect"});
    s.dataset.path = ResolvePath(d["path"], Str(d, "path", true));
    s.dataset.format = Str(d, "format", true);
    s.dataset.sha256 = Str(d, "sha256", false);
    if (!s.dataset.sha256.empty() &&
        (s.dataset.sha256.size() != 64 || s.dataset.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)) {
      Fail(d["sha256"], "dataset.sha256: expected 64 lower-case hex digits");
    }
    s.dataset.limit = Int(d, "limit", 0, 0, 1LL << 40);
    s.dataset.expect = ExpectOf(d, "expect");

    YAML::Node t = Need(root, "task");
    Keys(t, {"kind", "method", "system", "template", "judge"});
    std::string kind = Str(t, "kind", true);
    if (kind == "multiple_choice") {
      s.kind = TaskKind::kMultipleChoice;
    } else if (kind == "refusal") {
      s.kind = TaskKind::kRefusal;
    } else if (kind == "judge") {
      s.kind = TaskKind::kJudge;
    } else {
      Fail(t["kind"], fmt::format("task.kind: '{}' is not multiple_choice, refusal or judge", kind));
    }
    std::string method = Str(t, "method", false);
    if (method.empty() || method == "parse") {
      s.method = McMethod::kParse;
    } else if (method == "logprobs") {
      s.method = McMethod::kLogprobs;
    } else {
      Fail(t["method"], fmt::format("task.method: '{}' is not parse or logprobs", method));
    }
    if (!method.empty() && s.kind != TaskKind::kMultipleChoice) {
      Fail(t["method"], "task.method: only multiple_choice tasks have a method");
    }
    s.system = Str(t, "system", false);
    s.prompt_template = Str(t, "template", false);
    if (YAML::Node j = t["judge"]) {
      Keys(j, {"rubric", "pass_score"});
      s.judge.rubric = Str(j, "rubric", true);
      s.judge.pass_score = Num(j, "pass_score", 0.5, 0, 1);
    }
    if (s.kind == TaskKind::kJudge && s.judge.rubric.empty()) {
      Fail(t, "task.judge.rubric: a judge task needs a rubric");
    }
    const bool mc_format = s.dataset.format == "mcq" || s.dataset.format == "anthropic_behavior";
    if ((s.kind == TaskKind::kMultipleChoice) != mc_format) {
      Fail(t["kind"], fmt::format("task.kind {} does not fit dataset format {}", kind, s.dataset.format));
    }

    s.sampling.max_tokens = s.kind == TaskKind::kMultipleChoice ? 16 : 256;
    if (YAML::Node sp = root["sampling"]) {
      Keys(sp, {"temperature", "top_p", "max_tokens", "seed"});
      s.sampling.temperature = Num(sp, "temperature", 0, 0, 2);
      s.sampling.top_p = Num(sp, "top_p", 1, 0, 1);
      s.sampling.max_tokens = static_cast<int>(Int(sp, "max_tokens", s.sampling.max_tokens, 1, 1 << 20));
      if (sp["seed"]) s.sampling.seed = static_cast<uint64_t>(Int(sp, "seed", 0, 0, INT64_MAX));
    }
    s.epochs = static_cast<int>(Int(root, "epochs", 1, 1, 1000));
    if (YAML::Node m = root["metrics"]) {
      if (!m.IsSequence() || m.size() == 0) Fail(m, "metrics: expected a non-empty list");
      const auto& allowed = MetricsFor(s.kind);
      for (const auto& item : m) {
        if (!item.IsScalar()) Fail(item, "metrics: expected metric names");
        std::string name = item.as<std::string>();
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
          std::string list;
          for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
          Fail(item, fmt::format("metrics: '{}' is not a {} metric (expected one of {})", name, kind, list));
        }
        s.metrics.push_back(name);
      }
    } else {
      s.metrics = {MetricsFor(s.kind)[0]};
    }
    return s;
  }

 private:
  [[noreturn]] void Fail(const YAML::Node& n, const std::string& what) {
    const YAML::Mark m = n.IsDefined() ? n.Mark() : YAML::Mark();
    throw Failure{InvalidArgumentError(fmt::format("{}:{}:{}: {}", path_, m.line + 1, m.column + 1, what))};
  }

  void Keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) {
    if (!map.IsMap()) Fail(map, "expected a mapping");
    for (const auto& kv : map) {
      std::string k = kv.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        Fail(kv.first, fmt::format("unknown key '{}' (expected one of {})", k, list));
      }
    }
  }

  YAML::Node Need(const YAML::Node& map, const char* key) {
    YAML::Node n = map[key];
    if (!n) Fail(map, fmt::format("missing '{}'", key));
    return n;
  }

  std::string Str(const YAML::Node& map, const char* key, bool required) {
    YAML::Node n = map[key];
    if (!n) {
      if (required) Fail(map, fmt::format("missing '{}'", key));
      return "";
    }
    if (!n.IsScalar()) Fail(n, fmt::format("{}: expected a string", key));
    return n.as<std::string>();
  }

  double Num(const YAML::Node& map, const char* key, double def, double lo, double hi) {
    YAML::Node n = map[key];
    if (!n) return def;
    double v;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v)) Fail(n, fmt::format("{}: expected a number", key));
    if (v < lo || v > hi) Fail(n, fmt::format("{}: expected a number from {} to {}", key, lo, hi));
    return v;
  }

  int64_t Int(const YAML::Node& map, const char* key, int64_t def, int64_t lo, int64_t hi) {
    YAML::Node n = map[key];
    if (!n) return def;
    int64_t v;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v)) Fail(n, fmt::format("{}: expected an integer", key));
    if (v < lo || v > hi) Fail(n, fmt::format("{}: expected an integer from {} to {}", key, lo, hi));
    return v;
  }

  Expect ExpectOf(const YAML::Node& map, const char* key) {
    std::string e = Str(map, key, false);
    if (e.empty()) return Expect::kNone;
    if (e == "refuse") return Expect::kRefuse;
    if (e == "comply") return Expect::kComply;
    Fail(map[key], fmt::format("{}: '{}' is not refuse or comply", key, e));
  }

  std::string ResolvePath(const YAML::Node& node, std::string p) {
    size_t at;
    while ((at = p.find("${")) != std::string::npos) {
      size_t end = p.find('}', at);
      if (end == std::string::npos) Fail(node, "dataset.path: unterminated ${");
      std::string name = p.substr(at + 2, end - at - 2);
      auto it = vars_.find(name);
      if (it == vars_.end()) Fail(node, fmt::format("dataset.path: variable ${{{}}} is not set", name));
      p.replace(at, end - at + 1, it->second);
    }
    if (!p.empty() && p[0] != '/') {
      size_t slash = path_.rfind('/');
      if (slash != std::string::npos) p = path_.substr(0, slash + 1) + p;
    }
    return p;
  }

  std::string path_;
  const std::map<std::string, std::string>& vars_;
};

}  // namespace

Result<Suite> ParseSuite(std::string_view yaml, const std::string& path,
                         const std::map<std::string, std::string>& vars) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  try {
    SuiteParser parser(path, vars);
    Suite s = parser.Parse(root);
    s.digest = "sha256:" + Sha256Hex(yaml);
    return s;
  } catch (const Failure& f) {
    return f.status;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
}

Result<Suite> LoadSuite(Env& env, const std::string& path, const std::map<std::string, std::string>& vars) {
  if (!env.FileExists(path)) return NotFoundError(fmt::format("{}: suite file not found", path));
  RSF_ASSIGN_OR_RETURN(std::string yaml, env.ReadFile(path));
  return ParseSuite(yaml, path, vars);
}

}  // namespace rsf::eval
