#include "rsf/guard/guard.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "rsf/guard/features.h"
#include "rsf/guard/normalize.h"

namespace rsf::guard {

Json VerdictToJson(const Verdict& v) {
  Json hits = Json::array();
  for (const auto& h : v.hits) {
    hits.push_back({{"category", h.category}, {"probability", h.probability}, {"by", h.by},
                    {"action", ActionName(h.action)}});
  }
  Json scores = Json::object();
  for (const auto& [head, p] : v.scores) scores[head] = p;
  Json j = {{"action", ActionName(v.action)}, {"unsafe", v.unsafe}, {"unsafe_threshold", v.unsafe_threshold},
            {"hits", hits}, {"scores", scores}, {"uncertain", v.uncertain}, {"bytes", v.bytes},
            {"truncated", v.truncated}, {"invalid_utf8", v.invalid_utf8}, {"decoded_payloads", v.decoded_payloads}};
  if (!v.judge.empty()) j["judge"] = v.judge;
  return j;
}

Result<LoadedModel> LoadGuardModel(const std::string& spec) {
  std::string bytes;
  if (spec == "builtin") {
    bytes.assign(BuiltinModelBytes());
  } else {
    std::ifstream in(spec, std::ios::binary);
    if (!in) return NotFoundError(fmt::format("{}: cannot open the guard model", spec));
    std::stringstream ss;
    ss << in.rdbuf();
    bytes = ss.str();
  }
  RSF_ASSIGN_OR_RETURN(LinearModel m, ParseModel(bytes, spec));
  return LoadedModel{std::move(m), "sha256:" + Sha256Hex(bytes), spec};
}

Result<std::unique_ptr<Guard>> Guard::Create(GuardConfig config, LoadedModel model, RuleEngine engine) {
  auto g = std::unique_ptr<Guard>(new Guard());
  g->config_ = std::move(config);
  g->model_ = std::move(model);
  const LinearModel& m = g->model_.model;
  if (m.heads.empty() || m.heads[0] != "unsafe") {
    return InvalidArgumentError(fmt::format("{}: the guard model's first head must be 'unsafe'", g->model_.source));
  }
  for (size_t h = 0; h < m.heads.size(); ++h) {
    const CategoryPolicy* p = h == 0 ? nullptr : g->config_.FindCategory(m.heads[h]);
    if (h > 0 && !p) {
      return InvalidArgumentError(fmt::format("{}: model head '{}' is not a category of the guard configuration ({})",
                                              g->model_.source, m.heads[h], g->config_.source));
    }
    g->head_policy_.push_back(p);
    double t = m.thresholds[h];
    if (h == 0 && g->config_.unsafe_threshold) t = *g->config_.unsafe_threshold;
    if (p && p->threshold) t = *p->threshold;
    g->head_threshold_.push_back(t);
  }
  for (const Rule& r : g->config_.rules) {
    const CategoryPolicy* p = g->config_.FindCategory(r.category);
    if (!p) {
      return InvalidArgumentError(fmt::format("{}: rule '{}' names category '{}', which the configuration does not define",
                                              r.where, r.id, r.category));
    }
    g->rule_policy_.push_back(p);
  }
  RSF_ASSIGN_OR_RETURN(g->rules_, RuleSet::Compile(g->config_.rules, engine));
  return g;
}

Result<std::unique_ptr<Guard>> Guard::Load(GuardConfig config) {
  RSF_ASSIGN_OR_RETURN(LoadedModel model, LoadGuardModel(config.model));
  return Create(std::move(config), std::move(model));
}

Verdict Guard::Classify(std::string_view text) const {
  Verdict v;
  v.bytes = text.size();
  const Normalized n = Normalize(text, {.max_bytes = config_.max_bytes});
  v.truncated = n.truncated;
  v.invalid_utf8 = n.invalid_utf8;
  v.decoded_payloads = n.decoded_payloads;

  // Layer 1: rules.
  bool rule_blocked = false;
  for (size_t i : rules_->Match(n.text)) {
    const Rule& r = config_.rules[i];
    const CategoryPolicy* p = rule_policy_[i];
    if (!p->enabled) continue;
    const Action a = r.action.value_or(p->action);
    rule_blocked = rule_blocked || a == Action::kBlock;
    v.hits.push_back({r.category, 1.0, "rule:" + r.id, a});
  }

  // Layer 2: the model.
  const LinearModel& m = model_.model;
  double p_buf[LinearModel::kMaxHeads];
  const std::span<double> p(p_buf, m.heads.size());
  m.ScoreText(n.text, p);
  v.scores.reserve(p.size());
  for (size_t h = 0; h < p.size(); ++h) v.scores.emplace_back(m.heads[h], p[h]);
  v.unsafe = p[0];
  v.unsafe_threshold = head_threshold_[0];
  if (v.unsafe >= head_threshold_[0]) {
    // Attribute: heads over their thresholds; else the strongest head if more likely than not.
    std::vector<size_t> over;
    size_t best = 0;
    for (size_t h = 1; h < p.size(); ++h) {
      if (p[h] >= head_threshold_[h]) over.push_back(h);
      if (best == 0 || p[h] > p[best]) best = h;
    }
    if (over.empty() && best != 0 && p[best] >= 0.5) over.push_back(best);
    if (over.empty()) {
      v.hits.push_back({"unsafe", v.unsafe, "model", config_.unsafe_action});
    } else {
      for (size_t h : over) {
        if (head_policy_[h]->enabled) v.hits.push_back({m.heads[h], p[h], "model", head_policy_[h]->action});
      }
    }
  }
  const auto& esc = config_.escalation;
  v.uncertain = esc.enabled && !rule_blocked && v.unsafe >= esc.low && v.unsafe < esc.high;

  std::stable_sort(v.hits.begin(), v.hits.end(), [](const CategoryHit& a, const CategoryHit& b) {
    return a.action != b.action ? a.action > b.action : a.probability > b.probability;
  });
  for (const auto& h : v.hits) v.action = std::max(v.action, h.action);
  return v;
}

}  // namespace rsf::guard
