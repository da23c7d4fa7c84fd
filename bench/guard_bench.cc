// Speed of the guard on one core (issue 5's bars): prompts of about 300 bytes per second
// through normalisation, rules and the linear model (bar: 50,000/s), and the latency
// distribution of 4 KB prompts (bar: p99 under 100 µs). Also the cost of each layer, and of
// each rule engine built in, so a regression points at its layer.
//
// Prompts are cut from ../shared/data/guard/dev.jsonl when it is present (real text, mixed
// safe and unsafe), otherwise generated from a fixed vocabulary; the output says which.
// The process pins itself to one CPU (the first it may run on).
//
//   guard_bench [--data dev.jsonl] [--model builtin|FILE] [--seconds S]
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rsf/guard/guard.h"
#include "rsf/guard/normalize.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> LoadTexts(const std::string& path, std::string* source) {
  std::vector<std::string> texts;
  std::ifstream in(path);
  std::string line;
  while (in && std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("text") && j["text"].is_string()) texts.push_back(j["text"]);
  }
  if (!texts.empty()) {
    *source = path + " (" + std::to_string(texts.size()) + " texts)";
    return texts;
  }
  // Fallback: sentences from a fixed vocabulary, seeded.
  const char* words[] = {"the", "model", "how", "to", "make", "a", "bread", "recipe", "explain", "history", "of",
                         "chemistry", "write", "story", "about", "dragon", "please", "ignore", "previous", "code",
                         "python", "function", "network", "security", "people", "city", "weather", "travel"};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string t;
    const int n = 20 + static_cast<int>(rng() % 60);
    for (int k = 0; k < n; ++k) t += std::string(words[rng() % std::size(words)]) + (k % 12 == 11 ? ". " : " ");
    texts.push_back(t);
  }
  *source = "generated vocabulary text (../shared/data absent)";
  return texts;
}

// Prompts of exactly `bytes` bytes (cut at a character boundary), made by joining texts.
std::vector<std::string> Prompts(const std::vector<std::string>& texts, size_t bytes, size_t count) {
  std::vector<std::string> out;
  size_t t = 0;
  for (size_t i = 0; i < count; ++i) {
    std::string p;
    while (p.size() < bytes) p += texts[t++ % texts.size()] + " ";
    size_t cut = bytes;
    while (cut > 0 && (static_cast<unsigned char>(p[cut]) & 0xC0) == 0x80) --cut;
    out.push_back(p.substr(0, cut));
  }
  return out;
}

// How often this core is taken away from the process: a loop that only reads the clock sees
// each interruption (host preemption on a virtual machine, interrupts, other tasks) as a gap.
// Every gap that lands inside a timed call is added to that call's latency, so the share of
// calls hit is about gaps/s × (call time + gap), and the tail percentiles of a call that takes
// tens of microseconds are set by this floor, not by the code.
struct NoiseFloor {
  double gaps_per_second = 0;
  double median_gap_us = 0;
  double stolen_share = 0;
};

NoiseFloor MeasureNoiseFloor(double seconds) {
  std::vector<double> gaps;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  auto last = start;
  double stolen = 0;
  while (last < end) {
    const auto now = Clock::now();
    const double gap = std::chrono::duration<double, std::micro>(now - last).count();
    if (gap > 5) {
      gaps.push_back(gap);
      stolen += gap;
    }
    last = now;
  }
  NoiseFloor floor;
  const double elapsed = std::chrono::duration<double, std::micro>(last - start).count();
  floor.gaps_per_second = static_cast<double>(gaps.size()) / (elapsed / 1e6);
  floor.stolen_share = stolen / elapsed;
  if (!gaps.empty()) {
    std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
    floor.median_gap_us = gaps[gaps.size() / 2];
  }
  return floor;
}

