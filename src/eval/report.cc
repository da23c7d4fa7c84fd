#include "rsf/eval/report.h"

#include <algorithm>

#include <fmt/format.h>

#include "rsf/common/encoding.h"

namespace rsf::eval {
namespace {

std::string Escape(std::string_view s) { return HtmlEscape(s); }

// A forest plot: one row per metric, the interval as a bar and the mean as a dot, on [0, 1]
// (or the metrics' own range when they leave it).
std::string ForestPlot(const RunSummary& s) {
  double lo = 0, hi = 1;
  for (const auto& m : s.metrics) {
    lo = std::min(lo, m.ci_low);
    hi = std::max(hi, m.ci_high);
  }
  const int left = 260, width = 720, row = 30, top = 10;
  const int height = top + row * static_cast<int>(s.metrics.size()) + 30;
  auto x = [&](double v) { return left + (width - left - 20) * (v - lo) / (hi - lo); };
  std::string svg = fmt::format(
      "<svg role=\"img\" aria-label=\"Metrics of suite {} with 95% intervals\" viewBox=\"0 0 {} {}\" width=\"{}\" "
      "height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" font-size=\"12\">",
      Escape(s.suite), width, height, width, height);
  const int axis_y = height - 22;
  svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>", left, axis_y, width - 20, axis_y);
  for (int i = 0; i <= 4; ++i) {
    const double v = lo + (hi - lo) * i / 4;
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#eee\"/>", x(v), top, axis_y);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{:.2g}</text>", x(v),
                       height - 6, v);
  }
  for (size_t i = 0; i < s.metrics.size(); ++i) {
    const auto& m = s.metrics[i];
    const double y = top + row * static_cast<double>(i) + row / 2.0;
    std::string name = m.name.substr(m.name.find('.') + 1);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\" fill=\"#222\">{}</text>", left - 8, y + 4,
                       Escape(name));
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#1f4e79\" "
                       "stroke-width=\"4\" stroke-linecap=\"round\" opacity=\"0.45\"><title>95% interval {:.3f} to "
                       "{:.3f} ({})</title></line>",
                       x(m.ci_low), y, x(m.ci_high), y, m.ci_low, m.ci_high, m.ci_method);
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"#1f4e79\"><title>{} = {:.3f} (n = {})</title>"
                       "</circle>",
                       x(m.mean), y, Escape(m.name), m.mean, m.n);
  }
  return svg + "</svg>";
}

}  // namespace

std::string RunMarkdown(const RunSummary& s) {
  std::string out = fmt::format("### {}  ({})\n\nmodel {} {} · {} of {} samples×epochs done", s.suite, s.run_dir,
                                s.model.name, s.model.digest.empty() ? "(no digest)" : s.model.digest, s.completed,
                                s.expected);
  if (s.errors) out += fmt::format(" · **{} failed**", s.errors);
  out += fmt::format(" · {} prompt + {} completion tokens", s.usage.prompt_tokens, s.usage.completion_tokens);
  if (s.cost > 0) out += fmt::format(" · cost {:.4f}", s.cost);
  out += "\n\n";
  if (!s.metrics.empty()) {
    out += "| metric | mean | 95% CI | n | MDE | interval |\n|---|---:|---|---:|---:|---|\n";
    for (const auto& m : s.metrics) {
      out += fmt::format("| {} | {:.4f} | [{:.4f}, {:.4f}] | {} | {:.4f} | {} |\n", m.name, m.mean, m.ci_low,
                         m.ci_high, m.n, m.mde, m.ci_method);
    }
  } else if (!s.complete) {
    out += "Incomplete: no metrics are reported until every sample is done. Failures:\n";
    for (const auto& e : s.error_examples) out += "- " + e + "\n";
  }
  return out + "\n";
}

std::string RunsHtml(const std::vector<RunSummary>& runs) {
  std::string out =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rsf evaluation runs</title>"
      "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}.bad{color:#b71c1c;font-weight:bold}code{font-size:90%}"
      "</style></head><body><h1>Evaluation runs</h1>";
  for (const auto& s : runs) {
    out += fmt::format("<h2>{}</h2><p>model <b>{}</b> <code>{}</code> · {} of {} samples×epochs done", Escape(s.suite),
                       Escape(s.model.name), Escape(s.model.digest.empty() ? "(no digest)" : s.model.digest),
                       s.completed, s.expected);
    if (s.errors) out += fmt::format(" · <span class=\"bad\">{} failed</span>", s.errors);
    out += fmt::format(" · {} prompt + {} completion tokens", s.usage.prompt_tokens, s.usage.completion_tokens);
    if (s.cost > 0) out += fmt::format(" · cost {:.4f}", s.cost);
    out += fmt::format("<br>suite <code>{}</code> · dataset <code>sha256:{}</code> · configuration <code>{}</code></p>",
                       Escape(s.suite_digest), Escape(s.dataset_sha256), Escape(s.config_hash));
    if (s.metrics.empty()) {
      out += "<p class=\"bad\">Incomplete: no metrics are reported until every sample is done.</p><ul>";
      for (const auto& e : s.error_examples) out += "<li>" + Escape(e) + "</li>";
      out += "</ul>";
      continue;
    }
    out += ForestPlot(s);
    out += "<table><tr><th>metric</th><th>mean</th><th>95% interval</th><th>n</th><th>MDE</th><th>method</th></tr>";
    for (const auto& m : s.metrics) {
      out += fmt::format("<tr><td>{}</td><td>{:.4f}</td><td>{:.4f} – {:.4f}</td><td>{}</td><td>{:.4f}</td><td>{}</td></tr>",
                         Escape(m.name), m.mean, m.ci_low, m.ci_high, m.n, m.mde, m.ci_method);
    }
    out += "</table>";
  }
  return out + "<p>MDE: the smallest true change this sample size detects (two-sided α = 0.05, power 0.8).</p>"
               "</body></html>\n";
}

}  // namespace rsf::eval
