#include "rsf/policy/risks.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace rsf::policy {
namespace {

std::string Where(std::string_view file, const YAML::Node& n) {
  return fmt::format("{}:{}:{}", file, n.Mark().line + 1, n.Mark().column + 1);
}

Result<std::string> Text(const YAML::Node& map, const char* key, std::string_view file, bool required) {
  YAML::Node n = map[key];
  if (!n) {
    if (required) return InvalidArgumentError(fmt::format("{}: missing field '{}'", Where(file, map), key));
    return std::string();
  }
  if (!n.IsScalar()) return InvalidArgumentError(fmt::format("{}: field '{}': expected a string", Where(file, n), key));
  return n.Scalar();
}

Result<double> Number(const YAML::Node& map, const char* key, std::string_view file, double lo, double hi) {
  YAML::Node n = map[key];
  if (!n) return InvalidArgumentError(fmt::format("{}: missing field '{}'", Where(file, map), key));
  double v = 0;
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (!n.IsScalar() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi) {
    return InvalidArgumentError(fmt::format("{}: field '{}': expected a number from {:g} to {:g}", Where(file, n), key, lo, hi));
  }
  return v;
}

// Quantile by linear interpolation between order statistics (type 7).
double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

Spread SpreadOf(const std::vector<double>& v) {
  if (v.empty()) return {};
  return {Quantile(v, 0.5), Quantile(v, 0.25), Quantile(v, 0.75)};
}

std::string Esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

}  // namespace

Result<RiskRegister> LoadRiskRegister(std::string_view yaml, std::string_view file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!root.IsMap() || !root["rsf_risks"] || root["rsf_risks"].Scalar() != "1") {
    return InvalidArgumentError(std::string(file) + ":1:1: expected 'rsf_risks: 1'");
  }
  RiskRegister reg;
  std::set<std::string> ids;
  YAML::Node risks = root["risks"];
  if (!risks || !risks.IsSequence()) return InvalidArgumentError(std::string(file) + ": 'risks' must be a list");
  for (const auto& r : risks) {
    RiskRegister::Risk risk;
    RSF_ASSIGN_OR_RETURN(risk.id, Text(r, "id", file, true));
    RSF_ASSIGN_OR_RETURN(risk.title, Text(r, "title", file, true));
    RSF_ASSIGN_OR_RETURN(risk.domain, Text(r, "domain", file, false));
    RSF_ASSIGN_OR_RETURN(risk.owner, Text(r, "owner", file, true));
    if (!ids.insert(risk.id).second) {
      return InvalidArgumentError(fmt::format("{}: duplicate risk id '{}'", Where(file, r), risk.id));
    }
    reg.risks.push_back(risk);
  }
  YAML::Node rounds = root["rounds"];
  if (!rounds || !rounds.IsSequence() || rounds.size() == 0) {
    return InvalidArgumentError(std::string(file) + ": 'rounds' must be a non-empty list of Delphi rounds");
  }
  for (const auto& round : rounds) {
    std::vector<RiskRating> ratings;
    std::set<std::pair<std::string, std::string>> seen;
    YAML::Node rs = round["ratings"];
    if (!rs || !rs.IsSequence()) return InvalidArgumentError(Where(file, round) + ": a round needs a list of 'ratings'");
    for (const auto& x : rs) {
      RiskRating rating;
      RSF_ASSIGN_OR_RETURN(rating.expert, Text(x, "expert", file, true));
      RSF_ASSIGN_OR_RETURN(rating.risk, Text(x, "risk", file, true));
      if (!ids.count(rating.risk)) {
        return InvalidArgumentError(fmt::format("{}: unknown risk '{}'", Where(file, x["risk"]), rating.risk));
      }
      if (!seen.insert({rating.expert, rating.risk}).second) {
        return InvalidArgumentError(fmt::format("{}: expert '{}' rates '{}' twice in this round", Where(file, x),
                                                rating.expert, rating.risk));
      }
      RSF_ASSIGN_OR_RETURN(rating.probability, Number(x, "probability", file, 0, 1));
      RSF_ASSIGN_OR_RETURN(rating.severity, Number(x, "severity", file, 1, 5));
      RSF_ASSIGN_OR_RETURN(rating.vulnerability, Number(x, "vulnerability", file, 1, 5));
      ratings.push_back(rating);
    }
    reg.rounds.push_back(std::move(ratings));
  }
  return reg;
}

std::vector<RiskSummary> AggregateRisks(const RiskRegister& reg) {
  std::vector<RiskSummary> out;
  for (const auto& risk : reg.risks) {
    RiskSummary s{risk.id, risk.title, risk.owner, {}, {}, {}, {}, false, 0};
    for (const auto& round : reg.rounds) {
      std::vector<double> p, sv, v;
      for (const auto& r : round) {
        if (r.risk != risk.id) continue;
        p.push_back(r.probability);
        sv.push_back(r.severity);
        v.push_back(r.vulnerability);
      }
      s.probability.push_back(SpreadOf(p));
      s.severity.push_back(SpreadOf(sv));
      s.vulnerability.push_back(SpreadOf(v));
      s.raters.push_back(static_cast<int>(p.size()));
    }
    // Converged: the final spread is narrow, or at most half the first round's.
    auto narrowed = [](const std::vector<Spread>& sp, double narrow) {
      double first = sp.front().iqr(), last = sp.back().iqr();
      return last <= narrow + 1e-9 || (sp.size() > 1 && last <= 0.5 * first + 1e-9);
    };
    s.converged = s.raters.back() > 0 && narrowed(s.probability, 0.05) && narrowed(s.severity, 1.0);
    s.score = s.probability.back().median * s.severity.back().median;
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const RiskSummary& a, const RiskSummary& b) { return a.score > b.score; });
  return out;
}

