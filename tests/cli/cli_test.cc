// The rsf command as a user runs it: help, exit codes, and clear errors for bad input.
#include <gtest/gtest.h>

#include <fstream>

#include "rsf/common/env.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace rsf::cli {
namespace {

using testing::ProcessResult;
using testing::RunProcess;

ProcessResult Rsf(std::vector<std::string> args, const std::string& stdin_data = "") {
  args.insert(args.begin(), RSF_BINARY);
  return RunProcess(args, stdin_data);
}

std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

std::string ReadFile(const std::string& path) {
  return *Env::Default().ReadFile(path);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.Sub("ledger");
    auto r = Rsf({"ledger", "init", "--dir", dir_, "--origin", "cli.example/log"});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    auto k = Rsf({"ledger", "show", "--dir", dir_, "--verifier-key"});
    ASSERT_EQ(k.exit_code, 0) << Describe(k);
    key_ = k.out.substr(0, k.out.find('\n'));
    ASSERT_NE(r.out.find(key_), std::string::npos);
  }
  testing::TempDir tmp_;
  std::string dir_, key_;
};

TEST(CliHelpTest, EveryCommandHasHelp) {
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{}, {"ledger"}, {"ledger", "init"}, {"ledger", "append"},
        {"ledger", "checkpoint"}, {"ledger", "prove"}, {"ledger", "verify"},
        {"ledger", "consistency"}, {"ledger", "fsck"}, {"ledger", "show"}, {"policy"},
        {"policy", "lint"}, {"policy", "diff"}, {"assess"}, {"decision"}, {"decision", "keygen"}, {"decision", "sign"},
        {"decision", "status"}, {"attest"}, {"risks"}, {"demo"}, {"model"}, {"model", "sign"},
        {"model", "verify"}, {"model", "list"}, {"eval"}, {"eval", "run"}, {"eval", "show"},
        {"eval", "compare"}, {"eval", "import"}, {"gateway"}, {"gateway", "check"}, {"gateway", "serve"},
        {"gateway", "key"}, {"gateway", "key", "create"}, {"gateway", "key", "list"}, {"gateway", "key", "revoke"}}) {
    cmd.push_back("--help");
    auto r = Rsf(cmd);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << Describe(r);
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << Describe(r);
  }
  auto v = Rsf({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("rsf 0."), std::string::npos);
}

TEST(CliHelpTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Rsf({}).exit_code, 2);
  EXPECT_EQ(Rsf({"ledger", "init", "--bogus"}).exit_code, 2);
  auto r = Rsf({"ledger", "init", "--dir", "/tmp/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--origin"), std::string::npos) << Describe(r);
  EXPECT_EQ(Rsf({"--log-level", "loud", "ledger", "show", "--dir", "x"}).exit_code, 2);
}

TEST_F(CliTest, AppendProveVerifyAndDisclose) {
  std::string secret = tmp_.Sub("transcript.txt");
  WriteFile(secret, "hazardous transcript\n");
  auto a = Rsf({"ledger", "append", "--dir", dir_, "--type", "eval.result", "--subject",
                "model:sha256:abc", "--digest-of", secret});
  ASSERT_EQ(a.exit_code, 0) << Describe(a);
  EXPECT_NE(a.out.find("appended entry 0"), std::string::npos);
  EXPECT_NE(a.out.find("checkpoint: size 1"), std::string::npos);
  std::string leaf = a.out.substr(a.out.find("leaf ") + 5, 64);

  std::string jsonl = "{\"type\":\"assessment.decision\",\"subject\":\"model:sha256:abc\",\"refs\":[\"" +
                      leaf + "\"],\"body\":{\"outcome\":\"hold\"}}\n\n"
                      "{\"type\":\"gateway.config\",\"subject\":\"gw\",\"body\":{}}\n";
  auto b = Rsf({"ledger", "append", "--dir", dir_, "--jsonl", "-", "--json"}, jsonl);
  ASSERT_EQ(b.exit_code, 0) << Describe(b);
  EXPECT_NE(b.out.find("\"index\":2"), std::string::npos) << Describe(b);

  std::string proof = tmp_.Sub("p.tlog-proof");
  auto p = Rsf({"ledger", "prove", "--dir", dir_, "--index", "0", "--out", proof});
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  EXPECT_EQ(ReadFile(proof).substr(0, 23), "c2sp.org/tlog-proof@v1\n");
  auto v = Rsf({"ledger", "verify", proof, "--key", key_, "--content", secret});
  ASSERT_EQ(v.exit_code, 0) << Describe(v);
  EXPECT_NE(v.out.find("OK: entry 0"), std::string::npos);
  EXPECT_NE(v.out.find("matches the digest"), std::string::npos);

  WriteFile(secret, "altered transcript\n");
  auto bad = Rsf({"ledger", "verify", proof, "--key", key_, "--content", secret});
  EXPECT_EQ(bad.exit_code, 9) << Describe(bad);
  EXPECT_NE(bad.err.find("commits to"), std::string::npos) << Describe(bad);

  auto show = Rsf({"ledger", "show", "--dir", dir_, "--from", "0", "--count", "5", "--json"});
  ASSERT_EQ(show.exit_code, 0) << Describe(show);
  EXPECT_NE(show.out.find("assessment.decision"), std::string::npos);
  auto missing = Rsf({"ledger", "prove", "--dir", dir_, "--index", "99"});
  EXPECT_EQ(missing.exit_code, 4) << Describe(missing);
}

