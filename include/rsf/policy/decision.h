// include/rsf/policy/decision.h
//
// Signed decisions. An assessment becomes a decision when the people the policy names sign
// it: the decision statement is a C2SP signed note, so every signer adds one signature line
// (Ed25519), exactly as witnesses cosign a checkpoint. Dissent is recorded as a separate
// signed note that names the statement. A decision is final when the policy's quorum is met:
// every required role signed, and at least min_signers distinct roles signed.
//
//   statement = "rsf-decision/1\n"
//               "framework <id>@<version>\n"
//               "model <digest or name>\n"
//               "assessment sha256:<hex of assessment.json>\n"
//               "level <level id>\n"
//               "outcome <outcome>\n"
//               "tiers <comma-separated tiers or ->\n"
//   dissent   = "rsf-dissent/1\n" "statement sha256:<hex of statement>\n" "reason <one line>\n"
//
// Who may sign for a role: the verifier keys listed under the role in the policy
// (decision.roles[].keys). A signature by any other key does not count.
//
// Thread safety: stateless functions.
#pragma once

#include <string>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/ledger/note.h"
#include "rsf/policy/assess.h"

namespace rsf::policy {

// The statement note text for `a`, whose JSON form hashes to `assessment_sha256`.
std::string DecisionStatement(const Assessment& a, const std::string& assessment_sha256);

struct DecisionFile {
  std::string note;                   // the statement with its signature lines
  std::vector<std::string> dissents;  // signed dissent notes
};

Json DecisionFileToJson(const DecisionFile& d);
// kInvalidArgument naming the field.
Result<DecisionFile> ParseDecisionFile(const Json& json, std::string_view source);

// Starts a decision on `statement` with `signer`'s signature (and, if `dissent` is not
// empty, a signed dissent note). kPermissionDenied if the signer's key belongs to no role of
// the policy; kInvalidArgument for a multi-line dissent.
Result<DecisionFile> StartDecision(const Policy& policy, const std::string& statement,
                                   const ledger::NoteSigner& signer, const std::string& dissent);
// Adds `signer`'s signature to an existing decision. Also kAlreadyExists if the key signed.
Result<DecisionFile> SignDecision(const Policy& policy, DecisionFile file,
                                  const ledger::NoteSigner& signer, const std::string& dissent);

struct DecisionStatus {
  // From the statement.
  std::string framework;               // "<id>@<version>"
  std::string model;                   // digest or name
  std::string level;
  std::string outcome;
  std::vector<std::string> tiers;      // empty for "-"
  std::string statement_sha256;        // hex, of the statement text
  std::vector<std::string> signed_roles;  // roles with a valid signature
  std::vector<std::string> missing_roles; // required roles still to sign
  int distinct_roles = 0;
  int min_signers = 0;
  std::vector<std::string> dissents;      // "role: reason"
  std::vector<std::string> problems;      // invalid signatures, unknown keys
  bool final = false;
};

// Verifies every signature against the policy's role keys and checks the quorum.
Result<DecisionStatus> CheckDecision(const Policy& policy, const DecisionFile& file);

}  // namespace rsf::policy
