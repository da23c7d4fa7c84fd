// The responder: runbooks carried out through a fake actuator and notifier (the seams), the
// store a real SQLite file, the ledger a recording sink.
#include "rsf/incident/responder.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "rsf/store/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::incident {
namespace {

class FakeActuator final : public Actuator {
 public:
  Status Apply(const Action& a, const Incident&) override {
    std::lock_guard lock(mu);
    ++applies[a.target];
    if (fail_first[a.target] > 0) {
      --fail_first[a.target];
      return UnavailableError("store busy");
    }
    if (missing.contains(a.target)) return NotFoundError("no such key");
    if (!sticks.contains(a.target)) in_effect.insert(a.target);
    return OkStatus();
  }
  Result<bool> Holds(const Action& a) override {
    std::lock_guard lock(mu);
    return in_effect.contains(a.target);
  }
  std::mutex mu;
  std::map<std::string, int> applies, fail_first;
  std::set<std::string> in_effect, missing, sticks;  // sticks: applies "successfully" but never holds
};

class FakeNotifier final : public Notifier {
 public:
  Status Send(const std::string& url, const Json& payload) override {
    std::lock_guard lock(mu);
    sent.push_back({url, payload});
    return down ? UnavailableError("pager down") : OkStatus();
  }
  std::mutex mu;
  bool down = false;
  std::vector<std::pair<std::string, Json>> sent;
};

constexpr const char* kBook = R"(runbook: misuse-high
match: {kinds: [misuse], min_severity: high}
commander: oncall
escalate: {webhook: "http://esc/"}
retries: 2
retry_delay: 100ms
steps:
  - {id: revoke, action: revoke_key, target: "{key}"}
  - {id: halt, action: halt_model, target: "{model}"}
  - {id: page, action: notify, webhook: "http://page/"}
)";

class ResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto st = store::OpenSqliteStore(dir_.Sub("s.db"));
    ASSERT_RSF_OK(st);
    store_ = std::move(*st);
    incidents_ = std::make_unique<IncidentStore>(*store_, clock_);
    responder_ = std::make_unique<Responder>(*incidents_, actuator_, notifier_,
                                             [this](const std::string& type, const std::string&, const Json& body) -> Result<uint64_t> {
                                               std::lock_guard lock(mu_);
                                               ledger_.push_back({{"type", type}, {"body", body}});
                                               return ledger_.size() - 1;
                                             },
                                             clock_);
    auto policy = LoadIncidentPolicy(R"(incidents:
  events: [{event: safety_incident, severities: [high, critical]}]
  rules:
    - {id: burst, signal: guard.cbrn, count: 2, within: 1m, open: {kind: misuse, severity: high, title: Burst}}
)", "p.yaml");
    ASSERT_RSF_OK(policy);
    policy_ = *policy;
    responder_->Configure(policy_, {*ParseRunbook(kBook, "b.yaml")});
  }
  std::vector<std::string> LedgerTypes() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : ledger_) out.push_back(e["type"]);
    return out;
  }
  Incident Detect(const std::string& key) {
    Monitor m(policy_, clock_);
    std::vector<Detection> d;
    for (int i = 0; i < 2 && d.empty(); ++i) d = m.Observe({key, "public", "frontier-1", "stable", ""}, {"guard.cbrn"});
    EXPECT_EQ(d.size(), 1u);
    responder_->Submit(d[0]);
    responder_->Drain();
    auto list = incidents_->List();
    EXPECT_RSF_OK(list);
    return list->back();
  }

  rsf::testing::TempDir dir_;
  rsf::testing::FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<IncidentStore> incidents_;
  FakeActuator actuator_;
  FakeNotifier notifier_;
  std::mutex mu_;
  std::vector<Json> ledger_;
  IncidentPolicy policy_;
  std::unique_ptr<Responder> responder_;
};

TEST_F(ResponderTest, ADetectionOpensAnIncidentAndTheRunbookContainsIt) {
  const Incident x = Detect("key1");
  EXPECT_EQ(x.kind, Kind::kMisuse);
  EXPECT_EQ(x.title, "Burst");
  EXPECT_EQ(x.source, "rule:burst");
  EXPECT_EQ(x.runbook, "misuse-high");
  EXPECT_EQ(x.commander, "oncall");
  EXPECT_EQ(x.events, std::vector<std::string>{"safety_incident"});
  EXPECT_EQ(x.state, State::kContained);
  EXPECT_EQ(x.steps.at("revoke"), "done");
  EXPECT_EQ(x.steps.at("halt"), "done");
  EXPECT_EQ(x.steps.at("page"), "done");
  EXPECT_TRUE(actuator_.in_effect.contains("key1"));
  EXPECT_TRUE(actuator_.in_effect.contains("frontier-1"));
  ASSERT_EQ(notifier_.sent.size(), 1u);
  EXPECT_EQ(notifier_.sent[0].first, "http://page/");
  EXPECT_EQ(notifier_.sent[0].second["incident"]["id"], x.id);
  std::vector<std::string> whats;
  for (const auto& t : x.timeline) whats.push_back(t.what);
  EXPECT_EQ(whats, (std::vector<std::string>{"opened", "action.done", "action.done", "notified", "state.contained"}));
  EXPECT_EQ(LedgerTypes(), (std::vector<std::string>{"incident.opened", "incident.action", "incident.action", "incident.action",
                                                     "incident.action", "incident.action", "incident.updated"}));
}

