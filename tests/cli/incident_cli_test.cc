// `rsf drill` and `rsf incident` as a user runs them: scenario checks, clear errors naming the
// file and line, and refusals when the key or the gateway is missing.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <fstream>

#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace rsf::cli {
namespace {

using testing::ProcessResult;
using testing::RunProcess;

ProcessResult Rsf(std::vector<std::string> args) {
  args.insert(args.begin(), RSF_BINARY);
  return RunProcess(args, "");
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

TEST(IncidentCliTest, ChecksTheShippedDrillScenarios) {
  const std::string drills = std::string(RSF_SOURCE_DIR) + "/examples/incidents/drills/";
  auto r = Rsf({"drill", "check", drills + "weapons-burst.yaml", drills + "universal-jailbreak.yaml", drills + "weights-alarm.yaml"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("drill 'weapons-burst' is valid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("drill 'weights-alarm' is valid"), std::string::npos) << r.out;
}

TEST(IncidentCliTest, ABadScenarioIsRefusedWithItsFileAndLine) {
  rsf::testing::TempDir tmp;
  const std::string bad = tmp.Sub("bad.yaml");
  std::ofstream(bad) << "drill: d\nkeys: {k: public}\ninject:\n  - {requests: 2, key: k, model: m, prompt: hi}\ncolour: red\n";
  auto r = Rsf({"drill", "check", bad});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_NE(r.err.find(bad + ":5:1: unknown field 'colour'"), std::string::npos) << r.err;
  auto missing = Rsf({"drill", "check", tmp.Sub("nope.yaml")});
  EXPECT_EQ(missing.exit_code, 4) << Describe(missing);
}

TEST(IncidentCliTest, RefusesWithoutAKeyOrAReachableGateway) {
  const std::string scenario = std::string(RSF_SOURCE_DIR) + "/examples/incidents/drills/weapons-burst.yaml";
  unsetenv("RSF_ADMIN_KEY");  // the child inherits the environment
  auto r = Rsf({"drill", "run", scenario});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_NE(r.err.find("an admin key is needed"), std::string::npos) << r.err;
  auto down = Rsf({"incident", "list", "--gateway", "http://127.0.0.1:1", "--key", "rsf-x"});
  EXPECT_EQ(down.exit_code, 8) << Describe(down);
  EXPECT_NE(down.err.find("Connection refused"), std::string::npos) << down.err;
}

TEST(IncidentCliTest, HelpListsEveryCommand) {
  auto r = Rsf({"incident", "--help"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  for (const char* c : {"list", "show", "open", "triage", "transition", "note", "approve", "filed", "clocks", "draft", "report",
                        "webhook-sink"}) {
    EXPECT_NE(r.out.find(c), std::string::npos) << c;
  }
  auto d = Rsf({"drill", "--help"});
  ASSERT_EQ(d.exit_code, 0) << Describe(d);
  for (const char* c : {"run", "check", "history"}) EXPECT_NE(d.out.find(c), std::string::npos) << c;
}

}  // namespace
}  // namespace rsf::cli
