#include "rsf/guard/evaluation.h"

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "rsf/common/encoding.h"
#include "rsf/guard/linear_model.h"

namespace rsf::guard {
namespace {

double Ratio(size_t a, size_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0; }

// Precision-recall points, one per distinct score, thinned to about 100 for plotting.
std::vector<std::pair<double, double>> PrCurve(std::vector<std::pair<double, int>> scored) {
  std::stable_sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first > b.first; });
  size_t positives = 0;
  for (auto& [s, y] : scored) positives += y;
  std::vector<std::pair<double, double>> points;
  if (positives == 0) return points;
  size_t tp = 0;
  for (size_t i = 0; i < scored.size(); ++i) {
    tp += scored[i].second;
    if (i + 1 < scored.size() && scored[i + 1].first == scored[i].first) continue;
    points.emplace_back(Ratio(tp, positives), Ratio(tp, i + 1));
  }
  if (points.size() <= 101) return points;
  std::vector<std::pair<double, double>> thin;
  for (size_t k = 0; k <= 100; ++k) thin.push_back(points[k * (points.size() - 1) / 100]);
  return thin;
}

std::string Svg(const std::vector<HeadMetrics>& heads) {
  static const char* kColors[] = {"#1b5e20", "#0d47a1", "#b71c1c", "#e65100", "#4a148c", "#006064", "#827717",
                                  "#3e2723", "#263238", "#880e4f"};
  const int w = 640, h = 420, left = 60, right = 180, top = 20, bottom = 50;
  const double pw = w - left - right, ph = h - top - bottom;
  auto x = [&](double r) { return left + r * pw; };
  auto y = [&](double p) { return top + (1 - p) * ph; };
  std::string s = fmt::format(
      "<svg role=\"img\" aria-label=\"Precision-recall curves of the guard model's heads\" viewBox=\"0 0 {0} {1}\" "
      "width=\"{0}\" height=\"{1}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"12\">",
      w, h);
  for (int k = 0; k <= 10; k += 2) {
    const double v = k / 10.0;
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#eee\"/>", x(v), top, y(0));
    s += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>", left, y(v), x(1));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.1f}</text>", x(v), y(0) + 16, v);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.1f}</text>", left - 6.0, y(v) + 4, v);
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">recall</text>", x(0.5), h - 10);
  s += fmt::format("<text x=\"14\" y=\"{:.1f}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1f})\">precision"
                   "</text>", y(0.5), y(0.5));
  for (size_t i = 0; i < heads.size(); ++i) {
    const auto& hm = heads[i];
    if (hm.pr_curve.empty()) continue;
    const char* color = kColors[i % 10];
    std::string pts;
    for (auto& [r, p] : hm.pr_curve) pts += fmt::format("{:.1f},{:.1f} ", x(r), y(p));
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" points=\"{}\"/>", color,
                     i == 0 ? 3 : 1.5, pts);
    const double ly = top + 16.0 * static_cast<double>(i) + 10;
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" stroke-width=\"3\"/>",
                     x(1) + 12, ly, x(1) + 30, color);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{} ({:.3f})</text>", x(1) + 34, ly + 4, hm.head, hm.auprc);
  }
  return s + "</svg>";
}

}  // namespace

double Confusion::Precision() const { return Ratio(tp, tp + fp); }
double Confusion::Recall() const { return Ratio(tp, tp + fn); }
double Confusion::F1() const {
  const double p = Precision(), r = Recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}
double Confusion::Fpr() const { return Ratio(fp, fp + tn); }