TEST_F(CliTest, BadEntriesAreRejectedWithTheirLineAndNothingIsWritten) {
  std::string jsonl = tmp_.Sub("entries.jsonl");
  WriteFile(jsonl,
            "{\"type\":\"ok.entry\",\"subject\":\"s\",\"body\":{}}\n"
            "{\"type\":\"ok.entry\",\"subject\":\"s\",\"body\":{}\n");
  auto r = Rsf({"ledger", "append", "--dir", dir_, "--jsonl", jsonl});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_NE(r.err.find("entries.jsonl:2:"), std::string::npos) << Describe(r);

  WriteFile(jsonl, "{\"type\":\"Bad Type\",\"subject\":\"s\",\"body\":{}}\n");
  r = Rsf({"ledger", "append", "--dir", dir_, "--jsonl", jsonl});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("entries.jsonl:1: field 'type'"), std::string::npos) << Describe(r);

  std::string big = "{\"type\":\"big\",\"subject\":\"s\",\"body\":{\"x\":\"" + std::string(70000, 'a') + "\"}}\n";
  WriteFile(jsonl, big);
  r = Rsf({"ledger", "append", "--dir", dir_, "--jsonl", jsonl});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("65,535-byte limit"), std::string::npos) << Describe(r);

  r = Rsf({"ledger", "append", "--dir", dir_, "--type", "x", "--subject", "s", "--body", "{oops"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--body:1:"), std::string::npos) << Describe(r);

  auto show = Rsf({"ledger", "show", "--dir", dir_, "--json"});
  EXPECT_NE(show.out.find("\"size\": 0"), std::string::npos) << Describe(show);
  auto fsck = Rsf({"ledger", "fsck", "--dir", dir_, "--key", key_});
  EXPECT_EQ(fsck.exit_code, 0) << Describe(fsck);
}

TEST_F(CliTest, ForeignProofsBadSignaturesAndTamperingAreCaught) {
  ASSERT_EQ(Rsf({"ledger", "append", "--dir", dir_, "--type", "t", "--subject", "s", "--body", "{\"a\":1}"}).exit_code, 0);
  std::string proof = tmp_.Sub("p.tlog-proof");
  ASSERT_EQ(Rsf({"ledger", "prove", "--dir", dir_, "--index", "0", "--out", proof}).exit_code, 0);
  std::string text = ReadFile(proof);

  std::string other = tmp_.Sub("other");
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", other, "--origin", "other.example/log"}).exit_code, 0);
  std::string other_key = tmp_.Sub("other.key");
  WriteFile(other_key, Rsf({"ledger", "show", "--dir", other, "--verifier-key"}).out);
  auto foreign = Rsf({"ledger", "verify", proof, "--key", other_key});
  EXPECT_EQ(foreign.exit_code, 2) << Describe(foreign);
  EXPECT_NE(foreign.err.find("checkpoint is for log 'cli.example/log'"), std::string::npos) << Describe(foreign);

  std::string bad_sig = text;
  size_t sig = bad_sig.rfind(' ') + 10;
  bad_sig[sig] = bad_sig[sig] == 'A' ? 'B' : 'A';
  WriteFile(proof, bad_sig);
  auto r = Rsf({"ledger", "verify", proof, "--key", key_});
  EXPECT_EQ(r.exit_code, 3) << Describe(r);
  EXPECT_NE(r.err.find("signature"), std::string::npos) << Describe(r);

  std::string bad_entry = text;
  bad_entry[text.find("extra ") + 20] ^= 1;
  WriteFile(proof, bad_entry);
  r = Rsf({"ledger", "verify", proof, "--key", key_});
  EXPECT_EQ(r.exit_code == 9 || r.exit_code == 2, true) << Describe(r);

  WriteFile(proof, "not a proof\n");
  r = Rsf({"ledger", "verify", proof, "--key", key_});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);
  EXPECT_NE(r.err.find("line 1"), std::string::npos) << Describe(r);

  r = Rsf({"ledger", "verify", proof, "--key", "garbage"});
  EXPECT_EQ(r.exit_code, 2) << Describe(r);

  // A truncated tile: fsck names it and exits 9; the log is left as it was.
  std::string tile = dir_ + "/log/tile/0/000.p/1";
  std::string tile_bytes = ReadFile(tile);
  WriteFile(tile, tile_bytes.substr(0, 20));
  auto f = Rsf({"ledger", "fsck", "--dir", dir_});
  EXPECT_EQ(f.exit_code, 9) << Describe(f);
  EXPECT_NE(f.out.find("log/tile/0/000.p/1"), std::string::npos) << Describe(f);
  EXPECT_EQ(ReadFile(tile).size(), 20u);
  auto open = Rsf({"ledger", "append", "--dir", dir_, "--type", "t", "--subject", "s", "--body", "{}"});
  EXPECT_EQ(open.exit_code, 9) << Describe(open);
}