template <typename F>
double PerSecond(const std::vector<std::string>& prompts, double seconds, F&& f) {
  size_t n = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    for (size_t i = 0; i < 256; ++i) f(prompts[(n + i) % prompts.size()]);
    n += 256;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "../shared/data/guard/dev.jsonl";
  std::string model_source = "builtin";
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--data")) data = argv[i + 1];
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--model")) model_source = argv[i + 1];
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof(allowed), &allowed);
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  const bool pinned = sched_setaffinity(0, sizeof(one), &one) == 0;

  std::string source;
  const auto texts = LoadTexts(data, &source);
  const auto p300 = Prompts(texts, 300, 4096);
  const auto p4k = Prompts(texts, 4096, 1024);
  std::printf("guard_bench: prompts from %s; %s CPU %d\n", source.c_str(), pinned ? "pinned to" : "NOT pinned, on", cpu);

  for (rsf::guard::RuleEngine engine : rsf::guard::RuleSet::Available()) {
    auto model = rsf::guard::LoadGuardModel(model_source);
    if (!model.ok()) {
      std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
      return 1;
    }
    const auto compile_start = Clock::now();
    auto g = rsf::guard::Guard::Create(rsf::guard::DefaultGuardConfig(), *model, engine);
    if (!g.ok()) {
      std::fprintf(stderr, "%s\n", g.status().ToString().c_str());
      return 1;
    }
    const double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - compile_start).count();
    const rsf::guard::Guard& guard = **g;
    const std::string name(rsf::guard::RuleEngineName(engine));
    std::printf("\n== rules by %s (%zu rules, compiled in %.0f ms); model %zu heads, 2^%d buckets, %s\n", name.c_str(),
                guard.config().rules.size(), compile_ms, guard.model().heads.size(), guard.model().features.bits,
                guard.model_digest().substr(0, 19).c_str());

    // Throughput, 300-byte prompts, everything on.
    size_t blocked = 0;
    const double full = PerSecond(p300, seconds, [&](const std::string& p) { blocked += guard.Classify(p).blocked(); });
    std::printf("300 B prompts, rules + model:  %9.0f prompts/s  (%.1f MB/s)   bar >= 50000/s: %s\n", full,
                full * 300 / 1e6, full >= 50000 ? "PASS" : "FAIL");

    // Per-layer costs, 300-byte prompts.
    std::vector<std::string> normalized;
    for (const auto& p : p300) normalized.push_back(rsf::guard::Normalize(p).text);
    size_t sink = 0;
    const double norm = PerSecond(p300, seconds / 3, [&](const std::string& p) { sink += rsf::guard::Normalize(p).text.size(); });
    auto rules = rsf::guard::RuleSet::Compile(guard.config().rules, engine);
    const double rule = PerSecond(normalized, seconds / 3, [&](const std::string& n) { sink += (*rules)->Match(n).size(); });
    const auto& m = guard.model();
    double probs[rsf::guard::LinearModel::kMaxHeads];
    const double score = PerSecond(normalized, seconds / 3, [&](const std::string& n) {
      m.ScoreText(n, std::span<double>(probs, m.heads.size()));
      sink += probs[0] > 0.5;
    });
    std::printf("  layers (µs per prompt): normalise %.2f · rules %.2f · model (n-grams hashed and scored in one pass) %.2f\n",
                1e6 / norm, 1e6 / rule, 1e6 / score);

    // Latency, 4 KB prompts.
    std::vector<double> us;
    const auto lat_end = Clock::now() + std::chrono::duration<double>(seconds);
    size_t i = 0;
    while (Clock::now() < lat_end || us.size() < 1000) {
      const auto t0 = Clock::now();
      blocked += guard.Classify(p4k[i++ % p4k.size()]).blocked();
      us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    auto q = [&](double f) { return us[std::min(us.size() - 1, static_cast<size_t>(f * static_cast<double>(us.size())))]; };
    std::printf("4 KB prompts (%zu timed):      p50 %.1f µs · p99 %.1f µs · p99.9 %.1f µs · max %.1f µs   bar p99 < 100 µs: %s\n",
                us.size(), q(0.5), q(0.99), q(0.999), us.back(), q(0.99) < 100 ? "PASS" : "FAIL");
    // The same prompts, each timed five times in a row and its fastest kept: an interruption
    // rarely hits all five, so this is the code's own cost (with warm caches), for comparison.
    std::vector<double> best;
    for (const std::string& p : p4k) {
      double fastest = 1e18;
      for (int r = 0; r < 5; ++r) {
        const auto t0 = Clock::now();
        blocked += guard.Classify(p).blocked();
        fastest = std::min(fastest, std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      best.push_back(fastest);
    }
    std::sort(best.begin(), best.end());
    std::printf("  same prompts, fastest of 5 runs each (interruptions removed, caches warm): p50 %.1f µs · p99 %.1f µs\n",
                best[best.size() / 2], best[best.size() * 99 / 100]);
    const NoiseFloor floor = MeasureNoiseFloor(std::min(seconds, 2.0));
    const double hit = std::min(1.0, floor.gaps_per_second * (q(0.5) + floor.median_gap_us) / 1e6);
    std::printf("  noise floor of this core: %.0f interruptions/s of median %.1f µs (%.1f%% of the time); "
                "expected share of 4 KB calls interrupted %.1f%%, so p99 >= p50 + one gap when that exceeds 1%%\n",
                floor.gaps_per_second, floor.median_gap_us, 100 * floor.stolen_share, 100 * hit);
    std::printf("  (%zu blocked verdicts, checksum %zu)\n", blocked, sink % 997);
  }
  return 0;
}
