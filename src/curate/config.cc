// The pipeline's YAML configuration (docs/curate.md).
#include <fmt/format.h>

#include "common/yaml_reader.h"
#include "rsf/common/sha256.h"
#include "rsf/curate/pipeline.h"

namespace rsf::curate {
namespace {

std::string Resolve(std::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return JoinPath(base_dir, path);
}

void ReadQuality(const internal::YamlReader& r, const YAML::Node& n, PipelineConfig& c) {
  if (n.IsScalar()) {
    c.quality = r.Bool(n, "quality");
    return;
  }
  r.Fields(n, "quality",
           {"enabled", "min_words", "max_words", "min_mean_word_length", "max_mean_word_length", "max_symbol_word_ratio",
            "max_bullet_lines", "max_ellipsis_lines", "min_alpha_words", "min_stop_words", "max_dup_lines",
            "max_dup_line_chars", "min_line_punct", "max_short_lines", "disable", "enable"});
  QualityRules& q = c.quality_rules;
  if (n["enabled"]) c.quality = r.Bool(n["enabled"], "enabled");
  if (n["min_words"]) q.min_words = static_cast<int>(r.Int(n["min_words"], "min_words", 0, 1 << 30));
  if (n["max_words"]) q.max_words = static_cast<int>(r.Int(n["max_words"], "max_words", 1, 1 << 30));
  if (n["min_mean_word_length"]) q.min_mean_word_length = r.Number(n["min_mean_word_length"], "min_mean_word_length", 0, 1000);
  if (n["max_mean_word_length"]) q.max_mean_word_length = r.Number(n["max_mean_word_length"], "max_mean_word_length", 0, 1000);
  if (n["max_symbol_word_ratio"]) q.max_symbol_word_ratio = r.Number(n["max_symbol_word_ratio"], "max_symbol_word_ratio", 0, 1);
  if (n["max_bullet_lines"]) q.max_bullet_lines = r.Number(n["max_bullet_lines"], "max_bullet_lines", 0, 1);
  if (n["max_ellipsis_lines"]) q.max_ellipsis_lines = r.Number(n["max_ellipsis_lines"], "max_ellipsis_lines", 0, 1);
  if (n["min_alpha_words"]) q.min_alpha_words = r.Number(n["min_alpha_words"], "min_alpha_words", 0, 1);
  if (n["min_stop_words"]) q.min_stop_words = static_cast<int>(r.Int(n["min_stop_words"], "min_stop_words", 0, 100));
  if (n["max_dup_lines"]) q.max_dup_lines = r.Number(n["max_dup_lines"], "max_dup_lines", 0, 1);
  if (n["max_dup_line_chars"]) q.max_dup_line_chars = r.Number(n["max_dup_line_chars"], "max_dup_line_chars", 0, 1);
  if (n["min_line_punct"]) q.min_line_punct = r.Number(n["min_line_punct"], "min_line_punct", 0, 1);
  if (n["max_short_lines"]) q.max_short_lines = r.Number(n["max_short_lines"], "max_short_lines", 0, 1);
  const auto& names = QualityRuleNames();
  auto check = [&](const YAML::Node& list, std::string_view field) {
    std::vector<std::string> out = r.Strings(list, field);
    for (const auto& rule : out) {
      if (std::find(names.begin(), names.end(), rule) == names.end()) {
        std::string all;
        for (const auto& x : names) all += (all.empty() ? "" : ", ") + x;
        r.Fail(list, fmt::format("'{}': unknown quality rule '{}' (rules: {})", field, rule, all));
      }
    }
    return out;
  };
  if (n["disable"]) {
    for (const auto& rule : check(n["disable"], "disable")) q.disabled.insert(rule);
  }
  if (n["enable"]) {
    for (const auto& rule : check(n["enable"], "enable")) q.disabled.erase(rule);
  }
}

void ReadPii(const internal::YamlReader& r, const YAML::Node& n, PipelineConfig& c) {
  if (n.IsScalar()) {
    c.pii = r.Bool(n, "pii");
    return;
  }
  r.Fields(n, "pii", {"enabled", "email", "phone", "ip", "card", "national_id"});
  if (n["enabled"]) c.pii = r.Bool(n["enabled"], "enabled");
  for (size_t k = 0; k < kPiiKinds; ++k) {
    const std::string name(PiiKindName(static_cast<PiiKind>(k)));
    if (!n[name]) continue;
    auto a = ParsePiiAction(r.String(n[name], name));
    if (!a.ok()) r.Fail(n[name], fmt::format("pii '{}': {}", name, a.status().message()));
    c.pii_actions[k] = *a;
  }
}

void ReadNearDedup(const internal::YamlReader& r, const YAML::Node& n, PipelineConfig& c) {
  if (n.IsScalar()) {
    c.near_dedup = r.Bool(n, "near_dedup");
    return;
  }
  r.Fields(n, "near_dedup", {"enabled", "shingle", "bands", "rows", "threshold", "seed"});
  MinHashParams& p = c.minhash;
  if (n["enabled"]) c.near_dedup = r.Bool(n["enabled"], "enabled");
  if (n["shingle"]) p.shingle = static_cast<int>(r.Int(n["shingle"], "shingle", 1, 32));
  if (n["bands"]) p.bands = static_cast<int>(r.Int(n["bands"], "bands", 1, 1024));
  if (n["rows"]) p.rows = static_cast<int>(r.Int(n["rows"], "rows", 1, 64));
  if (n["threshold"]) p.threshold = r.Number(n["threshold"], "threshold", 0.001, 1);
  if (n["seed"]) p.seed = static_cast<uint64_t>(r.Int(n["seed"], "seed", 0, int64_t{1} << 53));
}

void ReadGuard(const internal::YamlReader& r, const YAML::Node& n, std::string_view base_dir, PipelineConfig& c) {
  if (n.IsScalar()) {
    c.guard = r.Bool(n, "guard");
    return;
  }
  r.Fields(n, "guard", {"enabled", "config", "remove_at"});
  if (n["enabled"]) c.guard = r.Bool(n["enabled"], "enabled");
  if (n["config"]) c.guard_config = Resolve(base_dir, r.String(n["config"], "config"));
  if (n["remove_at"]) {
    const std::string a = r.String(n["remove_at"], "remove_at");
    auto action = guard::ParseAction(a);
    if (!action || *action == guard::Action::kAllow) {
      r.Fail(n["remove_at"], fmt::format("'remove_at': '{}' is not one of log, flag, block", a));
    }
    c.guard_remove_at = *action;
  }
}

}  // namespace

Result<PipelineConfig> ParsePipelineConfig(std::string_view yaml, std::string_view source, std::string_view base_dir) {
  PipelineConfig c;
  c.source = std::string(source);
  c.sha256 = Sha256Hex(yaml);
  internal::YamlReader r(source);
  try {
    RSF_ASSIGN_OR_RETURN(YAML::Node root, rsf::internal::LoadYaml(yaml, source));
    r.Fields(root, "the curation pipeline",
             {"inputs", "text_field", "output", "write_removed", "on_error", "policy", "stages"});
    if (!root["inputs"]) r.Fail(root, "the pipeline needs 'inputs' (JSON Lines files: plain, .gz or .zst)");
    c.input_names = r.Strings(root["inputs"], "inputs");
    if (c.input_names.empty()) r.Fail(root["inputs"], "'inputs' must name at least one file");
    for (const auto& in : c.input_names) c.inputs.push_back(Resolve(base_dir, in));
    if (!root["output"]) r.Fail(root, "the pipeline needs 'output' (a directory)");
    c.output_dir = Resolve(base_dir, r.String(root["output"], "output"));
    if (root["text_field"]) c.text_field = r.String(root["text_field"], "text_field");
    if (c.text_field.empty()) r.Fail(root["text_field"], "'text_field' must not be empty");
    if (root["write_removed"]) c.write_removed = r.Bool(root["write_removed"], "write_removed");
    if (root["on_error"]) {
      const std::string e = r.String(root["on_error"], "on_error");
      if (e != "skip" && e != "stop") r.Fail(root["on_error"], "'on_error' must be skip or stop");
      c.stop_on_error = e == "stop";
    }
    if (root["policy"]) c.policy_file = Resolve(base_dir, r.String(root["policy"], "policy"));
    if (const YAML::Node s = root["stages"]) {
      r.Fields(s, "stages", {"quality", "guard", "pii", "exact_dedup", "near_dedup"});
      if (s["quality"]) ReadQuality(r, s["quality"], c);
      if (s["guard"]) ReadGuard(r, s["guard"], base_dir, c);
      if (s["near_dedup"]) ReadNearDedup(r, s["near_dedup"], c);
      if (s["pii"]) ReadPii(r, s["pii"], c);
      if (s["exact_dedup"]) c.exact_dedup = r.Bool(s["exact_dedup"], "exact_dedup");
    }
  } catch (const internal::YamlReader::Failure& f) {
    return f.status;
  }
  return c;
}

Result<PipelineConfig> LoadPipelineConfig(Env& env, const std::string& path) {
  RSF_ASSIGN_OR_RETURN(std::string text, env.ReadFile(path));
  return ParsePipelineConfig(text, path, Dirname(path));
}

}  // namespace rsf::curate