TEST_F(CliTest, ConsistencyProofsRoundTripOffline) {
  ASSERT_EQ(Rsf({"ledger", "append", "--dir", dir_, "--type", "t", "--subject", "s", "--body", "{}"}).exit_code, 0);
  std::string old_cp = tmp_.Sub("old.checkpoint");
  ASSERT_EQ(Rsf({"ledger", "show", "--dir", dir_, "--checkpoint"}).exit_code, 0);
  WriteFile(old_cp, Rsf({"ledger", "show", "--dir", dir_, "--checkpoint"}).out);
  std::string many;
  for (int i = 0; i < 300; ++i) many += "{\"type\":\"t\",\"subject\":\"s" + std::to_string(i) + "\",\"body\":{}}\n";
  ASSERT_EQ(Rsf({"ledger", "append", "--dir", dir_, "--jsonl", "-"}, many).exit_code, 0);
  std::string proof = tmp_.Sub("c.proof");
  auto p = Rsf({"ledger", "consistency", "--dir", dir_, "--old", old_cp, "--out", proof});
  ASSERT_EQ(p.exit_code, 0) << Describe(p);
  EXPECT_EQ(ReadFile(proof).substr(0, 6), "old 1\n");
  auto v = Rsf({"ledger", "consistency", "--proof", proof, "--old", old_cp, "--key", key_});
  ASSERT_EQ(v.exit_code, 0) << Describe(v);
  EXPECT_NE(v.out.find("301 entries extends"), std::string::npos) << Describe(v);
}

TEST(CliPolicyTest, LintReportsFindingsAndExitCodes) {
  std::string src = std::getenv("RSF_SOURCE_DIR") ? std::getenv("RSF_SOURCE_DIR") : ".";
  auto ok = Rsf({"policy", "lint", src + "/examples/policies/asl-ladder.yaml"});
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
  EXPECT_NE(ok.out.find("0 errors"), std::string::npos) << Describe(ok);
  auto bare = Rsf({"policy", "lint", src + "/tests/data/policy/lint/bare_minimum.yaml", "--json"});
  EXPECT_EQ(bare.exit_code, 2) << Describe(bare);
  EXPECT_NE(bare.out.find("\"code\": \"no-halt-conditions\""), std::string::npos) << Describe(bare);
  auto broken = Rsf({"policy", "lint", src + "/tests/data/policy/bad/undefined_level.yaml"});
  EXPECT_EQ(broken.exit_code, 2) << Describe(broken);
  EXPECT_NE(broken.err.find("undefined_level.yaml:9:12: unknown level 'asl9'"), std::string::npos) << Describe(broken);
  auto missing = Rsf({"policy", "lint", "/nonexistent.yaml"});
  EXPECT_EQ(missing.exit_code, 4) << Describe(missing);
}