Json RiskSummariesToJson(const std::vector<RiskSummary>& summaries) {
  auto spreads = [](const std::vector<Spread>& v) {
    Json a = Json::array();
    for (const auto& s : v) a.push_back({{"median", s.median}, {"q1", s.q1}, {"q3", s.q3}});
    return a;
  };
  Json out = Json::array();
  for (const auto& s : summaries) {
    out.push_back({{"id", s.id}, {"title", s.title}, {"owner", s.owner}, {"raters", s.raters},
                   {"probability", spreads(s.probability)}, {"severity", spreads(s.severity)},
                   {"vulnerability", spreads(s.vulnerability)}, {"converged", s.converged}, {"score", s.score}});
  }
  return {{"format", "rsf-risks/1"}, {"risks", out}};
}

std::string RiskMarkdown(const std::vector<RiskSummary>& summaries) {
  std::string md = "# Risk register\n\nFinal Delphi round: medians with interquartile ranges; risks by probability × severity.\n\n"
                   "| risk | owner | probability | severity | vulnerability | raters | converged |\n|---|---|---|---|---|---|---|\n";
  for (const auto& s : summaries) {
    auto f = [](const Spread& x, const char* fmt_str) {
      return fmt::format(fmt::runtime(fmt_str), x.median, x.q1, x.q3);
    };
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", s.title, s.owner,
                      f(s.probability.back(), "{:.3g} [{:.3g}–{:.3g}]"), f(s.severity.back(), "{:.2g} [{:.2g}–{:.2g}]"),
                      f(s.vulnerability.back(), "{:.2g} [{:.2g}–{:.2g}]"), s.raters.back(),
                      s.converged ? "yes" : fmt::format("no (probability IQR {:.3g} → {:.3g})", s.probability.front().iqr(),
                                                        s.probability.back().iqr()));
  }
  return md;
}

std::string RiskHtml(const std::vector<RiskSummary>& summaries) {
  const int w = 640, h = 420, left = 60, bottom = 50, top = 20, right = 20;
  // Probability on a log scale from 1e-4 to 1; severity 1..5.
  auto x = [&](double p) {
    double lp = std::log10(std::max(p, 1e-4));
    return left + (lp + 4) / 4 * (w - left - right);
  };
  auto y = [&](double s) { return top + (5 - s) / 4 * (h - top - bottom); };
  std::string svg = fmt::format("<svg role=\"img\" aria-label=\"Likelihood by severity of each risk\" viewBox=\"0 0 {0} {1}\" "
                                "width=\"{0}\" height=\"{1}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" "
                                "font-size=\"12\">", w, h);
  for (int i = 0; i <= 4; ++i) {
    double p = std::pow(10.0, i - 4);
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                       "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:g}</text>", x(p), top, h - bottom, h - bottom + 16, p);
  }
  for (int s = 1; s <= 5; ++s) {
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>", left, y(s), w - right, left - 6, y(s) + 4, s);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">probability (log scale)</text>", (left + w - right) / 2, h - 8);
  svg += fmt::format("<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">severity</text>", h / 2, h / 2);
  int index = 0;
  for (const auto& s : summaries) {
    // Alternate labels above and below their point so that neighbours stay legible.
    double label_dy = (index++ % 2 == 0) ? -8 : 18;
    const Spread& p = s.probability.back();
    const Spread& sv = s.severity.back();
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#1f4e79\" fill-opacity=\"0.15\" "
                       "stroke=\"#1f4e79\"/>", x(p.q1), y(sv.q3), std::max(1.0, x(p.q3) - x(p.q1)), std::max(1.0, y(sv.q1) - y(sv.q3)));
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"#1f4e79\"><title>{}: probability {:.3g}, severity {:.2g}</title></circle>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", x(p.median), y(sv.median), Esc(s.title), p.median, sv.median,
                       x(p.median) + 8, y(sv.median) + label_dy, Esc(s.id));
  }
  svg += "</svg>";
  std::string table = "<table><tr><th>risk</th><th>owner</th><th>probability</th><th>severity</th><th>converged</th></tr>";
  for (const auto& s : summaries) {
    table += fmt::format("<tr><td>{}</td><td>{}</td><td>{:.3g}</td><td>{:.2g}</td><td>{}</td></tr>", Esc(s.title), Esc(s.owner),
                         s.probability.back().median, s.severity.back().median, s.converged ? "yes" : "no");
  }
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Risk register</title><style>"
         "body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto}td,th{border:1px solid #ccc;padding:.3em .6em}"
         "table{border-collapse:collapse}</style></head><body><h1>Risk register</h1>"
         "<p>Final Delphi round: each risk at its median probability and severity; the box spans the interquartile ranges.</p>" +
         svg + table + "</table></body></html>\n";
}

}  // namespace rsf::policy
