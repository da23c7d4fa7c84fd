#include "rsf/watermark/detector.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "rsf/watermark/stats.h"

namespace rsf::watermark {
namespace {

constexpr double kLn10 = 2.302585092994046;

// An open-addressing set of 64-bit values, cleared in O(capacity) and reused per thread.
class SeenSet {
 public:
  void Reset(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n) cap <<= 1;
    if (slots_.size() < cap || slots_.size() > 8 * cap) slots_.assign(cap, 0);
    else std::fill(slots_.begin(), slots_.end(), 0);
    mask_ = slots_.size() - 1;
  }
  // True when v was already present.
  bool Insert(uint64_t v) {
    v |= 1;  // 0 marks an empty slot; the lowest bit is dropped from the comparison
    for (size_t i = (v * 0x9E3779B97F4A7C15ull) >> 32 & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == v) return true;
      if (slots_[i] == 0) {
        slots_[i] = v;
        return false;
      }
    }
  }

 private:
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
};

double LogTail(const Params& p, int64_t n, double score) {
  if (n <= 0) return 0;
  if (p.scheme == Scheme::kKgw) return LogBinomialUpperTail(n, static_cast<int64_t>(score), p.gamma);
  return LogGammaUpperTail(n, score);
}

double ZScore(const Params& p, int64_t n, double score) {
  if (n <= 0) return 0;
  const double t = static_cast<double>(n);
  if (p.scheme == Scheme::kKgw) return (score - p.gamma * t) / std::sqrt(t * p.gamma * (1 - p.gamma));
  return (score - t) / std::sqrt(t);
}

void SearchSpan(const Params& p, const std::vector<double>& c, const std::vector<int64_t>& pos, int64_t min_tokens,
                Detection& d) {
  const int64_t m = static_cast<int64_t>(c.size());
  std::vector<double> prefix(c.size() + 1, 0);
  for (size_t i = 0; i < c.size(); ++i) prefix[i + 1] = prefix[i] + c[i];
  double best_log = 1;
  int64_t windows = 0;
  std::vector<int64_t> lengths;
  for (int64_t len = std::max<int64_t>(min_tokens, 1); len < m; len = std::max(len + 1, len + len / 2)) lengths.push_back(len);
  lengths.push_back(m);
  for (int64_t len : lengths) {
    int64_t at = 0;
    double top = -1;
    for (int64_t i = 0; i + len <= m; ++i) {
      const double s = prefix[i + len] - prefix[i];
      if (s > top) {
        top = s;
        at = i;
      }
    }
    windows += m - len + 1;
    const double lp = LogTail(p, len, p.scheme == Scheme::kKgw ? std::round(top) : top);
    if (lp < best_log) {
      best_log = lp;
      d.span.begin = pos[at];
      d.span.end = pos[at + len - 1] + 1;
      d.span.scored = len;
      d.span.score = p.scheme == Scheme::kKgw ? std::round(top) : top;
    }
  }
  d.has_span = true;
  d.span.windows = windows;
  d.span.log10_p = std::min(0.0, (best_log + std::log(static_cast<double>(windows))) / kLn10);
}

void Decide(const DetectOptions& o, Detection& d) {
  if (d.scored < o.min_tokens) {
    d.verdict = Verdict::kInsufficientTokens;
    d.detail = fmt::format("{} scored tokens; at least {} are needed for a meaningful test", d.scored, o.min_tokens);
    return;
  }
  const double decisive = d.has_span ? d.span.log10_p : d.log10_p;
  d.verdict = decisive < std::log10(o.alpha) ? Verdict::kWatermarked : Verdict::kNotWatermarked;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kWatermarked: return "watermarked";
    case Verdict::kNotWatermarked: return "not_watermarked";
    case Verdict::kInsufficientTokens: return "insufficient_tokens";
    case Verdict::kUnknownKeyId: return "unknown_key_id";
    case Verdict::kTokenizerMismatch: return "tokenizer_mismatch";
  }
  return "unknown";
}

Detection Detect(const Watermarker& wm, std::span<const int32_t> tokens, const DetectOptions& o) {
  thread_local SeenSet seen;
  const Params& p = wm.params();
  Detection d;
  d.key_id = wm.key_id();
  d.params = p;
  d.tokens = static_cast<int64_t>(tokens.size());
  const size_t h = static_cast<size_t>(p.context_width);
  std::vector<double> contributions;
  std::vector<int64_t> positions;
  if (tokens.size() > h) {
    if (o.ignore_repeats) seen.Reset(tokens.size() - h);
    if (o.find_span) {
      contributions.reserve(tokens.size() - h);
      positions.reserve(tokens.size() - h);
    }
    double score = 0;
    int64_t scored = 0, repeats = 0;
    const bool kgw = p.scheme == Scheme::kKgw;
    const uint64_t green_below = wm.green_below();
    for (size_t i = h; i < tokens.size(); ++i) {
      const uint64_t v = Watermarker::Value(wm.Seed(tokens.subspan(i - h, h)), tokens[i]);
      if (o.ignore_repeats && seen.Insert(v)) {
        ++repeats;
        continue;
      }
      const double c = kgw ? (v < green_below ? 1.0 : 0.0) : -std::log1p(-Watermarker::Uniform(v));
      score += c;
      ++scored;
      if (o.find_span) {
        contributions.push_back(c);
        positions.push_back(static_cast<int64_t>(i));
      }
    }
    d.score = score;
    d.scored = scored;
    d.repeats = repeats;
  }
  const double log_p = LogTail(p, d.scored, d.score);
  d.log10_p = log_p / kLn10;
  d.p_value = std::exp(log_p);
  d.z = ZScore(p, d.scored, d.score);
  if (o.find_span && d.scored >= o.min_tokens) SearchSpan(p, contributions, positions, o.min_tokens, d);
  Decide(o, d);
  return d;
}

Detection DetectWithKeys(std::span<const Watermarker> keys, std::span<const int32_t> tokens, const DetectOptions& o) {
  RSF_CHECK(!keys.empty());
  Detection best;
  bool first = true;
  for (const Watermarker& wm : keys) {
    Detection d = Detect(wm, tokens, o);
    const double decisive = d.has_span ? d.span.log10_p : d.log10_p;
    const double best_decisive = best.has_span ? best.span.log10_p : best.log10_p;
    if (first || decisive < best_decisive) best = std::move(d);
    first = false;
  }
  if (keys.size() > 1) {
    const double correction = std::log10(static_cast<double>(keys.size()));
    best.log10_p = std::min(0.0, best.log10_p + correction);
    best.p_value = std::pow(10.0, best.log10_p);
    if (best.has_span) best.span.log10_p = std::min(0.0, best.span.log10_p + correction);
    if (best.verdict == Verdict::kWatermarked || best.verdict == Verdict::kNotWatermarked) Decide(o, best);
  }
  return best;
}

}  // namespace rsf::watermark
