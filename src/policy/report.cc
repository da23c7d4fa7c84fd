#include "rsf/policy/report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "rsf/common/encoding.h"

namespace rsf::policy {
namespace {

std::string Num(std::optional<double> v) { return v ? fmt::format("{:.3g}", *v) : "—"; }

std::string Escape(std::string_view s) { return HtmlEscape(s); }

std::string StatusWords(ThresholdStatus s) {
  switch (s) {
    case ThresholdStatus::kBelow: return "below";
    case ThresholdStatus::kAlert: return "early warning";
    case ThresholdStatus::kCrossed: return "CROSSED";
    case ThresholdStatus::kCrossedMissingEvidence: return "CROSSED (evidence missing, fail closed)";
    case ThresholdStatus::kUnknownIgnored: return "unknown (ignored by policy)";
  }
  return "?";
}

const char* StatusColour(ThresholdStatus s) {
  switch (s) {
    case ThresholdStatus::kBelow: return "#2e7d32";
    case ThresholdStatus::kAlert: return "#b26a00";
    default: return "#b71c1c";
  }
}

// One horizontal chart: each margin's metric as a dot with its CI whisker; the bound of the
// condition (solid) and of the alert (dashed) as vertical lines.
std::string Chart(const ThresholdResult& t) {
  std::vector<const Margin*> rows;
  for (const auto& m : t.margins) rows.push_back(&m);
  if (rows.empty()) return "";
  double lo = INFINITY, hi = -INFINITY;
  auto widen = [&](std::optional<double> v) {
    if (v) {
      lo = std::min(lo, *v);
      hi = std::max(hi, *v);
    }
  };
  for (const Margin* m : rows) {
    widen(m->bound);
    widen(m->value);
    widen(m->ci_low);
    widen(m->ci_high);
  }
  for (const auto& m : t.alert_margins) widen(m.bound);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  double pad = (hi - lo) * 0.1;
  lo -= pad;
  hi += pad;
  const int width = 640, left = 230, right = 20, row_h = 34, top = 24;
  const int height = top + row_h * static_cast<int>(rows.size()) + 26;
  auto x = [&](double v) { return left + (v - lo) / (hi - lo) * (width - left - right); };
  std::string svg = fmt::format(
      "<svg role=\"img\" aria-label=\"Metrics of threshold {} against their bounds\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"12\">",
      Escape(t.id), width, height, width, height);
  svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>", left, height - 22,
                     width - right, height - 22);
  for (int i = 0; i <= 4; ++i) {
    double v = lo + (hi - lo) * i / 4;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{:.3g}</text>", x(v),
                       height - 6, v);
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const Margin& m = *rows[i];
    double y = top + row_h * static_cast<double>(i) + row_h / 2.0;
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" fill=\"#222\">{} {} {:.3g}</text>", left - 8,
                       y + 4, Escape(m.metric), Escape(m.op), m.bound);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#b71c1c\" "
                       "stroke-width=\"2\"><title>threshold {3} {4:.3g}</title></line>",
                       x(m.bound), y - 12, y + 12, Escape(m.op), m.bound);
    for (const auto& am : t.alert_margins) {
      if (am.metric.substr(0, am.metric.rfind('.')) != m.metric.substr(0, m.metric.rfind('.'))) continue;
      svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#b26a00\" "
                         "stroke-dasharray=\"4 3\" stroke-width=\"2\"><title>early warning {3} {4:.3g}</title></line>",
                         x(am.bound), y - 12, y + 12, Escape(am.op), am.bound);
    }
    if (m.ci_low && m.ci_high) {
      svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#1f4e79\" "
                         "stroke-width=\"3\"><title>95% interval {:.3g} to {:.3g}</title></line>",
                         x(*m.ci_low), y, x(*m.ci_high), y, *m.ci_low, *m.ci_high);
    }
    std::optional<double> point = m.mean ? m.mean : m.value;
    if (point) {
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"#1f4e79\"><title>estimate {:.3g}</title></circle>",
                         x(*point), y, *point);
    } else {
      svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" fill=\"#b71c1c\">no evidence</text>", left + 8, y + 4);
    }
  }
  return svg + "</svg>";
}

}  // namespace