TEST(CliDecisionTest, SignersQuorumDissentAndLedger) {
  std::string src = std::getenv("RSF_SOURCE_DIR") ? std::getenv("RSF_SOURCE_DIR") : ".";
  testing::TempDir tmp;
  auto vkey = [&](const std::string& name) {
    auto r = Rsf({"decision", "keygen", "--name", name, "--out", tmp.Sub(name + ".key")});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    size_t at = r.out.find("verifier key: ") + 14;
    return r.out.substr(at, r.out.find('\n', at) - at);
  };
  std::string rso = vkey("rso.jane"), ceo = vkey("ceo.sam");
  vkey("intruder");
  std::string policy = ReadFile(src + "/examples/policies/asl-ladder.yaml");
  auto add_key = [&](const std::string& role_line, const std::string& key) {
    size_t at = policy.find(role_line);
    ASSERT_NE(at, std::string::npos);
    policy.insert(at + role_line.size() - 1, ", keys: [\"" + key + "\"]");
  };
  add_key("{id: rso, name: Responsible Scaling Officer}", rso);
  add_key("{id: ceo, name: Chief Executive Officer}", ceo);
  std::string policy_path = tmp.Sub("policy.yaml");
  WriteFile(policy_path, policy);
  ASSERT_EQ(Rsf({"policy", "lint", policy_path}).exit_code, 0);
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", tmp.Sub("l"), "--origin", "decisions.example/log"}).exit_code, 0);
  auto a = Rsf({"assess", "--policy", policy_path, "--evals", src + "/examples/evidence/frontier-1-evals.json",
                "--evidence", src + "/examples/evidence/frontier-1-safeguards.json", "--out-dir", tmp.Sub("r"),
                "--ledger", tmp.Sub("l")});
  ASSERT_EQ(a.exit_code, 0) << Describe(a);
  std::string decision = tmp.Sub("decision.json");
  auto s1 = Rsf({"decision", "sign", "--policy", policy_path, "--decision", decision, "--assessment",
                 tmp.Sub("r/assessment.json"), "--key", tmp.Sub("rso.jane.key")});
  ASSERT_EQ(s1.exit_code, 0) << Describe(s1);
  EXPECT_NE(s1.out.find("not final yet"), std::string::npos) << Describe(s1);
  auto pending = Rsf({"decision", "status", "--policy", policy_path, "--decision", decision});
  EXPECT_EQ(pending.exit_code, 5) << Describe(pending);
  EXPECT_NE(pending.out.find("missing:  ceo"), std::string::npos) << Describe(pending);
  auto intruder = Rsf({"decision", "sign", "--policy", policy_path, "--decision", decision, "--key",
                       tmp.Sub("intruder.key")});
  EXPECT_EQ(intruder.exit_code, 3) << Describe(intruder);
  auto again = Rsf({"decision", "sign", "--policy", policy_path, "--decision", decision, "--key",
                    tmp.Sub("rso.jane.key")});
  EXPECT_EQ(again.exit_code, 5) << Describe(again);
  auto s2 = Rsf({"decision", "sign", "--policy", policy_path, "--decision", decision, "--key",
                 tmp.Sub("ceo.sam.key"), "--dissent", "I would hold until the bio uplift trial reports"});
  ASSERT_EQ(s2.exit_code, 0) << Describe(s2);
  EXPECT_NE(s2.out.find("FINAL"), std::string::npos) << Describe(s2);
  auto final_status = Rsf({"decision", "status", "--policy", policy_path, "--decision", decision, "--ledger", tmp.Sub("l")});
  ASSERT_EQ(final_status.exit_code, 0) << Describe(final_status);
  EXPECT_NE(final_status.out.find("ceo: I would hold until the bio uplift trial reports"), std::string::npos)
      << Describe(final_status);
  EXPECT_NE(final_status.out.find("logged to"), std::string::npos);
  // The decision entry (index 4) names the assessment entry (index 3) in its refs.
  auto assessment = Rsf({"ledger", "show", "--dir", tmp.Sub("l"), "--index", "3", "--json"});
  auto decision_entry = Rsf({"ledger", "show", "--dir", tmp.Sub("l"), "--index", "4", "--json"});
  std::string leaf = assessment.out.substr(assessment.out.find("\"leaf_hash\":\"") + 13, 64);
  EXPECT_NE(decision_entry.out.find("\"refs\":[\"" + leaf + "\"]"), std::string::npos) << decision_entry.out;
  EXPECT_NE(decision_entry.out.find("\"type\":\"decision\""), std::string::npos);
  // Changing the statement after signing breaks every signature.
  std::string text = ReadFile(decision);
  size_t at = text.find("outcome deploy_restricted");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 25, "outcome deploy           ");
  WriteFile(decision, text);
  auto forged = Rsf({"decision", "status", "--policy", policy_path, "--decision", decision});
  EXPECT_EQ(forged.exit_code, 3) << Describe(forged);
  EXPECT_NE(forged.out.find("is invalid"), std::string::npos) << Describe(forged);
}

