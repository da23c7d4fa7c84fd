// Runbooks: parsing, selection, targets.
#include "rsf/incident/runbook.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace rsf::incident {
namespace {

constexpr const char* kBook = R"(runbook: misuse-high
match: {kinds: [misuse, jailbreak], min_severity: high}
commander: oncall
escalate: {webhook: "http://127.0.0.1:1/esc"}
retries: 2
retry_delay: 250ms
steps:
  - {id: revoke, action: revoke_key, target: "{key}"}
  - {id: restrict, action: restrict_tier, target: "{tier}", approval: true}
  - {id: page, action: notify, webhook: "http://127.0.0.1:1/page"}
)";

TEST(RunbookTest, Parses) {
  auto b = ParseRunbook(kBook, "b.yaml");
  ASSERT_RSF_OK(b);
  EXPECT_EQ(b->id, "misuse-high");
  EXPECT_EQ(b->kinds.size(), 2u);
  EXPECT_EQ(b->min_severity, Severity::kHigh);
  EXPECT_EQ(b->retries, 2);
  EXPECT_EQ(b->retry_delay, std::chrono::milliseconds(250));
  ASSERT_EQ(b->steps.size(), 3u);
  EXPECT_EQ(b->steps[1].action, ActionKind::kRestrictTier);
  EXPECT_TRUE(b->steps[1].approval);
  EXPECT_EQ(b->steps[2].webhook, "http://127.0.0.1:1/page");
  EXPECT_EQ(b->steps[0].where, "b.yaml:8");
}

TEST(RunbookTest, MalformedRunbooksAreRefusedWithFileAndLine) {
  struct Case {
    std::string yaml, expected;
  } cases[] = {
      {"runbook: x\nsteps:\n  - {id: a, action: reboot, target: x}\n", "b.yaml:3:"},
      {"runbook: x\nsteps:\n  - {id: a, action: reboot, target: x}\n", "unknown action 'reboot'"},
      {"runbook: x\nsteps:\n  - {id: a, action: halt_model}\n", "needs a 'target'"},
      {"runbook: x\nsteps:\n  - {id: a, action: halt_model, target: \"{user}\"}\n", "is not one of"},
      {"runbook: x\nsteps:\n  - {id: a, action: notify, webhook: ftp://x}\n", "http:// or https://"},
      {"runbook: x\nsteps:\n  - {id: a, action: notify, webhook: http://x}\n  - {id: a, action: notify, webhook: http://x}\n", "duplicate step id"},
      {"runbook: x\nsteps: []\n", "non-empty list of 'steps'"},
      {"runbook: x\nmatch: {min_severity: urgent}\nsteps:\n  - {id: a, action: notify, webhook: http://x}\n", "b.yaml:2:"},
      {"runbook: x\nretry_delay: forever\nsteps:\n  - {id: a, action: notify, webhook: http://x}\n", "'retry_delay' must be"},
      {"runbook: [x\n", "b.yaml:"},
  };
  for (const auto& c : cases) {
    auto b = ParseRunbook(c.yaml, "b.yaml");
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(b.status().message().find(c.expected), std::string::npos) << b.status().message();
  }
}

TEST(RunbookTest, SelectsTheMostSpecificMatch) {
  std::vector<Runbook> books;
  books.push_back(*ParseRunbook("runbook: any\nsteps:\n  - {id: a, action: notify, webhook: http://x}\n", "a.yaml"));
  books.push_back(*ParseRunbook(kBook, "b.yaml"));
  books.push_back(*ParseRunbook("runbook: crit\nmatch: {kinds: [misuse], min_severity: critical}\nsteps:\n  - {id: a, action: notify, webhook: http://x}\n", "c.yaml"));
  EXPECT_EQ(SelectRunbook(books, Kind::kMisuse, Severity::kLow)->id, "any");
  EXPECT_EQ(SelectRunbook(books, Kind::kMisuse, Severity::kHigh)->id, "misuse-high");
  EXPECT_EQ(SelectRunbook(books, Kind::kMisuse, Severity::kCritical)->id, "crit");
  EXPECT_EQ(SelectRunbook(books, Kind::kJailbreak, Severity::kCritical)->id, "misuse-high");
  EXPECT_EQ(SelectRunbook({books[1]}, Kind::kOutage, Severity::kCritical), nullptr);
}

TEST(RunbookTest, TargetsComeFromTheIncident) {
  auto b = ParseRunbook(kBook, "b.yaml");
  ASSERT_RSF_OK(b);
  Incident x;
  x.context = {{"key", "0123456789abcdef"}};
  x.tiers = {"public"};
  EXPECT_EQ(*ResolveTarget(b->steps[0], x), "0123456789abcdef");
  EXPECT_EQ(*ResolveTarget(b->steps[1], x), "public");
  x.context.clear();
  EXPECT_EQ(ResolveTarget(b->steps[0], x).status().code(), StatusCode::kNotFound);
}

TEST(RunbookTest, TheShippedRunbooksLoad) {
  auto books = LoadRunbooks(Env::Default(), {std::string(RSF_SOURCE_DIR) + "/examples/incidents/runbooks"});
  ASSERT_RSF_OK(books);
  EXPECT_EQ(books->size(), 4u);
  EXPECT_EQ(SelectRunbook(*books, Kind::kWeightsSecurity, Severity::kCritical)->id, "weights-security");
  EXPECT_EQ(SelectRunbook(*books, Kind::kOutage, Severity::kLow)->id, "default");
  auto twice = LoadRunbooks(Env::Default(), {std::string(RSF_SOURCE_DIR) + "/examples/incidents/runbooks",
                                             std::string(RSF_SOURCE_DIR) + "/examples/incidents/runbooks/default.yaml"});
  EXPECT_NE(twice.status().message().find("also defined in"), std::string::npos);
}

}  // namespace
}  // namespace rsf::incident