GuardEvalReport EvaluateGuard(const Guard& guard, const std::vector<LabeledText>& texts) {
  GuardEvalReport r;
  r.model_digest = guard.model_digest();
  r.config_source = guard.config().source;
  r.rule_engine = std::string(RuleEngineName(guard.rule_engine()));
  const auto& heads = guard.model().heads;
  std::vector<std::vector<std::pair<double, int>>> scored(heads.size());
  std::vector<double> thresholds(heads.size());
  std::map<std::string, CategoryMetrics> cats;
  std::map<std::string, SourceMetrics> sources;
  const auto start = std::chrono::steady_clock::now();
  for (const LabeledText& t : texts) {
    const Verdict v = guard.Classify(t.text);
    const bool flagged = v.action >= Action::kFlag;
    ++r.texts;
    r.unsafe += t.unsafe;
    Confusion& c = r.verdict;
    ++(t.unsafe ? (flagged ? c.tp : c.fn) : (flagged ? c.fp : c.tn));
    r.uncertain += v.uncertain;
    r.truncated += v.truncated;
    const bool by_rule = std::any_of(v.hits.begin(), v.hits.end(), [](auto& h) { return h.by.starts_with("rule:"); });
    if (by_rule) ++(t.unsafe ? r.rule_matched_unsafe : r.rule_matched_safe);
    const std::vector<int8_t> y = HeadLabels(t, heads);
    for (size_t h = 0; h < heads.size(); ++h) {
      if (y[h] >= 0) scored[h].emplace_back(v.scores[h].second, y[h]);
      if (h == 0) thresholds[h] = v.unsafe_threshold;
    }
    if (t.unsafe) {
      for (const auto& cat : t.categories) {
        CategoryMetrics& m = cats[cat];
        m.category = cat;
        ++m.positives;
        m.flagged += flagged;
        m.attributed += std::any_of(v.hits.begin(), v.hits.end(), [&](auto& hit) { return hit.category == cat; });
      }
    }
    const std::string src = t.source.empty() ? "(none)" : t.source;
    SourceMetrics& s = sources[src];
    s.source = src;
    ++s.texts;
    s.unsafe += t.unsafe;
    s.flagged += flagged;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t h = 0; h < heads.size(); ++h) {
    HeadMetrics m;
    m.head = heads[h];
    const CategoryPolicy* p = h ? guard.config().FindCategory(heads[h]) : nullptr;
    m.threshold = h == 0 ? (texts.empty() ? guard.model().thresholds[0] : thresholds[0])
                         : (p && p->threshold ? *p->threshold : guard.model().thresholds[h]);
    for (auto& [s, y] : scored[h]) {
      ++(y ? m.positives : m.negatives);
      const bool over = s >= m.threshold;
      ++(y ? (over ? m.at_threshold.tp : m.at_threshold.fn) : (over ? m.at_threshold.fp : m.at_threshold.tn));
    }
    m.auprc = AveragePrecision(scored[h]);
    m.pr_curve = PrCurve(scored[h]);
    r.heads.push_back(std::move(m));
  }
  for (auto& [k, m] : cats) r.categories.push_back(m);
  for (auto& [k, s] : sources) r.sources.push_back(s);
  return r;
}

Json GuardEvalToJson(const GuardEvalReport& r) {
  auto conf = [](const Confusion& c) {
    return Json{{"tp", c.tp}, {"fp", c.fp}, {"tn", c.tn}, {"fn", c.fn}, {"precision", c.Precision()},
                {"recall", c.Recall()}, {"f1", c.F1()}, {"fpr", c.Fpr()}};
  };
  Json heads = Json::array();
  for (const auto& h : r.heads) {
    Json curve = Json::array();
    for (auto& [rec, prec] : h.pr_curve) curve.push_back({rec, prec});
    heads.push_back({{"head", h.head}, {"positives", h.positives}, {"negatives", h.negatives}, {"auprc", h.auprc},
                     {"threshold", h.threshold}, {"at_threshold", conf(h.at_threshold)}, {"pr_curve", curve}});
  }
  Json cats = Json::array();
  for (const auto& c : r.categories) {
    cats.push_back({{"category", c.category}, {"positives", c.positives}, {"flagged", c.flagged},
                    {"attributed", c.attributed}});
  }
  Json sources = Json::array();
  for (const auto& s : r.sources) {
    sources.push_back({{"source", s.source}, {"texts", s.texts}, {"unsafe", s.unsafe}, {"flagged", s.flagged}});
  }
  return {{"format", "rsf-guard-eval/1"},
          {"data", r.data},
          {"data_digest", r.data_digest},
          {"model_digest", r.model_digest},
          {"config", r.config_source},
          {"rule_engine", r.rule_engine},
          {"texts", r.texts},
          {"unsafe", r.unsafe},
          {"verdict", conf(r.verdict)},
          {"heads", heads},
          {"categories", cats},
          {"sources", sources},
          {"rules", {{"matched_safe", r.rule_matched_safe}, {"matched_unsafe", r.rule_matched_unsafe}}},
          {"uncertain", r.uncertain},
          {"truncated", r.truncated},
          {"seconds", r.seconds}};
}

