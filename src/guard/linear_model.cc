#include "rsf/guard/linear_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "rsf/common/encoding.h"
#include "rsf/common/sha256.h"
#include "guard/ngram_stream.h"

namespace rsf::guard {
namespace {

constexpr std::string_view kMagic = "RSFGUARD/1\n";

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Platt scaling: logistic fit of (raw score, label) with Platt's smoothed targets, by Newton's
// method with step halving (Lin, Lin and Weng's safeguard), so separable data cannot make it
// diverge or flip sign.
std::pair<double, double> FitPlatt(const std::vector<std::pair<double, int>>& data) {
  double pos = 0, neg = 0;
  for (auto& [s, y] : data) (y ? pos : neg) += 1;
  const double hi = (pos + 1) / (pos + 2), lo = 1 / (neg + 2);
  auto loss = [&](double a, double b) {
    double l = 0;
    for (auto& [s, y] : data) {
      const double t = y ? hi : lo, z = a * s + b;
      // -[t log p + (1 - t) log(1 - p)], computed stably.
      l += z >= 0 ? (1 - t) * z + std::log1p(std::exp(-z)) : -t * z + std::log1p(std::exp(z));
    }
    return l;
  };
  double a = 1, b = 0, f = loss(a, b);
  for (int iter = 0; iter < 100; ++iter) {
    double g_a = 0, g_b = 0, h_aa = 1e-12, h_ab = 0, h_bb = 1e-12;
    for (auto& [s, y] : data) {
      const double t = y ? hi : lo;
      const double p = Sigmoid(a * s + b);
      const double d = p - t, w = std::max(p * (1 - p), 1e-12);
      g_a += d * s;
      g_b += d;
      h_aa += w * s * s;
      h_ab += w * s;
      h_bb += w;
    }
    if (std::fabs(g_a) < 1e-7 && std::fabs(g_b) < 1e-7) break;
    const double det = h_aa * h_bb - h_ab * h_ab;
    if (!(std::fabs(det) > 1e-18)) break;
    const double da = (h_bb * g_a - h_ab * g_b) / det, db = (h_aa * g_b - h_ab * g_a) / det;
    double step = 1;
    bool improved = false;
    while (step > 1e-10) {
      const double na = a - step * da, nb = b - step * db, nf = loss(na, nb);
      if (nf < f - 1e-4 * step * (g_a * da + g_b * db)) {
        a = na;
        b = nb;
        f = nf;
        improved = true;
        break;
      }
      step /= 2;
    }
    if (!improved) break;
  }
  if (!std::isfinite(a) || !std::isfinite(b) || a <= 0) return {1, 0};
  return {a, b};
}

}  // namespace

void LinearModel::RawScores(const SparseVector& x, std::span<double> out) const {
  const size_t k = heads.size();
  float acc[kMaxHeads] = {};
  for (const auto& [i, v] : x) {
    const int8_t* w = weights.data() + static_cast<size_t>(i) * k;
    for (size_t h = 0; h < k; ++h) acc[h] += static_cast<float>(w[h]) * v;
  }
  for (size_t h = 0; h < k; ++h) out[h] = static_cast<double>(acc[h]) * scale[h] + bias[h];
}

namespace {

// Adds the weight rows of streamed n-gram hashes to int32 sums. A row is a random read from
// a table of up to megabytes, so each hash is prefetched when it arrives and added kLead
// hashes later, when its row has arrived. Integer addition is exact, so neither the order nor
// the lane width changes the result.
template <size_t K>
class RowAccumulator {
 public:
  RowAccumulator(const int8_t* weights, uint32_t mask, size_t k) : w_(weights), mask_(mask), k_(K ? K : k) {}

  void Push(uint64_t h) {
    __builtin_prefetch(Row(h));
    if (filled_ == kLead) {
      Add(ring_[pos_]);
    } else {
      ++filled_;
    }
    ring_[pos_] = h;
    pos_ = (pos_ + 1) & (kLead - 1);
  }

  // Adds what is still in flight; returns the sums.
  const int32_t* Finish() {
    for (size_t i = 0; i < filled_; ++i) Add(ring_[(pos_ + kLead - filled_ + i) & (kLead - 1)]);
    filled_ = 0;
#if defined(__SSE2__)
    if constexpr (K == 8) Flush();
#endif
    return acc_;
  }

 private:
  static constexpr size_t kLead = 16;