TEST_F(ResponderTest, ATransientFailureIsRetried) {
  actuator_.fail_first["key1"] = 2;
  const Incident x = Detect("key1");
  EXPECT_EQ(actuator_.applies["key1"], 3);
  EXPECT_EQ(x.steps.at("revoke"), "done");
  EXPECT_EQ(x.state, State::kContained);
}

TEST_F(ResponderTest, AnActionThatKeepsFailingIsEscalatedNeverReportedDone) {
  actuator_.fail_first["key1"] = 100;
  actuator_.sticks.insert("frontier-1");  // claims success but does not hold
  const Incident x = Detect("key1");
  EXPECT_EQ(actuator_.applies["key1"], 3);  // the first attempt and two retries
  EXPECT_EQ(x.steps.at("revoke"), "failed");
  EXPECT_EQ(x.steps.at("halt"), "failed");
  EXPECT_EQ(x.steps.at("page"), "done");
  EXPECT_TRUE(x.escalated);
  EXPECT_EQ(x.state, State::kReported);  // not contained
  int failed = 0;
  for (const auto& t : x.timeline) {
    if (t.what != "action.failed") continue;
    ++failed;
    EXPECT_EQ(t.detail["attempts"], 3);
    EXPECT_EQ(t.detail["escalation"], "escalation webhook called");
  }
  EXPECT_EQ(failed, 2);
  int escalations = 0;
  for (const auto& [url, payload] : notifier_.sent) escalations += url == "http://esc/" ? 1 : 0;
  EXPECT_EQ(escalations, 2);
  auto types = LedgerTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "incident.escalated"), 2);
}

TEST_F(ResponderTest, AMissingTargetFailsAtOnce) {
  actuator_.missing.insert("key1");
  const Incident x = Detect("key1");
  EXPECT_EQ(actuator_.applies["key1"], 1);
  EXPECT_EQ(x.steps.at("revoke"), "failed");
}

TEST_F(ResponderTest, StepsNeedingApprovalWaitForIt) {
  responder_->Configure(policy_, {*ParseRunbook(R"(runbook: gated
steps:
  - {id: halt, action: halt_model, target: "{model}", approval: true}
  - {id: page, action: notify, webhook: "http://page/"}
)", "g.yaml")});
  Incident draft;
  draft.kind = Kind::kOutage;
  draft.models = {"frontier-1"};
  auto x = responder_->Open(draft, "admin:k");
  ASSERT_RSF_OK(x);
  responder_->Drain();
  auto waiting = incidents_->Get(x->id);
  EXPECT_EQ(waiting->steps.at("halt"), "awaiting_approval");
  EXPECT_EQ(waiting->steps.at("page"), "pending");
  EXPECT_TRUE(notifier_.sent.empty());
  EXPECT_EQ(responder_->Approve(x->id, "page", "admin:k").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_RSF_OK(responder_->Approve(x->id, "halt", "admin:k"));
  responder_->Drain();
  auto done = incidents_->Get(x->id);
  EXPECT_EQ(done->steps.at("halt"), "done");
  EXPECT_EQ(done->steps.at("page"), "done");
  EXPECT_EQ(done->state, State::kContained);
}

TEST_F(ResponderTest, TransitionsNotesTriageAndFilingAreRecorded) {
  Incident draft;
  draft.kind = Kind::kData;
  draft.severity = Severity::kLow;
  auto x = responder_->Open(draft, "cli");
  ASSERT_RSF_OK(x);
  EXPECT_TRUE(x->runbook.empty());  // no runbook matches data/low
  TriagePatch p;
  p.severity = Severity::kHigh;
  p.commander = "alice";
  auto t = responder_->Triage(x->id, p, "admin:k");
  ASSERT_RSF_OK(t);
  EXPECT_EQ(t->events, std::vector<std::string>{"safety_incident"});  // raised by the new severity
  ASSERT_RSF_OK(responder_->Transition(x->id, State::kTriaged, "admin:k", "looked at it"));
  EXPECT_EQ(responder_->Transition(x->id, State::kReported, "admin:k", "").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_RSF_OK(responder_->AddNote(x->id, "admin:k", "details"));
  ASSERT_RSF_OK(responder_->File(x->id, "ny-safety-incident", "NY-1", "admin:k"));
  EXPECT_EQ(responder_->File(x->id, "ny-safety-incident", "NY-1", "admin:k").status().code(), StatusCode::kFailedPrecondition);
  auto got = incidents_->Get(x->id);
  EXPECT_EQ(got->state, State::kTriaged);
  EXPECT_EQ(got->filed.size(), 1u);
  EXPECT_EQ(LedgerTypes(), (std::vector<std::string>{"incident.opened", "incident.triage", "incident.updated", "incident.note", "incident.filed"}));
  // The ledger never carries the note's text, only its digest.
  std::lock_guard lock(mu_);
  for (const auto& e : ledger_) EXPECT_EQ(e.dump().find("details"), std::string::npos);
}

}  // namespace
}  // namespace rsf::incident