TEST(CliAttestTest, SignedAttestationsAreRequiredWhenTheRoleListsKeys) {
  std::string src = std::getenv("RSF_SOURCE_DIR") ? std::getenv("RSF_SOURCE_DIR") : ".";
  testing::TempDir tmp;
  auto keygen = [&](const std::string& name) {
    auto r = Rsf({"decision", "keygen", "--name", name, "--out", tmp.Sub(name + ".key")});
    size_t at = r.out.find("verifier key: ") + 14;
    return r.out.substr(at, r.out.find('\n', at) - at);
  };
  std::string ciso = keygen("ciso.kim");
  keygen("someone.else");
  std::string policy = ReadFile(src + "/examples/policies/asl-ladder.yaml");
  std::string role = "{id: ciso, name: Chief Information Security Officer}";
  policy.insert(policy.find(role) + role.size() - 1, ", keys: [\"" + ciso + "\"]");
  std::string policy_path = tmp.Sub("policy.yaml");
  WriteFile(policy_path, policy);
  auto assess = [&](const std::string& evidence) {
    return Rsf({"assess", "--policy", policy_path, "--evals", src + "/examples/evidence/frontier-1-evals.json",
                "--evidence", evidence, "--format", "json"});
  };
  // The example evidence attests access-control without a signature: no longer enough.
  auto unsigned_run = assess(src + "/examples/evidence/frontier-1-safeguards.json");
  ASSERT_EQ(unsigned_run.exit_code, 0) << Describe(unsigned_run);
  EXPECT_NE(unsigned_run.out.find("no attestation signed by a key of role 'ciso'"), std::string::npos) << unsigned_run.out;
  std::string evidence = tmp.Sub("evidence.json");
  WriteFile(evidence, ReadFile(src + "/examples/evidence/frontier-1-safeguards.json"));
  auto wrong = Rsf({"attest", "--policy", policy_path, "--safeguard", "access-control", "--key",
                    tmp.Sub("someone.else.key"), "--signer", "Mallory", "--evidence", evidence});
  EXPECT_EQ(wrong.exit_code, 3) << Describe(wrong);
  auto ok = Rsf({"attest", "--policy", policy_path, "--safeguard", "access-control", "--key", tmp.Sub("ciso.kim.key"),
                 "--signer", "K. Security", "--statement", "Two-person access to weights", "--evidence", evidence});
  ASSERT_EQ(ok.exit_code, 0) << Describe(ok);
  auto signed_run = assess(evidence);
  EXPECT_NE(signed_run.out.find("signed by key ciso.kim"), std::string::npos) << signed_run.out;
  // A changed statement breaks the signature.
  std::string text = ReadFile(evidence);
  size_t at = text.find("Two-person access to weights");
  text.replace(at, 9, "One-perso");
  WriteFile(evidence, text);
  EXPECT_NE(assess(evidence).out.find("no attestation signed by a key of role 'ciso'"), std::string::npos);
  auto machine = Rsf({"attest", "--policy", policy_path, "--safeguard", "misuse-classifiers", "--key",
                      tmp.Sub("ciso.kim.key"), "--signer", "K", "--evidence", evidence});
  EXPECT_EQ(machine.exit_code, 5) << Describe(machine);
}