std::string GuardEvalMarkdown(const GuardEvalReport& r) {
  const Confusion& c = r.verdict;
  std::string out = fmt::format(
      "# Guard evaluation\n\ndata `{}` ({}) · model `{}` · configuration {} · rules by {} · {} texts ({} unsafe) "
      "in {:.2f} s\n\n## Verdicts (flag or block counts as flagged)\n\n"
      "| | labelled unsafe | labelled safe |\n|---|---:|---:|\n| flagged | {} | {} |\n| allowed | {} | {} |\n\n"
      "precision {:.4f} · recall {:.4f} · F1 {:.4f} · false-positive rate {:.4f} · uncertain (escalation band) {}\n\n",
      r.data, r.data_digest, r.model_digest, r.config_source, r.rule_engine, r.texts, r.unsafe, r.seconds, c.tp, c.fp,
      c.fn, c.tn, c.Precision(), c.Recall(), c.F1(), c.Fpr(), r.uncertain);
  out += "## Model heads\n\n| head | AUPRC | threshold | precision | recall | F1 | FPR | positives | negatives |\n"
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& h : r.heads) {
    const Confusion& m = h.at_threshold;
    out += fmt::format("| {} | {:.4f} | {:.3f} | {:.4f} | {:.4f} | {:.4f} | {:.4f} | {} | {} |\n", h.head, h.auprc,
                       h.threshold, m.Precision(), m.Recall(), m.F1(), m.Fpr(), h.positives, h.negatives);
  }
  out += "\n## Labelled categories\n\n| category | texts | flagged | attributed to it |\n|---|---:|---:|---:|\n";
  for (const auto& k : r.categories) {
    out += fmt::format("| {} | {} | {} ({:.1f}%) | {} ({:.1f}%) |\n", k.category, k.positives, k.flagged,
                       100 * Ratio(k.flagged, k.positives), k.attributed, 100 * Ratio(k.attributed, k.positives));
  }
  out += "\n## Sources\n\n| source | texts | labelled unsafe | flagged |\n|---|---:|---:|---:|\n";
  for (const auto& s : r.sources) out += fmt::format("| {} | {} | {} | {} |\n", s.source, s.texts, s.unsafe, s.flagged);
  out += fmt::format("\nRules matched {} unsafe and {} safe texts.\n", r.rule_matched_unsafe, r.rule_matched_safe);
  return out;
}

std::string GuardEvalHtml(const GuardEvalReport& r) {
  const Confusion& c = r.verdict;
  std::string out =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rsf guard evaluation</title>"
      "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}code{font-size:90%}</style></head><body>"
      "<h1>Guard evaluation</h1>";
  out += fmt::format("<p>data <code>{}</code> ({}) · model <code>{}</code> · configuration {} · rules by {} · {} texts "
                     "({} unsafe) in {:.2f} s</p>",
                     HtmlEscape(r.data), HtmlEscape(r.data_digest), HtmlEscape(r.model_digest),
                     HtmlEscape(r.config_source), HtmlEscape(r.rule_engine), r.texts, r.unsafe, r.seconds);
  out += fmt::format("<h2>Verdicts</h2><table><caption>Confusion matrix (flag or block counts as flagged)</caption>"
                     "<tr><th></th><th>labelled unsafe</th><th>labelled safe</th></tr>"
                     "<tr><th>flagged</th><td>{}</td><td>{}</td></tr><tr><th>allowed</th><td>{}</td><td>{}</td></tr>"
                     "</table><p>precision {:.4f} · recall {:.4f} · F1 {:.4f} · false-positive rate {:.4f}</p>",
                     c.tp, c.fp, c.fn, c.tn, c.Precision(), c.Recall(), c.F1(), c.Fpr());
  out += "<h2>Model heads</h2>" + Svg(r.heads);
  out += "<table><tr><th>head</th><th>AUPRC</th><th>threshold</th><th>precision</th><th>recall</th><th>F1</th>"
         "<th>FPR</th><th>positives</th><th>negatives</th></tr>";
  for (const auto& h : r.heads) {
    const Confusion& m = h.at_threshold;
    out += fmt::format("<tr><td>{}</td><td>{:.4f}</td><td>{:.3f}</td><td>{:.4f}</td><td>{:.4f}</td><td>{:.4f}</td>"
                       "<td>{:.4f}</td><td>{}</td><td>{}</td></tr>",
                       HtmlEscape(h.head), h.auprc, h.threshold, m.Precision(), m.Recall(), m.F1(), m.Fpr(),
                       h.positives, h.negatives);
  }
  out += "</table><h2>Labelled categories</h2><table><tr><th>category</th><th>texts</th><th>flagged</th>"
         "<th>attributed to it</th></tr>";
  for (const auto& k : r.categories) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", HtmlEscape(k.category), k.positives,
                       k.flagged, k.attributed);
  }
  out += "</table><h2>Sources</h2><table><tr><th>source</th><th>texts</th><th>labelled unsafe</th><th>flagged</th></tr>";
  for (const auto& s : r.sources) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", HtmlEscape(s.source), s.texts,
                       s.unsafe, s.flagged);
  }
  out += fmt::format("</table><p>Rules matched {} unsafe and {} safe texts.</p></body></html>\n", r.rule_matched_unsafe,
                     r.rule_matched_safe);
  return out;
}

}  // namespace rsf::guard
