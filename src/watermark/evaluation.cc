#include "rsf/watermark/evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include <fmt/format.h>

#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "rsf/watermark/detector.h"
#include "rsf/watermark/stats.h"

namespace rsf::watermark {
namespace {

const std::vector<std::string>& DefaultPrompts() {
  static const std::vector<std::string> kPrompts = {
      "Once upon a time", "One day, a little girl named Lily", "Tom and his dog", "There was a big red ball",
      "The sun was shining and", "Sam wanted to play", "In a small town there lived", "Mom said to Ben",
      "A little bird", "The cat and the mouse",
  };
  return kPrompts;
}

enum class Attack { kNone, kSubstitute, kDelete, kInsert };

std::vector<int32_t> Apply(Attack a, double rate, std::span<const int32_t> in, int32_t vocab, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int32_t> any(0, vocab - 1);
  std::vector<int32_t> out;
  out.reserve(in.size() * 2);
  for (int32_t t : in) {
    switch (a) {
      case Attack::kNone: out.push_back(t); break;
      case Attack::kSubstitute: out.push_back(u(rng) < rate ? any(rng) : t); break;
      case Attack::kDelete: if (u(rng) >= rate) out.push_back(t); break;
      case Attack::kInsert:
        out.push_back(t);
        if (u(rng) < rate) out.push_back(any(rng));
        break;
    }
  }
  return out;
}

Key NullKey(uint64_t seed, int k) {
  Key key;
  key.id = fmt::format("null-{}", k);
  const Digest d = Sha256Of(fmt::format("rsf-watermark-eval/null-key/{}/{}", seed, k));
  std::copy(d.begin(), d.end(), key.secret.begin());
  return key;
}

std::string Percent(double r) { return fmt::format("{:.0f}%", r * 100); }

std::string FprLabel(double f) { return fmt::format("{:.0e}", f); }

}  // namespace

std::pair<double, double> ClopperPearson95(int64_t k, int64_t n) {
  if (n <= 0) return {0, 1};
  // P(X >= k | p) rises with p; P(X <= k | p) falls with p.
  auto solve = [&](auto above) {
    double lo = 0, hi = 1;
    for (int i = 0; i < 100; ++i) {
      const double mid = (lo + hi) / 2;
      if (above(mid)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return (lo + hi) / 2;
  };
  const double low = k == 0 ? 0 : solve([&](double p) { return std::exp(LogBinomialUpperTail(n, k, p)) >= 0.025; });
  const double high =
      k == n ? 1 : solve([&](double p) { return 1 - std::exp(LogBinomialUpperTail(n, k + 1, p)) <= 0.025; });
  return {low, high};
}

Result<EvalReport> RunWatermarkEval(model::ModelClient& model, ToggleHook& hook, const Watermarker& wm,
                                    const model::Tokenizer& tokenizer, const EvalOptions& o) {
  if (o.samples < 1 || o.tokens < 1) return InvalidArgumentError("watermark eval: --samples and --tokens must be >= 1");
  if (o.lengths.empty() || o.fprs.empty()) return InvalidArgumentError("watermark eval: needs lengths and rates");
  for (double f : o.fprs) {
    if (!(f > 0 && f < 1)) return InvalidArgumentError(fmt::format("watermark eval: false-positive rate {} not in (0, 1)", f));
  }
  for (double r : o.rates) {
    if (!(r > 0 && r < 1)) return InvalidArgumentError(fmt::format("watermark eval: attack rate {} not in (0, 1)", r));
  }
  const std::vector<std::string>& prompts = o.prompts.empty() ? DefaultPrompts() : o.prompts;
  EvalReport rep;
  rep.model = model.Identity().name;
  rep.params = Describe(wm.params());
  rep.key_id = wm.key_id();
  rep.tokenizer = tokenizer.Digest();
  rep.options = o;
  rep.options.progress = nullptr;

  // 1. Generate: each prompt and seed once with the watermark, once without.
  std::vector<std::vector<int32_t>> marked, plain;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < o.samples; ++i) {
    model::GenerateRequest req;
    req.prompt = prompts[static_cast<size_t>(i) % prompts.size()];
    req.sampling.temperature = o.temperature;
    // Re-tokenizing can merge pieces the sampler chose apart; generate a margin and keep the
    // first `tokens` ids the detector sees.
    req.sampling.max_tokens = o.tokens + o.tokens / 4 + 8;
    req.sampling.seed = o.seed + static_cast<uint64_t>(i);
    req.sampling.ignore_eos = true;
    for (bool on : {true, false}) {
      hook.set_enabled(on);
      auto r = model.Generate(req);
      hook.set_enabled(false);
      if (!r.ok()) return r.status();
      std::vector<int32_t> ids = tokenizer.Encode(r->text);
      if (ids.size() > static_cast<size_t>(o.tokens)) ids.resize(static_cast<size_t>(o.tokens));
      (on ? marked : plain).push_back(std::move(ids));
    }
    if (o.progress) o.progress("generating", static_cast<size_t>(i + 1), static_cast<size_t>(o.samples));
  }
  rep.generation_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rep.samples = o.samples;
  double tokens = 0, scored = 0;
  DetectOptions plain_detect;
  plain_detect.min_tokens = 1;
  for (const auto& ids : marked) {
    tokens += static_cast<double>(ids.size());
    scored += static_cast<double>(Detect(wm, ids, plain_detect).scored);
  }
  rep.mean_tokens = tokens / o.samples;
  rep.scored_fraction = tokens > 0 ? scored / tokens : 0;

  // 2. True-positive rates: detect once per (sample, attack, length); compare log10 p with
  // each alpha.
  struct AttackSpec {
    std::string name;
    Attack kind;
    double rate;
    bool mixed;
  };
  std::vector<AttackSpec> attacks = {{"clean", Attack::kNone, 0, false}};
  for (auto [kind, verb] : {std::pair{Attack::kSubstitute, "substitute"}, std::pair{Attack::kDelete, "delete"},
                            std::pair{Attack::kInsert, "insert"}}) {
    for (double r : o.rates) attacks.push_back({fmt::format("{} {}", verb, Percent(r)), kind, r, false});
  }
  attacks.push_back({fmt::format("mixed into {}+{} unmarked", o.mix_context, o.mix_context), Attack::kNone, 0, true});
  std::map<std::tuple<size_t, int, double>, std::pair<int64_t, int64_t>> counts;
  DetectOptions d;
  d.min_tokens = 1;  // count short texts as not detected through their p-value, not as errors
  DetectOptions span = d;
  span.find_span = true;
  span.min_tokens = std::max(1, *std::min_element(o.lengths.begin(), o.lengths.end()) / 2);
  std::mt19937_64 rng(o.seed ^ 0xA77AC4ull);
  const size_t n = marked.size();
  for (size_t s = 0; s < n; ++s) {
    for (int len : o.lengths) {
      if (marked[s].size() < static_cast<size_t>(len)) continue;
      const auto prefix = std::span<const int32_t>(marked[s]).first(static_cast<size_t>(len));
      for (size_t a = 0; a < attacks.size(); ++a) {
        double log10_p;
        if (attacks[a].mixed) {
          const auto& left = plain[(s + 1) % n];
          const auto& right = plain[(s + 2) % n];
          std::vector<int32_t> text(left.begin(), left.begin() + std::min<size_t>(left.size(), o.mix_context));
          text.insert(text.end(), prefix.begin(), prefix.end());
          text.insert(text.end(), right.begin(), right.begin() + std::min<size_t>(right.size(), o.mix_context));
          const Detection r = Detect(wm, text, span);
          log10_p = r.has_span ? r.span.log10_p : 0;
        } else {
          const auto attacked = Apply(attacks[a].kind, attacks[a].rate, prefix, tokenizer.VocabSize(), rng);
          log10_p = Detect(wm, attacked, d).log10_p;
        }
        for (double f : o.fprs) {
          auto& c = counts[{a, len, f}];
          c.first += log10_p < std::log10(f);
          c.second += 1;
        }
      }
    }
    if (o.progress) o.progress("detecting", s + 1, n);
  }
  for (size_t a = 0; a < attacks.size(); ++a) {
    for (double f : o.fprs) {
      for (int len : o.lengths) {
        auto it = counts.find({a, len, f});
        if (it == counts.end()) continue;
        rep.tpr.push_back({attacks[a].name, len, f, it->second.first, it->second.second});
      }
    }
  }

  // 3. False-positive rates on unwatermarked text.
  std::vector<int64_t> real(o.fprs.size(), 0), null(o.fprs.size(), 0);
  int64_t null_trials = 0;
  for (const auto& ids : plain) {
    const double lp = Detect(wm, ids, d).log10_p;
    for (size_t f = 0; f < o.fprs.size(); ++f) real[f] += lp < std::log10(o.fprs[f]);
  }
  for (int k = 0; k < o.null_keys; ++k) {
    const Watermarker other(NullKey(o.seed, k), wm.params());
    for (const auto& ids : plain) {
      const double lp = Detect(other, ids, d).log10_p;
      for (size_t f = 0; f < o.fprs.size(); ++f) null[f] += lp < std::log10(o.fprs[f]);
      ++null_trials;
    }
    if (o.progress) o.progress("null keys", static_cast<size_t>(k + 1), static_cast<size_t>(o.null_keys));
  }
  for (size_t f = 0; f < o.fprs.size(); ++f) {
    for (auto [label, flagged, trials] : {std::tuple{std::string("real key"), real[f], static_cast<int64_t>(plain.size())},
                                          std::tuple{fmt::format("{} other keys", o.null_keys), null[f], null_trials}}) {
      if (trials == 0) continue;
      auto [lo, hi] = ClopperPearson95(flagged, trials);
      rep.fpr.push_back({label, o.fprs[f], flagged, trials, lo, hi, lo <= o.fprs[f]});
    }
  }
  return rep;
}

Json EvalReportJson(const EvalReport& r) {
  Json tpr = Json::array();
  for (const auto& c : r.tpr) {
    tpr.push_back({{"attack", c.attack}, {"tokens", c.length}, {"fpr", c.fpr}, {"detected", c.detected},
                   {"total", c.total}, {"tpr", c.total ? static_cast<double>(c.detected) / c.total : 0.0}});
  }
  Json fpr = Json::array();
  for (const auto& f : r.fpr) {
    fpr.push_back({{"trials_of", f.trials_of}, {"nominal", f.nominal}, {"flagged", f.flagged}, {"trials", f.trials},
                   {"measured", f.trials ? static_cast<double>(f.flagged) / f.trials : 0.0},
                   {"ci95", {f.low95, f.high95}}, {"within_nominal", f.within}});
  }
  return {{"format", "rsf-watermark-eval/v1"},
          {"model", r.model},
          {"params", r.params},
          {"key_id", r.key_id},
          {"tokenizer", r.tokenizer},
          {"samples", r.samples},
          {"tokens_requested", r.options.tokens},
          {"mean_tokens", r.mean_tokens},
          {"scored_fraction", r.scored_fraction},
          {"temperature", r.options.temperature},
          {"seed", r.options.seed},
          {"null_keys", r.options.null_keys},
          {"generation_seconds", r.generation_seconds},
          {"tpr", std::move(tpr)},
          {"fpr", std::move(fpr)}};
}

std::string EvalReportMarkdown(const EvalReport& r) {
  std::string s = fmt::format(
      "# Watermark evaluation\n\nModel `{}`, watermark `{}`, key `{}`, tokenizer `{}`.\n"
      "{} samples of {} tokens at temperature {} (seed {}); {:.1f} tokens per sample after re-tokenizing, "
      "{:.0f}% of them scored (repeated context-token pairs are skipped). Generation took {:.1f} s.\n\n",
      r.model, r.params, r.key_id, r.tokenizer, r.samples, r.options.tokens, r.options.temperature, r.options.seed,
      r.mean_tokens, r.scored_fraction * 100, r.generation_seconds);
  for (double f : r.options.fprs) {
    s += fmt::format("## True-positive rate at a false-positive rate of {}\n\n| attack |", FprLabel(f));
    for (int len : r.options.lengths) s += fmt::format(" {} tokens |", len);
    s += "\n|---|";
    for (size_t i = 0; i < r.options.lengths.size(); ++i) s += "---:|";
    s += "\n";
    std::vector<std::string> order;
    for (const auto& c : r.tpr) {
      if (std::find(order.begin(), order.end(), c.attack) == order.end()) order.push_back(c.attack);
    }
    for (const auto& attack : order) {
      s += "| " + attack + " |";
      for (int len : r.options.lengths) {
        auto it = std::find_if(r.tpr.begin(), r.tpr.end(),
                               [&](const TprCell& c) { return c.attack == attack && c.length == len && c.fpr == f; });
        s += it == r.tpr.end() || it->total == 0
                 ? " – |"
                 : fmt::format(" {:.3f} ({}/{}) |", static_cast<double>(it->detected) / it->total, it->detected, it->total);
      }
      s += "\n";
    }
    s += "\n";
  }
  s += "## False-positive rate on unwatermarked text\n\n| nominal | trials | flagged | measured | 95% interval | "
       "within nominal |\n|---:|---|---:|---:|---|---|\n";
  for (const auto& f : r.fpr) {
    s += fmt::format("| {} | {} ({}) | {} | {:.2e} | [{:.1e}, {:.1e}] | {} |\n", FprLabel(f.nominal), f.trials,
                     f.trials_of == "real key" ? "samples, real key" : "samples x " + f.trials_of, f.flagged,
                     f.trials ? static_cast<double>(f.flagged) / f.trials : 0.0, f.low95, f.high95,
                     f.within ? "yes" : "NO");
  }
  return s;
}

std::string EvalReportSvg(const EvalReport& r) {
  static const char* kColors[] = {"#1b5e20", "#0d47a1", "#1565c0", "#42a5f5", "#b71c1c", "#e53935", "#ef9a9a",
                                  "#e65100", "#fb8c00", "#ffcc80", "#4a148c", "#263238"};
  const double f = *std::min_element(r.options.fprs.begin(), r.options.fprs.end());
  const int w = 680, h = 420, left = 60, right = 220, top = 30, bottom = 50;
  const double pw = w - left - right, ph = h - top - bottom;
  const double lmin = std::log(static_cast<double>(*std::min_element(r.options.lengths.begin(), r.options.lengths.end())));
  const double lmax = std::log(static_cast<double>(*std::max_element(r.options.lengths.begin(), r.options.lengths.end())));
  auto x = [&](int len) { return left + (lmax > lmin ? (std::log(static_cast<double>(len)) - lmin) / (lmax - lmin) : 0.5) * pw; };
  auto y = [&](double v) { return top + (1 - v) * ph; };
  std::string s = fmt::format(
      "<svg role=\"img\" aria-label=\"Watermark true-positive rate against tokens at a false-positive rate of {2}\" "
      "viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" xmlns=\"http://www.w3.org/2000/svg\" "
      "font-family=\"sans-serif\" font-size=\"12\">",
      w, h, FprLabel(f));
  s += fmt::format("<text x=\"{}\" y=\"16\">true-positive rate at false-positive rate {}</text>", left, FprLabel(f));
  for (int k = 0; k <= 10; k += 2) {
    const double v = k / 10.0;
    s += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#eee\"/>", left, y(v), left + pw);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.1f}</text>", left - 6.0, y(v) + 4, v);
  }
  for (int len : r.options.lengths) {
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#eee\"/>", x(len), top, y(0));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x(len), y(0) + 16, len);
  }
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">tokens (log scale)</text>", left + pw / 2, h - 10);
  std::vector<std::string> order;
  for (const auto& c : r.tpr) {
    if (std::find(order.begin(), order.end(), c.attack) == order.end()) order.push_back(c.attack);
  }
  for (size_t i = 0; i < order.size(); ++i) {
    const char* color = kColors[i % 12];
    std::string pts;
    for (const auto& c : r.tpr) {
      if (c.attack != order[i] || c.fpr != f || c.total == 0) continue;
      pts += fmt::format("{:.1f},{:.1f} ", x(c.length), y(static_cast<double>(c.detected) / c.total));
    }
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" points=\"{}\"/>", color, i == 0 ? 3 : 1.5, pts);
    const double ly = top + 16.0 * static_cast<double>(i) + 10;
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" stroke-width=\"3\"/>",
                     left + pw + 12, ly, left + pw + 30, color);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", left + pw + 34, ly + 4, order[i]);
  }
  return s + "</svg>";
}

