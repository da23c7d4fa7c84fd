#include "rsf/guard/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "common/yaml_reader.h"
#include "rsf/guard/rules.h"
#include "rsf/guard/taxonomy.h"

namespace rsf::guard {

namespace internal {
extern const std::string_view kBuiltinRulesYaml;
}  // namespace internal

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kAllow: return "allow";
    case Action::kLog: return "log";
    case Action::kFlag: return "flag";
    case Action::kBlock: return "block";
  }
  return "block";
}

std::optional<Action> ParseAction(std::string_view name) {
  for (Action a : {Action::kAllow, Action::kLog, Action::kFlag, Action::kBlock}) {
    if (ActionName(a) == name) return a;
  }
  return std::nullopt;
}

const CategoryPolicy* GuardConfig::FindCategory(std::string_view id) const {
  for (const auto& c : categories) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

namespace {

// The guard's YAML: the generic reader plus actions and rules.
class Reader : public rsf::internal::YamlReader {
 public:
  using YamlReader::YamlReader;

  Action ActionOf(const YAML::Node& n) const {
    auto a = ParseAction(String(n, "action"));
    if (!a) Fail(n, fmt::format("'action' must be allow, log, flag or block, not '{}'", n.Scalar()));
    return *a;
  }

  Rule ReadRule(const YAML::Node& n) const {
    Fields(n, "a rule", {"id", "category", "pattern", "action"});
    Rule r;
    for (const char* f : {"id", "category", "pattern"}) {
      if (!n[f]) Fail(n, fmt::format("a rule needs '{}'", f));
    }
    r.id = String(n["id"], "id");
    r.category = String(n["category"], "category");
    r.pattern = String(n["pattern"], "pattern");
    if (r.id.empty() || r.pattern.empty()) Fail(n, "a rule's 'id' and 'pattern' must not be empty");
    if (n["action"]) r.action = ActionOf(n["action"]);
    r.where = Where(n);
    return r;
  }

  std::vector<Rule> ReadRules(const YAML::Node& n) const {
    if (!n.IsSequence()) Fail(n, "'rules' must be a list of rules");
    std::vector<Rule> out;
    std::set<std::string> ids;
    for (const auto& item : n) {
      out.push_back(ReadRule(item));
      if (!ids.insert(out.back().id).second) Fail(item, fmt::format("rule '{}' is defined twice", out.back().id));
    }
    return out;
  }
};

YAML::Node ParseYaml(std::string_view yaml, std::string_view source, Status* error) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    *error = InvalidArgumentError(fmt::format("{}:{}:{}: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
    return {};
  }
}

Status CheckRuleCategories(const GuardConfig& c) {
  for (const Rule& r : c.rules) {
    if (!c.FindCategory(r.category)) {
      return InvalidArgumentError(fmt::format("{}: rule '{}' names category '{}', which the configuration does not define",
                                              r.where, r.id, r.category));
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::vector<Rule>> ParseRules(std::string_view yaml, std::string_view source) {
  Status error = OkStatus();
  YAML::Node root = ParseYaml(yaml, source, &error);
  if (!error.ok()) return error;
  Reader reader(source);
  try {
    return reader.ReadRules(root);
  } catch (const Reader::Failure& f) {
    return f.status;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}: {}", source, e.what()));
  }
}

const std::vector<Rule>& BuiltinRules() {
  static const auto* rules = [] {
    auto parsed = ParseRules(internal::kBuiltinRulesYaml, "builtin-rules");
    // The built-in rules are tested; a failure here is a build defect, not user input.
    if (!parsed.ok()) std::abort();
    return new std::vector<Rule>(std::move(*parsed));
  }();
  return *rules;
}

GuardConfig DefaultGuardConfig() {
  GuardConfig c;
  for (const Category& cat : DefaultTaxonomy()) {
    CategoryPolicy p{cat.id, cat.name, cat.description, cat.aligned, true, Action::kBlock, std::nullopt};
    if (cat.id == "specialized_advice") p.action = Action::kFlag;
    c.categories.push_back(p);
  }
  c.rules = BuiltinRules();
  return c;
}

Result<GuardConfig> ParseGuardConfig(std::string_view yaml, std::string_view source) {
  Status error = OkStatus();
  YAML::Node root = ParseYaml(yaml, source, &error);
  if (!error.ok()) return error;
  GuardConfig c = DefaultGuardConfig();
  c.source = std::string(source);
  Reader r(source);
  try {
    if (!root.IsMap()) r.Fail(root, "a guard configuration must be a mapping");
    YAML::Node g = root["guard"] ? root["guard"] : root;
    if (root["guard"] && !g.IsMap()) r.Fail(g, "'guard' must be a mapping");
    r.Fields(g, "the guard configuration",
             {"model", "max_bytes", "unsafe", "categories", "default_rules", "rules", "escalation"});
    if (g["model"]) c.model = r.String(g["model"], "model");
    if (g["max_bytes"]) c.max_bytes = static_cast<size_t>(r.Int(g["max_bytes"], "max_bytes", 64, 64 << 20));
    if (const YAML::Node u = g["unsafe"]) {
      r.Fields(u, "'unsafe'", {"action", "threshold"});
      if (u["action"]) c.unsafe_action = r.ActionOf(u["action"]);
      if (u["threshold"]) c.unsafe_threshold = r.Number(u["threshold"], "threshold", 0, 1);
    }
    if (const YAML::Node cats = g["categories"]) {
      if (!cats.IsSequence()) r.Fail(cats, "'categories' must be a list");
      for (const auto& n : cats) {
        r.Fields(n, "a category", {"id", "name", "description", "enabled", "action", "threshold"});
        if (!n["id"]) r.Fail(n, "a category needs 'id'");
        const std::string id = r.String(n["id"], "id");
        CategoryPolicy* p = nullptr;
        for (auto& existing : c.categories) {
          if (existing.id == id) p = &existing;
        }
        if (!p) {
          if (!n["name"]) r.Fail(n, fmt::format("category '{}' is not in the default taxonomy, so it needs a 'name'", id));
          c.categories.push_back({id, "", "", "custom", true, Action::kBlock, std::nullopt});
          p = &c.categories.back();
        }
        if (n["name"]) p->name = r.String(n["name"], "name");
        if (n["description"]) p->description = r.String(n["description"], "description");
        if (n["enabled"]) p->enabled = r.Bool(n["enabled"], "enabled");
        if (n["action"]) p->action = r.ActionOf(n["action"]);
        if (n["threshold"]) p->threshold = r.Number(n["threshold"], "threshold", 0, 1);
      }
    }
    if (g["default_rules"] && !r.Bool(g["default_rules"], "default_rules")) c.rules.clear();
    if (g["rules"]) {
      for (Rule& rule : r.ReadRules(g["rules"])) {
        for (const Rule& existing : c.rules) {
          if (existing.id == rule.id) {
            return InvalidArgumentError(fmt::format("{}: rule '{}' is already a built-in rule (set default_rules: false "
                                                    "to replace the built-in rules)",
                                                    rule.where, rule.id));
          }
        }
        c.rules.push_back(std::move(rule));
      }
    }
    if (const YAML::Node e = g["escalation"]) {
      r.Fields(e, "'escalation'", {"enabled", "band", "max_in_flight", "per_minute", "max_queue", "timeout_ms"});
      if (e["enabled"]) c.escalation.enabled = r.Bool(e["enabled"], "enabled");
      if (const YAML::Node b = e["band"]) {
        if (!b.IsSequence() || b.size() != 2) r.Fail(b, "'band' must be [low, high]");
        c.escalation.low = r.Number(b[0], "band[0]", 0, 1);
        c.escalation.high = r.Number(b[1], "band[1]", 0, 1);
        if (c.escalation.low >= c.escalation.high) r.Fail(b, "'band' must be [low, high] with low < high");
      }
      if (e["max_in_flight"]) c.escalation.max_in_flight = r.Int(e["max_in_flight"], "max_in_flight", 1, 1024);
      if (e["per_minute"]) c.escalation.per_minute = r.Int(e["per_minute"], "per_minute", 0, 1000000);
      if (e["max_queue"]) c.escalation.max_queue = r.Int(e["max_queue"], "max_queue", 0, 1000000);
      if (e["timeout_ms"]) c.escalation.timeout_ms = r.Int(e["timeout_ms"], "timeout_ms", 1, 600000);
    }
  } catch (const Reader::Failure& f) {
    return f.status;
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}: {}", source, e.what()));
  }
  RSF_RETURN_IF_ERROR(CheckRuleCategories(c));
  return c;
}

Result<GuardConfig> LoadGuardConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("{}: cannot open the guard configuration", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseGuardConfig(ss.str(), path);
}

}  // namespace rsf::guard