  const int8_t* Row(uint64_t h) const { return w_ + static_cast<size_t>(static_cast<uint32_t>(h) & mask_) * k_; }

#if defined(__SSE2__)
  // Eight heads (the default model): the row is summed in eight int16 lanes of one register,
  // moved into the int32 sums every kFlush rows (256 rows of |w| <= 128 fit in int16).
  static constexpr size_t kFlush = 256;
  __m128i acc16_ = _mm_setzero_si128();
  size_t pending_ = 0;

  void Flush() {
    const __m128i lo = _mm_srai_epi32(_mm_unpacklo_epi16(acc16_, acc16_), 16);
    const __m128i hi = _mm_srai_epi32(_mm_unpackhi_epi16(acc16_, acc16_), 16);
    int32_t wide[8];
    _mm_storeu_si128(reinterpret_cast<__m128i*>(wide), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(wide + 4), hi);
    for (size_t j = 0; j < 8; ++j) acc_[j] += wide[j];
    acc16_ = _mm_setzero_si128();
    pending_ = 0;
  }
#endif

  void Add(uint64_t h) {
    const int8_t* row = Row(h);
#if defined(__SSE2__)
    if constexpr (K == 8) {
      const __m128i r8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(row));
      const __m128i r16 = _mm_srai_epi16(_mm_unpacklo_epi8(r8, r8), 8);   // sign-extended
      const __m128i m = _mm_set1_epi16(static_cast<int16_t>(-static_cast<int16_t>(h >> 63)));  // 0 or -1
      acc16_ = _mm_add_epi16(acc16_, _mm_sub_epi16(_mm_xor_si128(r16, m), m));  // (v ^ m) - m negates
      if (++pending_ == kFlush) Flush();
      return;
    }
#endif
    const int32_t s = (h >> 63) ? -1 : 1;
    for (size_t j = 0; j < k_; ++j) acc_[j] += s * row[j];
  }

  const int8_t* w_;
  uint32_t mask_;
  size_t k_;
  uint64_t ring_[kLead] = {};
  size_t pos_ = 0, filled_ = 0;
  int32_t acc_[LinearModel::kMaxHeads] = {};
};

template <size_t K>
size_t Accumulate(std::string_view text, const FeatureOptions& features, const int8_t* w, size_t k,
                  int32_t* out) {
  RowAccumulator<K> rows(w, (1u << features.bits) - 1, k);
  const size_t n = internal::ForEachNgram(text, features, [&](uint64_t h) { rows.Push(h); });
  std::memcpy(out, rows.Finish(), sizeof(int32_t) * k);
  return n;
}

}  // namespace

void LinearModel::ScoreText(std::string_view normalized, std::span<double> out) const {
  const size_t k = heads.size();
  // Integer sums: weights are int8 and each n-gram adds +-1 times its row, so int32 holds any
  // text up to max_bytes exactly (no float conversions, no aliasing).
  int32_t acc[kMaxHeads] = {};
  const size_t n = k == 8 ? Accumulate<8>(normalized, features, weights.data(), k, acc)  // the default shape
                          : Accumulate<0>(normalized, features, weights.data(), k, acc);
  const double inv = n ? 1.0 / std::sqrt(static_cast<double>(n)) : 0.0;
  for (size_t j = 0; j < k; ++j) {
    out[j] = Sigmoid(platt_a[j] * (static_cast<double>(acc[j]) * inv * scale[j] + bias[j]) + platt_b[j]);
  }
}

std::vector<double> LinearModel::Score(const SparseVector& x) const {
  std::vector<double> out(heads.size());
  RawScores(x, out);
  for (size_t h = 0; h < heads.size(); ++h) out[h] = Sigmoid(platt_a[h] * out[h] + platt_b[h]);
  return out;
}

double AveragePrecision(std::vector<std::pair<double, int>> scored) {
  std::stable_sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first > b.first; });
  double positives = 0;
  for (auto& [s, y] : scored) positives += y;
  if (positives == 0) return 0;
  double tp = 0, ap = 0;
  for (size_t i = 0; i < scored.size(); ++i) {
    if (scored[i].second) {
      tp += 1;
      ap += tp / static_cast<double>(i + 1);
    }
  }
  return ap / positives;
}

