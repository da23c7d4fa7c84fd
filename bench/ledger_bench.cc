// Ledger benchmarks (Google Benchmark). What they measure, and the bars they are held to
// (issue #2; results recorded in docs/benchmarks.md):
//   BM_DurableAppend         entries/s acknowledged as durable (fdatasync'd group commit),
//                            ~300-byte entries, background checkpointing every second.
//                            Bar: >= 50,000/s on 2 cores. Published single-node reference
//                            for a comparable log (Tessera POSIX): ~10,000/s.
//   BM_InclusionPath         inclusion path generation from tiles on a 1M-entry log, random
//                            leaves, one thread. Bar: >= 100,000/s.
//   BM_InclusionBundle       the same plus reading the entry and building the .tlog-proof.
//   BM_InclusionVerify       verifying an inclusion proof, one thread. Bar: >= 100,000/s.
//   BM_EncodeBatchEntry      encoding one gateway.requests entry of 180 audit records (~60 KB,
//                            what a busy gateway flushes): EncodeEntry, against the canonical
//                            form of EntryToJson's tree (which copies the body first).
// The ledger lives in $RSF_BENCH_DIR (default: a new directory under /tmp).
#include <benchmark/benchmark.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "ledger/tile_reader.h"
#include "rsf/ledger/ledger.h"
#include "rsf/ledger/proof.h"
#include "testing/ledger_util.h"

namespace rsf::ledger {
namespace {

std::string BenchDir(const std::string& name) {
  const char* base = std::getenv("RSF_BENCH_DIR");
  std::string root = base ? base : std::filesystem::temp_directory_path().string();
  std::string dir = root + "/rsf-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

// A new ledger in `dir` that publishes a checkpoint every second, as a server would; null
// (with the benchmark marked skipped) if it cannot be created.
std::unique_ptr<Ledger> OpenBenchLedger(benchmark::State& state, const std::string& dir) {
  if (!Ledger::Init(Env::Default(), dir, "bench.rsf.example/log").ok()) {
    state.SkipWithError("init failed");
    return nullptr;
  }
  LedgerOptions options;
  options.checkpoint_interval = std::chrono::milliseconds(1000);
  auto lg = Ledger::Open(Env::Default(), dir, options);
  if (!lg.ok()) {
    state.SkipWithError("open failed");
    return nullptr;
  }
  return std::move(*lg);
}

void BM_DurableAppend(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  std::string dir = BenchDir("append");
  auto lg = OpenBenchLedger(state, dir);
  if (!lg) return;
  std::vector<Entry> entries;
  for (size_t i = 0; i < batch; ++i) entries.push_back(testing::MakeTestEntry(i));
  size_t entry_bytes = EncodeEntry(entries[0])->size();
  const size_t per_thread = std::max<size_t>(batch, 20000 / static_cast<size_t>(threads) / batch * batch);
  uint64_t total = 0;
  for (auto _ : state) {
    std::vector<std::thread> pool;
    std::atomic<bool> failed{false};
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (size_t done = 0; done < per_thread; done += batch) {
          if (!lg->AppendBatch(entries).ok()) failed = true;
        }
      });
    }
    for (auto& th : pool) th.join();
    if (failed) state.SkipWithError("append failed");
    total += per_thread * static_cast<size_t>(threads);
  }
  state.counters["entries_per_s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.counters["entry_bytes"] = static_cast<double>(entry_bytes);
  state.SetLabel(std::to_string(threads) + " threads x batches of " + std::to_string(batch));
  (void)lg->Close();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DurableAppend)
    ->ArgNames({"threads", "batch"})
    ->Args({1, 1})->Args({16, 1})->Args({64, 1})->Args({256, 1})
    ->Args({1, 64})->Args({4, 64})->Args({1, 1024})->Args({4, 256})
    ->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);

// One producer thread queues single entries with AppendAsync, as a server's request
// handlers would; the ledger's commit thread groups them into fdatasync'd commits.
void BM_DurableAppendAsync(benchmark::State& state) {
  std::string dir = BenchDir("async");
  auto lg = OpenBenchLedger(state, dir);
  if (!lg) return;
  Entry entry = testing::MakeTestEntry(7);
  constexpr uint64_t kPerIteration = 50000;
  uint64_t total = 0;
  for (auto _ : state) {
    std::atomic<uint64_t> acked{0};
    std::mutex mu;
    std::condition_variable cv;
    for (uint64_t i = 0; i < kPerIteration; ++i) {
      Status s = lg->AppendAsync(entry, [&](Result<AppendResult> r) {
        if (!r.ok()) std::abort();
        if (++acked == kPerIteration) {
          std::lock_guard<std::mutex> lock(mu);
          cv.notify_one();
        }
      });
      if (!s.ok()) state.SkipWithError("append failed");
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return acked.load() == kPerIteration; });
    total += kPerIteration;
  }
  state.counters["entries_per_s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
  state.SetLabel("1 producer, AppendAsync, acknowledged when durable");
  (void)lg->Close();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DurableAppendAsync)->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(2.0);

// One shared 1M-entry ledger for the proof benchmarks.
struct ProofFixture {
  std::string dir;
  std::unique_ptr<Ledger> ledger;
  uint64_t size = 0;
  std::vector<Hash> sample_leaves;

