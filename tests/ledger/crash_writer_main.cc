// A ledger writer for the SIGKILL test: appends entries "kill-<start + i>" from four threads,
// publishing in the background every few milliseconds, and prints "<i> <index>" on stdout
// (flushed) after each append is acknowledged. The test kills it at a random moment.
//
//   ledger_crash_writer <ledger dir> <first entry number>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "rsf/ledger/ledger.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ledger_crash_writer DIR FIRST\n");
    return 2;
  }
  rsf::ledger::LedgerOptions options;
  options.checkpoint_interval = std::chrono::milliseconds(3);
  options.max_pending_bytes = 256 << 10;
  auto lg = rsf::ledger::Ledger::Open(rsf::Env::Default(), argv[1], options);
  if (!lg.ok()) {
    std::fprintf(stderr, "open: %s\n", lg.status().ToString().c_str());
    return 1;
  }
  const uint64_t first = std::strtoull(argv[2], nullptr, 10);
  std::mutex out_mu;
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = first + t;; i += 4) {
        rsf::ledger::Entry e;
        e.type = "test.kill";
        e.time = "2026-11-22T08:16:00.000Z";
        e.subject = "kill-" + std::to_string(i);
        e.body = rsf::Json{{"payload", std::string(200, static_cast<char>('a' + i % 26))}};
        auto r = (*lg)->Append(e);
        if (!r.ok()) {
          std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
          std::exit(1);
        }
        std::lock_guard<std::mutex> lock(out_mu);
        std::printf("%llu %llu\n", static_cast<unsigned long long>(i),
                    static_cast<unsigned long long>(r->index));
        std::fflush(stdout);
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