Result<LinearModel> TrainLinearModel(const std::vector<TrainExample>& examples, const std::vector<std::string>& heads,
                                     const FeatureOptions& features, const TrainOptions& o) {
  if (examples.empty()) return InvalidArgumentError("guard training: no examples");
  if (heads.empty() || heads.size() > LinearModel::kMaxHeads) {
    return InvalidArgumentError(fmt::format("guard training: 1 to {} heads, not {}", LinearModel::kMaxHeads, heads.size()));
  }
  if (features.bits < 8 || features.bits > 24) return InvalidArgumentError("guard training: bits must be 8..24");
  if (features.char_min < 1 || features.char_max < features.char_min || features.char_max > 7) {
    return InvalidArgumentError("guard training: character n-grams must satisfy 1 <= char_min <= char_max <= 7");
  }
  if (o.calibration_fraction <= 0 || o.calibration_fraction >= 0.5) {
    return InvalidArgumentError("guard training: calibration_fraction must be in (0, 0.5)");
  }
  for (size_t i = 0; i < examples.size(); ++i) {
    if (examples[i].y.size() != heads.size()) {
      return InvalidArgumentError(fmt::format("guard training: example {} has {} labels for {} heads", i,
                                              examples[i].y.size(), heads.size()));
    }
  }
  // A seeded split into training and calibration slices.
  std::vector<size_t> order(examples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed);
  std::shuffle(order.begin(), order.end(), rng);
  const size_t n_cal = std::max<size_t>(1, static_cast<size_t>(examples.size() * o.calibration_fraction));
  std::vector<size_t> cal(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_cal));
  std::vector<size_t> train(order.begin() + static_cast<std::ptrdiff_t>(n_cal), order.end());

  // AdaGrad on float weights laid out feature-major (all heads of a bucket together).
  const size_t k = heads.size();
  const size_t dim = size_t{1} << features.bits;
  std::vector<float> w(dim * k, 0.0f);
  std::vector<float> g2(dim * k, 1e-6f);
  std::vector<double> bias(k, 0.0), bias_g2(k, 1e-6);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    std::shuffle(train.begin(), train.end(), rng);
    for (size_t idx : train) {
      const TrainExample& ex = examples[idx];
      for (size_t h = 0; h < k; ++h) {
        if (ex.y[h] < 0) continue;
        double z = bias[h];
        for (const auto& [i, v] : ex.x) z += static_cast<double>(w[i * k + h]) * v;
        const double err = Sigmoid(z) - ex.y[h];
        for (const auto& [i, v] : ex.x) {
          const size_t at = i * k + h;
          const double g = err * v + o.l2 * w[at];
          g2[at] += static_cast<float>(g * g);
          w[at] -= static_cast<float>(o.learning_rate * g / std::sqrt(static_cast<double>(g2[at])));
        }
        bias_g2[h] += err * err;
        bias[h] -= o.learning_rate * err / std::sqrt(bias_g2[h]);
      }
    }
  }
  // Quantise to int8 with one scale per head; calibration below sees the quantised model, the
  // one that is served.
  LinearModel m;
  m.features = features;
  m.heads = heads;
  m.weights.assign(dim * k, 0);
  for (size_t h = 0; h < k; ++h) {
    float max_abs = 0;
    for (size_t i = 0; i < dim; ++i) max_abs = std::max(max_abs, std::fabs(w[i * k + h]));
    const float sc = max_abs > 0 ? max_abs / 127.0f : 1.0f;
    for (size_t i = 0; i < dim; ++i) {
      m.weights[i * k + h] = static_cast<int8_t>(std::lround(std::clamp(w[i * k + h] / sc, -127.0f, 127.0f)));
    }
    m.scale.push_back(sc);
    m.bias.push_back(static_cast<float>(bias[h]));
  }
  // Calibration and thresholds on the held-out slice.
  std::vector<std::vector<double>> cal_scores;
  for (size_t idx : cal) {
    cal_scores.emplace_back(k);
    m.RawScores(examples[idx].x, cal_scores.back());
  }
  Json per_head = Json::array();
  for (size_t h = 0; h < k; ++h) {
    std::vector<std::pair<double, int>> data;
    for (size_t c = 0; c < cal.size(); ++c) {
      if (examples[cal[c]].y[h] >= 0) data.emplace_back(cal_scores[c][h], examples[cal[c]].y[h]);
    }
    auto [a, b] = data.empty() ? std::pair<double, double>{1, 0} : FitPlatt(data);
    m.platt_a.push_back(static_cast<float>(a));
    m.platt_b.push_back(static_cast<float>(b));
    std::vector<double> benign;
    for (auto& [s, y] : data) {
      if (!y) benign.push_back(Sigmoid(a * s + b));
    }
    std::sort(benign.begin(), benign.end());
    double threshold = 0.5;
    if (!benign.empty()) {
      const size_t q = static_cast<size_t>(std::floor((1 - o.target_fpr) * static_cast<double>(benign.size())));
      threshold = std::max(0.5, benign[std::min(q, benign.size() - 1)] + 1e-6);
    }
    m.thresholds.push_back(static_cast<float>(threshold));
    per_head.push_back({{"head", heads[h]}, {"calibration_examples", data.size()}, {"benign", benign.size()}});
  }
  m.training = {{"examples", examples.size()}, {"train", train.size()}, {"calibration", cal.size()},
                {"epochs", o.epochs}, {"learning_rate", o.learning_rate}, {"l2", o.l2}, {"seed", o.seed},
                {"target_fpr", o.target_fpr}, {"heads", per_head}};
  return m;
}

