// tests/gateway/gateway_fixture.h — a signed policy, decisions and gateway configuration in a
// temporary directory, for the gateway's tests.
#pragma once

#include <fstream>
#include <string>

#include "rsf/common/env.h"
#include "rsf/gateway/config.h"
#include "rsf/ledger/note.h"
#include "rsf/policy/decision.h"
#include "testing/temp_dir.h"

namespace rsf::gateway::testing {

// A policy with one signing role whose key is `signer`'s, and levels whose deployment
// standard is [review] (level "low") or [review, filtering] (level "high").
inline std::string PolicyYaml(const ledger::NoteSigner& signer) {
  return R"(rsf_policy: 1
framework: {id: test-gate, name: Test gate, version: 1.0.0, effective: 2026-11-22, owner: Board,
            accountable_officer: Officer, change_rationale: Test.}
domains:
  - {id: misuse, name: Misuse, threat_models: [{id: t, actor: a, pathway: p, baseline: b}]}
safeguards:
  - {id: review, name: Review, standard: deployment, evidence: {kind: attestation, role: board}}
  - {id: filtering, name: Filtering, standard: deployment, evidence: {kind: machine, source: gateway.guard.mode, equals: strict}}
levels:
  - {id: low, name: Low, deployment_standard: [review], security_standard: {rand_level: SL1, safeguards: []}}
  - {id: high, name: High, deployment_standard: [review, filtering], security_standard: {rand_level: SL1, safeguards: []}}
thresholds:
  - {id: th, domain: misuse, level: high, condition: "x.y.mean >= 0.5", on_missing: fail_closed}
decision:
  roles:
    - {id: board, name: Board, keys: [")" + signer.Verifier().ToString() + R"("]}
  required_signers: [board]
  min_signers: 1
  outcomes: [deploy, deploy_restricted, hold_deployment, pause_development]
  tiers: [public, researchers]
)";
}

inline std::string Statement(std::string_view level, std::string_view outcome, std::string_view tiers,
                             const std::string& assessment_sha256 = std::string(64, 'b')) {
  return "rsf-decision/1\nframework test-gate@1.0.0\nmodel sha256:" + std::string(64, 'a') + "\nassessment sha256:" +
         assessment_sha256 + "\nlevel " + std::string(level) + "\noutcome " + std::string(outcome) + "\ntiers " +
         std::string(tiers) + "\n";
}

inline void WriteText(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// Writes policy.yaml and a decision file per call of AddDecision; then Load(config_yaml).
class GatewayFiles {
 public:
  GatewayFiles() : signer_(*ledger::NoteSigner::Generate("board")) {
    WriteText(dir_.Sub("policy.yaml"), PolicyYaml(signer_));
    policy_ = *policy::LoadPolicyFile(Env::Default(), dir_.Sub("policy.yaml"));
  }
  // Signs a decision and writes it as <name>.decision.json. `sign` false leaves it unsigned
  // by the required role (signed by a stranger).
  void AddDecision(const std::string& name, std::string_view level, std::string_view outcome,
                   std::string_view tiers, bool sign = true, const std::string& assessment_sha256 = std::string(64, 'b')) {
    auto stranger = *ledger::NoteSigner::Generate("stranger");
    policy::DecisionFile file;
    if (sign) {
      file = *policy::StartDecision(policy_, Statement(level, outcome, tiers, assessment_sha256), signer_, "");
    } else {
      file.note = *ledger::SignNote(Statement(level, outcome, tiers, assessment_sha256), stranger);
    }
    WriteText(dir_.Sub(name + ".decision.json"), policy::DecisionFileToJson(file).dump(2));
  }
  Result<CompiledGateway> Compile(const std::string& yaml) {
    WriteText(dir_.Sub("gateway.yaml"), yaml);
    RSF_ASSIGN_OR_RETURN(GatewayConfig c, LoadGatewayConfig(Env::Default(), dir_.Sub("gateway.yaml")));
    return CompileGateway(Env::Default(), std::move(c));
  }
  std::string Path(const std::string& name) const { return dir_.Sub(name); }

 private:
  rsf::testing::TempDir dir_;
  ledger::NoteSigner signer_;
  policy::Policy policy_;
};

}  // namespace rsf::gateway::testing