TEST(CliDemoTest, DemoRunsEndToEnd) {
  testing::TempDir tmp;
  auto r = Rsf({"demo", "--dir", tmp.Sub("demo"), "--bulk", "600"});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("verified it with only the verifier key"), std::string::npos);
  // 5 chain entries, 4 from the reference model's evaluation, 600 bulk records, then the
  // gateway's: its configuration, two admin actions, a flaw report (with its incident) and
  // request batches, and the drills' keys, signals, incidents, actions and reports (batching
  // and how often a drill polls follow the clock, so only bounds).
  const size_t fsck = r.out.find("8. fsck of the real ledger: ");
  ASSERT_NE(fsck, std::string::npos) << r.out;
  const int entries = std::stoi(r.out.substr(fsck + 28));
  EXPECT_GE(entries, 609 + 5);
  EXPECT_LE(entries, 609 + 80);
  // It ends with the three shipped drills, each within its targets.
  const size_t drills = r.out.find("9. Safety drills");
  ASSERT_NE(drills, std::string::npos) << r.out;
  for (const char* s : {"weapons-burst        passed", "universal-jailbreak  passed", "weights-alarm        passed"}) {
    EXPECT_NE(r.out.find(s, drills), std::string::npos) << s << "\n" << r.out;
  }
  EXPECT_NE(r.out.find(" entries, 0 errors", fsck), std::string::npos) << r.out;
  // The gateway treats the tiers as the signed decision says.
  EXPECT_NE(r.out.find("public             a story                           404  model_not_found"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("vetted-researcher  a story                           200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("503  model_halted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("anyone             a flaw report                     201"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the weights gate found it and logged the load"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("refusal_smoke.attack_success_rate"), std::string::npos) << r.out;
  EXPECT_TRUE(Env::Default().FileExists(tmp.Sub("demo") + "/reference-results.json"));
  EXPECT_NE(r.out.find("deploy_unlimited"), std::string::npos);
  EXPECT_NE(r.out.find("decision deploy_restricted to vetted-researcher, auditor"), std::string::npos) << r.out;
  EXPECT_TRUE(Env::Default().FileExists(tmp.Sub("demo") + "/assessment.html"));
}

TEST(CliAssessTest, AssessWritesReportsAndLogsTheChain) {
  std::string src = std::getenv("RSF_SOURCE_DIR") ? std::getenv("RSF_SOURCE_DIR") : ".";
  testing::TempDir tmp;
  ASSERT_EQ(Rsf({"ledger", "init", "--dir", tmp.Sub("l"), "--origin", "assess.example/log"}).exit_code, 0);
  auto r = Rsf({"assess", "--policy", src + "/examples/policies/asl-ladder.yaml", "--evals",
                src + "/examples/evidence/frontier-1-evals.json", "--evidence",
                src + "/examples/evidence/frontier-1-safeguards.json", "--out-dir", tmp.Sub("report"),
                "--ledger", tmp.Sub("l")});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.out.find("decision: deploy_restricted; level asl2"), std::string::npos) << Describe(r);
  EXPECT_NE(ReadFile(tmp.Sub("report/assessment.json")).find("\"outcome\": \"deploy_restricted\""), std::string::npos);
  EXPECT_NE(ReadFile(tmp.Sub("report/assessment.html")).find("<svg"), std::string::npos);
  auto show = Rsf({"ledger", "show", "--dir", tmp.Sub("l"), "--index", "3", "--json"});
  EXPECT_NE(show.out.find("\"type\":\"assessment\""), std::string::npos) << Describe(show);
  auto json = Rsf({"assess", "--policy", src + "/examples/policies/asl-ladder.yaml", "--evals",
                   src + "/examples/evidence/frontier-1-evals.json", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << Describe(json);
  EXPECT_NE(json.out.find("\"outcome\": \"pause_development\""), std::string::npos)
      << "without safeguard evidence the decision must fail closed\n" << json.out;
  std::string bad = tmp.Sub("bad-evals.json");
  WriteFile(bad, "{\"format\": \"rsf-eval-results/1\", \"metrics\": {\"a\": \"high\"}}");
  auto b = Rsf({"assess", "--policy", src + "/examples/policies/asl-ladder.yaml", "--evals", bad});
  EXPECT_EQ(b.exit_code, 2) << Describe(b);
  EXPECT_NE(b.err.find("field 'metrics.a'"), std::string::npos) << Describe(b);
}

}  // namespace
}  // namespace rsf::cli