std::string SerializeModel(const LinearModel& m) {
  Json header = {{"heads", m.heads},
                 {"features", {{"bits", m.features.bits}, {"char_min", m.features.char_min},
                               {"char_max", m.features.char_max}, {"word_bigrams", m.features.word_bigrams}}},
                 {"scale", m.scale}, {"bias", m.bias}, {"platt_a", m.platt_a}, {"platt_b", m.platt_b},
                 {"thresholds", m.thresholds}, {"training", m.training}};
  std::string out(kMagic);
  out += header.dump() + "\n";
  out.append(reinterpret_cast<const char*>(m.weights.data()), m.weights.size());
  const Digest d = Sha256Of(out);
  out.append(reinterpret_cast<const char*>(d.data()), d.size());
  return out;
}

Result<LinearModel> ParseModel(std::string_view bytes, std::string_view source) {
  auto bad = [&](const std::string& what) { return InvalidArgumentError(fmt::format("{}: {}", source, what)); };
  if (!bytes.starts_with(kMagic)) return bad("not an rsf guard model (expected RSFGUARD/1)");
  if (bytes.size() < kMagic.size() + 32) return DataLossError(fmt::format("{}: truncated model file", source));
  const std::string_view body = bytes.substr(0, bytes.size() - 32);
  const Digest d = Sha256Of(body);
  if (std::memcmp(d.data(), bytes.data() + body.size(), 32) != 0) {
    return DataLossError(fmt::format("{}: model file checksum mismatch (corrupt or altered)", source));
  }
  const size_t nl = body.find('\n', kMagic.size());
  if (nl == std::string_view::npos) return bad("no header line");
  auto header = ParseJson(body.substr(kMagic.size(), nl - kMagic.size()));
  if (!header.ok()) return bad("header: " + header.status().message());
  LinearModel m;
  try {
    const Json& h = *header;
    m.heads = h.at("heads").get<std::vector<std::string>>();
    const Json& f = h.at("features");
    m.features.bits = f.at("bits");
    m.features.char_min = f.at("char_min");
    m.features.char_max = f.at("char_max");
    m.features.word_bigrams = f.at("word_bigrams");
    m.scale = h.at("scale").get<std::vector<float>>();
    m.bias = h.at("bias").get<std::vector<float>>();
    m.platt_a = h.at("platt_a").get<std::vector<float>>();
    m.platt_b = h.at("platt_b").get<std::vector<float>>();
    m.thresholds = h.at("thresholds").get<std::vector<float>>();
    m.training = h.value("training", Json::object());
  } catch (const Json::exception& e) {
    return bad(std::string("header: ") + e.what());
  }
  const size_t k = m.heads.size();
  if (k == 0 || k > LinearModel::kMaxHeads || m.features.bits < 8 || m.features.bits > 24 || m.scale.size() != k ||
      m.bias.size() != k || m.platt_a.size() != k || m.platt_b.size() != k || m.thresholds.size() != k ||
      m.features.char_min < 1 || m.features.char_max < m.features.char_min || m.features.char_max > 7) {
    return bad("header: inconsistent heads, feature options or calibration");
  }
  const size_t n_weights = k << m.features.bits;
  const std::string_view data = body.substr(nl + 1);
  if (data.size() != n_weights) {
    return bad(fmt::format("expected {} bytes of weights, found {}", n_weights, data.size()));
  }
  m.weights.assign(reinterpret_cast<const int8_t*>(data.data()), reinterpret_cast<const int8_t*>(data.data()) + n_weights);
  return m;
}

}  // namespace rsf::guard