  static ProofFixture& Get() {
    static ProofFixture f = [] {
      ProofFixture p;
      const uint64_t n = std::getenv("RSF_BENCH_PROOF_ENTRIES")
                             ? std::strtoull(std::getenv("RSF_BENCH_PROOF_ENTRIES"), nullptr, 10)
                             : 1000000;
      p.dir = BenchDir("proof");
      (void)Ledger::Init(Env::Default(), p.dir, "bench.rsf.example/log");
      LedgerOptions o;
      o.tile_cache_tiles = 8192;
      p.ledger = std::move(*Ledger::Open(Env::Default(), p.dir, o));
      std::vector<Entry> batch;
      for (uint64_t i = 0; i < n; ++i) {
        batch.push_back(testing::MakeTestEntry(i));
        if (batch.size() == 8192 || i + 1 == n) {
          (void)p.ledger->AppendBatch(batch);
          batch.clear();
        }
      }
      p.size = p.ledger->Publish()->checkpoint.size;
      return p;
    }();
    return f;
  }
};

// Random inclusion paths through a TileReader with `cache_tiles` expanded tiles, optionally
// warmed first as a long-running server's cache would be.
void RunPathBenchmark(benchmark::State& state, size_t cache_tiles, bool warm, uint64_t seed,
                      const std::string& label) {
  auto& f = ProofFixture::Get();
  TileReader reader(Env::Default(), LedgerLogDir(f.dir), cache_tiles);
  TreeView view(reader, f.size);
  std::mt19937_64 rng(seed);
  if (warm) {
    for (uint64_t i = 0; i < f.size; i += 256) (void)InclusionProof(view, i, f.size);
  }
  uint64_t n = 0;
  for (auto _ : state) {
    auto proof = InclusionProof(view, rng() % f.size, f.size);
    benchmark::DoNotOptimize(proof);
    ++n;
  }
  state.counters["proofs_per_s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.SetLabel(label);
}

void BM_InclusionPath(benchmark::State& state) {
  RunPathBenchmark(state, 8192, true, 1,
                   "random leaves of a " + std::to_string(ProofFixture::Get().size) +
                       "-entry log, warm tile cache");
}
BENCHMARK(BM_InclusionPath)->MinTime(2.0);

void BM_InclusionPathColdCache(benchmark::State& state) {
  RunPathBenchmark(state, 64, false, 2, "64-tile cache: each proof reads and expands its level-0 tile");
}
BENCHMARK(BM_InclusionPathColdCache)->MinTime(2.0);

void BM_InclusionBundle(benchmark::State& state) {
  auto& f = ProofFixture::Get();
  std::mt19937_64 rng(3);
  uint64_t n = 0;
  for (auto _ : state) {
    auto bundle = f.ledger->ProveInclusion(rng() % f.size);
    benchmark::DoNotOptimize(bundle);
    ++n;
  }
  state.counters["proofs_per_s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.SetLabel("path + entry read from its bundle + signed checkpoint");
}
BENCHMARK(BM_InclusionBundle)->MinTime(2.0);

void BM_InclusionVerify(benchmark::State& state) {
  auto& f = ProofFixture::Get();
  std::mt19937_64 rng(4);
  Hash root = f.ledger->LatestCheckpoint().checkpoint.root;
  struct Case {
    uint64_t index;
    Hash leaf;
    std::vector<Hash> path;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 4096; ++i) {
    auto b = f.ledger->ProveInclusion(rng() % f.size);
    cases.push_back({b->index, LeafHash(b->entry), b->path});
  }
  size_t i = 0;
  uint64_t n = 0;
  for (auto _ : state) {
    const Case& c = cases[i++ % cases.size()];
    Status s = VerifyInclusion(c.index, f.size, c.leaf, c.path, root);
    if (!s.ok()) state.SkipWithError("proof did not verify");
    ++n;
  }
  state.counters["verifications_per_s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.SetLabel(std::to_string(cases[0].path.size()) + "-hash paths");
}
BENCHMARK(BM_InclusionVerify)->MinTime(2.0);

void BM_InclusionBundleVerify(benchmark::State& state) {
  auto& f = ProofFixture::Get();
  auto verifier = f.ledger->verifier();
  std::vector<InclusionBundle> bundles;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 256; ++i) bundles.push_back(*f.ledger->ProveInclusion(rng() % f.size));
  size_t i = 0;
  for (auto _ : state) {
    auto v = VerifyInclusionBundle(bundles[i++ % bundles.size()], verifier);
    if (!v.ok()) state.SkipWithError("bundle did not verify");
  }
  state.SetLabel("a whole .tlog-proof: Ed25519 checkpoint signature + path + entry decode");
}
BENCHMARK(BM_InclusionBundleVerify)->MinTime(1.0);

// arg 0: EncodeEntry; arg 1: CanonicalJson(EntryToJson(entry)), the same bytes via a copy.
void BM_EncodeBatchEntry(benchmark::State& state) {
  Entry batch;
  batch.type = "gateway.requests";
  batch.time = "2026-11-22T08:16:00.000Z";
  batch.subject = "gateway:requests";
  Json records = Json::array();
  for (uint64_t i = 0; i < 180; ++i) records.push_back(*testing::MakeTestEntry(i).body);
  batch.body = Json{{"count", records.size()}, {"records", std::move(records)}};
  const bool via_tree = state.range(0) == 1;
  size_t bytes = 0;
  for (auto _ : state) {
    auto encoded = via_tree ? CanonicalJson(EntryToJson(batch)) : EncodeEntry(batch);
    if (!encoded.ok()) state.SkipWithError("entry did not encode");
    bytes = encoded.ok() ? encoded->size() : 0;
    benchmark::DoNotOptimize(encoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetLabel(std::to_string(bytes) + "-byte entry, " + (via_tree ? "CanonicalJson(EntryToJson)" : "EncodeEntry"));
}
BENCHMARK(BM_EncodeBatchEntry)->Arg(0)->Arg(1)->MinTime(1.0);

}  // namespace
}  // namespace rsf::ledger

BENCHMARK_MAIN();
