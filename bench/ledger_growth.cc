// Memory while the ledger grows: appends N entries (default 10 million, ~300 bytes each)
// from 8 threads in batches of 256, with background checkpoints every second, and prints
// the process's resident memory after every million, plus the overall durable rate.
// The claim it checks (issue #2): memory stays bounded as the log grows.
//
//   ledger_growth [N] [DIR] [MAX_PENDING_MIB]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rsf/ledger/ledger.h"
#include "testing/ledger_util.h"

namespace {
double ResidentMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}
}  // namespace

int main(int argc, char** argv) {
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10000000;
  std::string dir = argc > 2 ? argv[2] : "/tmp/rsf-growth-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  auto& env = rsf::Env::Default();
  if (!rsf::ledger::Ledger::Init(env, dir, "growth.rsf.example/log").ok()) return 1;
  rsf::ledger::LedgerOptions options;
  options.checkpoint_interval = std::chrono::milliseconds(1000);
  if (argc > 3) options.max_pending_bytes = std::strtoull(argv[3], nullptr, 10) << 20;
  auto lg = rsf::ledger::Ledger::Open(env, dir, options);
  if (!lg.ok()) return 1;
  std::vector<rsf::ledger::Entry> batch;
  for (int i = 0; i < 256; ++i) batch.push_back(rsf::testing::MakeTestEntry(static_cast<uint64_t>(i)));
  std::atomic<uint64_t> appended{0};
  std::printf("%12s %10s %12s\n", "entries", "RSS MiB", "entries/s");
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  uint64_t last_count = 0;
  std::vector<std::thread> threads;
  std::atomic<bool> stop{false};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        if (appended.fetch_add(batch.size()) >= n) break;
        if (!(*lg)->AppendBatch(batch).ok()) std::abort();
      }
    });
  }
  uint64_t next_report = 1000000;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    uint64_t size = (*lg)->Size();
    if (size >= next_report || size >= n) {
      auto now = std::chrono::steady_clock::now();
      double rate = static_cast<double>(size - last_count) / std::chrono::duration<double>(now - last).count();
      std::printf("%12llu %10.1f %12.0f\n", static_cast<unsigned long long>(size), ResidentMiB(), rate);
      std::fflush(stdout);
      last = now;
      last_count = size;
      next_report += 1000000;
    }
    if (size >= n) break;
  }
  stop = true;
  for (auto& th : threads) th.join();
  (void)(*lg)->Close();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("appended %llu durable entries in %.1f s (%.0f/s); final RSS %.1f MiB\n",
              static_cast<unsigned long long>((*lg)->Size()), secs,
              static_cast<double>((*lg)->Size()) / secs, ResidentMiB());
  std::filesystem::remove_all(dir);
  return 0;
}
