// The incident record, its state machine and the store.
#include "rsf/incident/incident.h"

#include <gtest/gtest.h>

#include <thread>

#include "rsf/incident/incident_store.h"
#include "rsf/store/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace rsf::incident {
namespace {

TEST(IncidentTest, StatesMoveForwardOnly) {
  EXPECT_RSF_OK(CheckTransition(State::kReported, State::kTriaged));
  EXPECT_RSF_OK(CheckTransition(State::kReported, State::kContained));  // automatic containment before triage
  EXPECT_RSF_OK(CheckTransition(State::kResolved, State::kReviewed));
  EXPECT_EQ(CheckTransition(State::kContained, State::kTriaged).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckTransition(State::kTriaged, State::kTriaged).code(), StatusCode::kFailedPrecondition);
  const Status skip = CheckTransition(State::kContained, State::kReviewed);
  EXPECT_EQ(skip.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(skip.message().find("only a resolved incident"), std::string::npos);
}

TEST(IncidentTest, NamesRoundTrip) {
  for (auto k : {Kind::kMisuse, Kind::kJailbreak, Kind::kCapabilitySurprise, Kind::kWeightsSecurity, Kind::kData, Kind::kOutage}) {
    EXPECT_EQ(ParseKind(KindName(k)), k);
  }
  for (auto s : {Severity::kLow, Severity::kMedium, Severity::kHigh, Severity::kCritical}) EXPECT_EQ(ParseSeverity(SeverityName(s)), s);
  EXPECT_FALSE(ParseKind("weapons").has_value());
  EXPECT_FALSE(ParseState("closed").has_value());
}

Incident Sample() {
  Incident x;
  x.id = "inc-1";
  x.kind = Kind::kJailbreak;
  x.severity = Severity::kHigh;
  x.state = State::kTriaged;
  x.title = "Universal jailbreak";
  x.summary = "the exact prompt: <hazardous>";
  x.models = {"frontier-1"};
  x.events = {"serious_incident"};
  x.opened = "2026-01-01T00:00:00.000Z";
  x.entered = {{"reported", "2026-01-01T00:00:00.000Z"}, {"triaged", "2026-01-01T01:00:00.000Z"}};
  x.steps = {{"halt", "done"}};
  x.filed.push_back({"eu-serious-incident", "2026-01-02T00:00:00.000Z", "admin:k", "AIO-7"});
  x.timeline.push_back({"2026-01-01T00:30:00.000Z", "admin:k", "note", "it also works on <hazard>", {{"k", 1}}});
  return x;
}

TEST(IncidentTest, JsonRoundTripsAndHidesFreeTextFromAuditors) {
  const Incident x = Sample();
  auto back = IncidentFromJson(x.ToJson(true));
  ASSERT_RSF_OK(back);
  EXPECT_EQ(back->ToJson(true), x.ToJson(true));
  const Json redacted = x.ToJson(false);
  EXPECT_EQ(redacted["summary"]["sha256"], TextDigest(x.summary));
  EXPECT_EQ(redacted["timeline"][0]["text"]["sha256"], TextDigest("it also works on <hazard>"));
  EXPECT_EQ(redacted.dump().find("hazard"), std::string::npos);
  // A redacted record is not mistaken for the real one.
  EXPECT_EQ(IncidentFromJson(redacted).status().code(), StatusCode::kInvalidArgument);
}

TEST(IncidentTest, MalformedRecordsNameTheField) {
  Json j = Sample().ToJson(true);
  j["kind"] = "weapons";
  auto r = IncidentFromJson(j);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("kind 'weapons'"), std::string::npos);
  j = Sample().ToJson(true);
  j.erase("opened");
  EXPECT_NE(IncidentFromJson(j).status().message().find("'opened' is required"), std::string::npos);
  // Fields of the wrong type are errors that name them, never exceptions: these records come
  // back from a store another process may have written.
  j = Sample().ToJson(true);
  j["escalated"] = "yes";
  EXPECT_NE(IncidentFromJson(j).status().message().find("field 'escalated': expected true or false"), std::string::npos);
  j = Sample().ToJson(true);
  j["filed"][0]["time"] = 7;
  EXPECT_NE(IncidentFromJson(j).status().message().find("filed[0]: field 'time'"), std::string::npos);
  j = Sample().ToJson(true);
  j["timeline"][0]["what"] = Json::array();
  EXPECT_NE(IncidentFromJson(j).status().message().find("timeline[0]: field 'what'"), std::string::npos);
  j = Sample().ToJson(true);
  j["timeline"] = "none";
  EXPECT_NE(IncidentFromJson(j).status().message().find("'timeline' must be a list"), std::string::npos);
}

TEST(IncidentStoreTest, CreatesListsAndUpdatesWithoutLosingConcurrentChanges) {
  rsf::testing::TempDir dir;
  auto st = store::OpenSqliteStore(dir.Sub("s.db"));
  ASSERT_RSF_OK(st);
  rsf::testing::FakeClock clock;
  IncidentStore incidents(**st, clock);
  Incident draft;
  draft.title = "t";
  auto x = incidents.Create(draft, "cli");
  ASSERT_RSF_OK(x);
  EXPECT_EQ(x->id.rfind("inc-", 0), 0u);
  EXPECT_EQ(x->opened, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(x->entered.at("reported"), x->opened);
  ASSERT_EQ(x->timeline.size(), 1u);
  EXPECT_EQ(x->timeline[0].what, "opened");
  // Two writers append notes at once; compare-and-swap keeps all of them.
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto u = incidents.Update(x->id, [&](Incident& y) {
          y.timeline.push_back({"", "w" + std::to_string(t), "note", std::to_string(i), Json::object()});
          return OkStatus();
        });
        EXPECT_RSF_OK(u);
      }
    });
  }
  for (auto& w : writers) w.join();
  auto got = incidents.Get(x->id);
  ASSERT_RSF_OK(got);
  EXPECT_EQ(got->timeline.size(), 41u);
  // A change that fails writes nothing.
  auto failed = incidents.Update(x->id, [](Incident& y) {
    y.title = "changed";
    return FailedPreconditionError("no");
  });
  EXPECT_EQ(failed.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(incidents.Get(x->id)->title, "t");
  EXPECT_EQ(incidents.Get("inc-nope").status().code(), StatusCode::kNotFound);
  auto list = incidents.List();
  ASSERT_RSF_OK(list);
  EXPECT_EQ(list->size(), 1u);
}

}  // namespace
}  // namespace rsf::incident