std::string EvalReportHtml(const EvalReport& r) {
  std::string out =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rsf watermark evaluation</title>"
      "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}code{font-size:90%}</style></head><body>"
      "<h1>Watermark evaluation</h1>";
  out += fmt::format(
      "<p>model <code>{}</code> · watermark <code>{}</code> · key <code>{}</code> · tokenizer <code>{}</code></p>"
      "<p>{} samples of {} tokens at temperature {} (seed {}); {:.1f} tokens per sample after re-tokenizing, {:.0f}% "
      "scored; generation {:.1f} s</p>",
      HtmlEscape(r.model), HtmlEscape(r.params), HtmlEscape(r.key_id), HtmlEscape(r.tokenizer), r.samples,
      r.options.tokens, r.options.temperature, r.options.seed, r.mean_tokens, r.scored_fraction * 100,
      r.generation_seconds);
  out += EvalReportSvg(r);
  std::vector<std::string> order;
  for (const auto& c : r.tpr) {
    if (std::find(order.begin(), order.end(), c.attack) == order.end()) order.push_back(c.attack);
  }
  for (double f : r.options.fprs) {
    out += fmt::format("<h2>True-positive rate at a false-positive rate of {}</h2><table><tr><th>attack</th>", FprLabel(f));
    for (int len : r.options.lengths) out += fmt::format("<th>{} tokens</th>", len);
    out += "</tr>";
    for (const auto& attack : order) {
      out += "<tr><td>" + HtmlEscape(attack) + "</td>";
      for (int len : r.options.lengths) {
        auto it = std::find_if(r.tpr.begin(), r.tpr.end(),
                               [&](const TprCell& c) { return c.attack == attack && c.length == len && c.fpr == f; });
        out += it == r.tpr.end() || it->total == 0
                   ? "<td>–</td>"
                   : fmt::format("<td>{:.3f} ({}/{})</td>", static_cast<double>(it->detected) / it->total, it->detected,
                                 it->total);
      }
      out += "</tr>";
    }
    out += "</table>";
  }
  out += "<h2>False-positive rate on unwatermarked text</h2><table><tr><th>trials</th><th>nominal</th><th>flagged</th>"
         "<th>measured</th><th>95% interval</th><th>within nominal</th></tr>";
  for (const auto& f : r.fpr) {
    out += fmt::format("<tr><td>{} ({})</td><td>{}</td><td>{}</td><td>{:.2e}</td><td>[{:.1e}, {:.1e}]</td><td>{}</td></tr>",
                       f.trials, HtmlEscape(f.trials_of), FprLabel(f.nominal), f.flagged,
                       f.trials ? static_cast<double>(f.flagged) / f.trials : 0.0, f.low95, f.high95,
                       f.within ? "yes" : "NO");
  }
  return out + "</table></body></html>\n";
}

}  // namespace rsf::watermark
