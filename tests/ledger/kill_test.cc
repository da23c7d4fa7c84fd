// Crash safety with a real process: a writer is killed with SIGKILL at random moments,
// over and over; every acknowledged entry must be in the log after each restart, and the log
// must pass fsck.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "rsf/ledger/fsck.h"
#include "rsf/ledger/ledger.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::ledger {
namespace {

// Runs the writer until it acknowledges its first entry (at most 30 s: start-up under a
// sanitizer on a loaded machine can take most of a second), then `ms` milliseconds more, kills
// it with SIGKILL, and returns what it acknowledged: entry number -> index. Counting from the
// first acknowledgement puts every kill among appends, however slow the start.
std::map<uint64_t, uint64_t> RunAndKill(const std::string& dir, uint64_t first, int ms) {
  int pipefd[2];
  EXPECT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    std::string first_s = std::to_string(first);
    execl(RSF_CRASH_WRITER, RSF_CRASH_WRITER, dir.c_str(), first_s.c_str(), nullptr);
    _exit(127);
  }
  close(pipefd[1]);
  std::string out;
  char buf[65536];
  ssize_t n;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < give_up) {
    pollfd p{pipefd[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if ((n = read(pipefd[0], buf, sizeof(buf))) <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  EXPECT_NE(out.find('\n'), std::string::npos) << "the writer acknowledged nothing in 30 s";
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "writer exited on its own with " << WEXITSTATUS(status);
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  std::map<uint64_t, uint64_t> acked;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long i, index;
    // A line cut by the kill is not an acknowledgement the test can rely on.
    if (in.eof()) break;
    if (std::sscanf(line.c_str(), "%llu %llu", &i, &index) == 2) acked[i] = index;
  }
  return acked;
}

TEST(LedgerKillTest, SigkillAtRandomMomentsLosesNoAcknowledgedEntry) {
  testing::TempDir tmp;
  Env& env = Env::Default();
  std::string dir = tmp.Sub("ledger");
  auto verifier = Ledger::Init(env, dir, "kill.example/log");
  ASSERT_RSF_OK(verifier);
  std::mt19937 rng(std::random_device{}());
  std::map<uint64_t, uint64_t> all_acked;
  uint64_t next = 0;
  const int rounds = 25;
  for (int round = 0; round < rounds; ++round) {
    int ms = static_cast<int>(rng() % 150);
    auto acked = RunAndKill(dir, next, ms);
    for (const auto& [i, index] : acked) all_acked[i] = index;
    next += 1000000;  // entry numbers of each round are disjoint
    // Restart: recovery replays the WAL; then every acknowledged entry must be readable.
    auto lg = Ledger::Open(env, dir);
    ASSERT_RSF_OK(lg) << "round " << round;
    ASSERT_RSF_OK((*lg)->Publish());
    for (const auto& [i, index] : all_acked) {
      auto bytes = (*lg)->ReadEntry(index);
      ASSERT_RSF_OK(bytes) << "entry kill-" << i << " (index " << index << ") lost after round " << round;
      auto e = DecodeEntry(*bytes);
      ASSERT_RSF_OK(e);
      ASSERT_EQ(e->subject, "kill-" + std::to_string(i));
    }
    ASSERT_RSF_OK((*lg)->Close());
    FsckOptions o;
    o.verifier = *verifier;
    auto report = Fsck(env, dir, o);
    ASSERT_RSF_OK(report);
    ASSERT_TRUE(report->ok()) << report->findings.front().location << ": "
                              << report->findings.front().message;
  }
  EXPECT_GT(all_acked.size(), 100u) << "the writer acknowledged too little to test anything";
  std::printf("[ kill test ] %d SIGKILLs, %zu acknowledged entries, all present\n", rounds,
              all_acked.size());
}

}  // namespace
}  // namespace rsf::ledger
