// include/rsf/guard/escalation.h
//
// The guard's third layer: texts the linear model is unsure about (Verdict::uncertain) go to
// an LLM judge through the model client (model.h), off the request path and within a budget:
// at most `max_in_flight` judge calls at once, at most `per_minute` started in any 60 seconds,
// at most `max_queue` waiting. Work over budget is refused at Submit (and counted) — the
// model's verdict then stands, so a flood of borderline text cannot run up an unbounded bill
// or queue. A judge that fails, times out or answers in an unexpected form leaves the model's
// verdict in place (fail closed) and says why.
//
// The judge sees the taxonomy's enabled categories and the text between markers, and must
// answer "safe" or "unsafe: <category ids>" on its first line.
//
// Thread safety: Submit, Drain and stats are safe from many threads; `done` callbacks run on
// the escalator's worker threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/status.h"
#include "rsf/guard/config.h"
#include "rsf/guard/guard.h"
#include "rsf/model/model.h"

namespace rsf::guard {

struct JudgeOutcome {
  Status status;  // not OK: no usable answer (the reason)
  bool unsafe = false;
  std::vector<std::string> categories;  // enabled category ids the judge named
  std::string reply;                    // the judge's first line, at most 200 bytes
};

std::string JudgePrompt(std::string_view text, const GuardConfig& config);
JudgeOutcome ParseJudgeReply(std::string_view reply, const GuardConfig& config);

// Folds the judge's answer into a verdict: model hits are replaced by the judge's (rule hits
// stay); a failed judgement leaves the verdict as it was and records the failure.
void ApplyJudgement(const JudgeOutcome& outcome, const GuardConfig& config, Verdict& verdict);

struct EscalatorStats {
  uint64_t submitted = 0;
  uint64_t refused_budget = 0;  // over per_minute
  uint64_t refused_queue = 0;   // queue full
  uint64_t judged = 0;
  uint64_t failed = 0;
};

class Escalator {
 public:
  // `judge` and `clock` must outlive the escalator.
  Escalator(model::ModelClient& judge, GuardConfig config, const Clock& clock);
  ~Escalator();  // finishes queued work, then stops
  Escalator(const Escalator&) = delete;
  Escalator& operator=(const Escalator&) = delete;

  // Queues `text` for the judge; `done` receives the outcome. Returns false, without calling
  // `done`, when escalation is disabled or the budget or queue is exhausted.
  bool Submit(std::string text, std::function<void(JudgeOutcome)> done);
  // Blocks until everything submitted so far has been judged.
  void Drain();
  EscalatorStats stats() const;

 private:
  struct Job {
    std::string text;
    std::function<void(JudgeOutcome)> done;
  };
  void Work();
  JudgeOutcome Judge(const std::string& text);

  model::ModelClient& judge_;
  const GuardConfig config_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<Job> queue_;
  std::deque<std::chrono::steady_clock::time_point> starts_;  // submissions in the last minute
  int busy_ = 0;
  bool stopping_ = false;
  EscalatorStats stats_;
  std::vector<std::thread> workers_;
};

}  // namespace rsf::guard