std::string AssessmentMarkdown(const Policy& policy, const Assessment& a) {
  std::string md = fmt::format("# Assessment: {} under {} {}\n\n", a.model.empty() ? "model" : a.model,
                               policy.framework.name, policy.framework.version);
  md += fmt::format("- Model digest: `{}`\n- Evaluations generated: {}\n- Level reached: **{}**\n",
                    a.model_digest.empty() ? "not given" : a.model_digest,
                    a.evals_generated.empty() ? "not given" : a.evals_generated, a.level);
  md += fmt::format("- Decision: **{}**", OutcomeName(a.outcome));
  if (!a.tiers.empty()) {
    std::string tiers;
    for (const auto& t : a.tiers) tiers += (tiers.empty() ? "" : ", ") + t;
    md += " to tiers " + tiers;
  }
  md += "\n\n## Why\n\n";
  for (const auto& r : a.reasons) md += "- " + r + "\n";
  md += "\n## Domains\n\n| domain | level reached | crossed | early warnings |\n|---|---|---|---|\n";
  for (const auto& d : a.domains) {
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s.empty() ? std::string("—") : s;
    };
    md += fmt::format("| {}{} | {} | {} | {} |\n", d.name, d.watch ? " (watch)" : "", d.watch ? "—" : d.level,
                      join(d.crossed), join(d.alerts));
  }
  md += "\n## Thresholds\n\n| threshold | status | metric | bound | estimate | 95% interval | room before crossing |\n"
        "|---|---|---|---|---|---|---|\n";
  for (const auto& t : a.thresholds) {
    if (t.margins.empty()) {
      md += fmt::format("| {} | {} | — | — | — | — | — |\n", t.id, StatusWords(t.status));
    }
    for (const auto& m : t.margins) {
      md += fmt::format("| {} | {} | `{}` | {} {:.3g} | {} | {} | {} |\n", t.id, StatusWords(t.status), m.metric,
                        m.op, m.bound, Num(m.value),
                        m.ci_low && m.ci_high ? "[" + Num(m.ci_low) + ", " + Num(m.ci_high) + "]" : "—",
                        Num(m.distance));
    }
  }
  md += "\n## Required safeguards at level " + a.level + "\n\n| safeguard | standard | in place | evidence |\n|---|---|---|---|\n";
  for (const auto& s : a.safeguards) {
    md += fmt::format("| {} | {} | {} | {} |\n", s.name, StandardName(s.standard), s.in_place ? "yes" : "**NO**", s.evidence);
  }
  return md;
}

std::string AssessmentHtml(const Policy& policy, const Assessment& a) {
  std::string h = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  h += fmt::format("<title>Assessment: {} — {} {}</title>", Escape(a.model), Escape(policy.framework.name),
                   Escape(policy.framework.version));
  h += "<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#111;line-height:1.45}"
       "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
       ".decision{font-size:1.4em;padding:.6em 1em;border-radius:6px;background:#f3f3f3;display:inline-block}"
       "h3{margin-bottom:.2em}.status{font-weight:bold}</style></head><body>";
  h += fmt::format("<h1>Assessment of {} under {} {}</h1>", Escape(a.model.empty() ? "the model" : a.model),
                   Escape(policy.framework.name), Escape(policy.framework.version));
  h += fmt::format("<p>Model digest <code>{}</code>; evaluations generated {}; accountable officer: {}.</p>",
                   Escape(a.model_digest.empty() ? "not given" : a.model_digest),
                   Escape(a.evals_generated.empty() ? "not given" : a.evals_generated),
                   Escape(policy.framework.accountable_officer));
  std::string tiers;
  for (const auto& t : a.tiers) tiers += (tiers.empty() ? "" : ", ") + t;
  h += fmt::format("<p class=\"decision\">Decision: <strong>{}</strong>{} — level reached: <strong>{}</strong></p>",
                   OutcomeName(a.outcome), tiers.empty() ? "" : " to " + Escape(tiers), Escape(a.level));
  h += "<h2>Why</h2><ul>";
  for (const auto& r : a.reasons) h += "<li>" + Escape(r) + "</li>";
  h += "</ul><h2>Thresholds</h2>";
  for (const auto& t : a.thresholds) {
    h += fmt::format("<h3>{} <span class=\"status\" style=\"color:{}\">{}</span></h3>", Escape(t.id),
                     StatusColour(t.status), Escape(StatusWords(t.status)));
    if (const Threshold* pt = policy.FindThreshold(t.id)) {
      h += fmt::format("<p>{} Condition: <code>{}</code>{}</p>", Escape(pt->description),
                       Escape(pt->condition.ToString()),
                       pt->alert ? "; early warning: <code>" + Escape(pt->alert->ToString()) + "</code>" : "");
    }
    h += Chart(t);
  }
  h += "<h2>Required safeguards</h2><table><tr><th>safeguard</th><th>standard</th><th>in place</th><th>evidence</th></tr>";
  for (const auto& s : a.safeguards) {
    h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", Escape(s.name), StandardName(s.standard),
                     s.in_place ? "yes" : "<strong>no</strong>", Escape(s.evidence));
  }
  h += "</table><h2>Domains</h2><table><tr><th>domain</th><th>level</th><th>crossed</th><th>early warnings</th></tr>";
  for (const auto& d : a.domains) {
    std::string crossed, alerts;
    for (const auto& x : d.crossed) crossed += (crossed.empty() ? "" : ", ") + x;
    for (const auto& x : d.alerts) alerts += (alerts.empty() ? "" : ", ") + x;
    h += fmt::format("<tr><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", Escape(d.name), d.watch ? " (watch)" : "",
                     d.watch ? "—" : Escape(d.level), Escape(crossed), Escape(alerts));
  }
  return h + "</table></body></html>\n";
}

}  // namespace rsf::policy
