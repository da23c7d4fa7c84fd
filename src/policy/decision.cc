#include "rsf/policy/decision.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "rsf/common/sha256.h"

namespace rsf::policy {
namespace {

// The roles whose listed keys include `name`+`key_hash`.
std::vector<std::string> RolesOf(const Policy& p, const std::string& name, uint32_t key_hash) {
  std::vector<std::string> roles;
  for (const Role& r : p.decision.roles) {
    for (const auto& k : r.keys) {
      auto v = ledger::NoteVerifier::Parse(k);
      if (v.ok() && v->name() == name && v->key_hash() == key_hash) roles.push_back(r.id);
    }
  }
  return roles;
}

const ledger::NoteVerifier* FindVerifier(const std::vector<ledger::NoteVerifier>& vs, const std::string& name,
                                         uint32_t key_hash) {
  for (const auto& v : vs) {
    if (v.name() == name && v.key_hash() == key_hash) return &v;
  }
  return nullptr;
}

std::string FirstLine(std::string_view text, std::string_view prefix) {
  size_t pos = text.find("\n" + std::string(prefix));
  if (pos == std::string_view::npos) return "";
  pos += 1 + prefix.size();
  return std::string(text.substr(pos, text.find('\n', pos) - pos));
}

}  // namespace

std::string DecisionStatement(const Assessment& a, const std::string& assessment_sha256) {
  std::string tiers;
  for (const auto& t : a.tiers) tiers += (tiers.empty() ? "" : ",") + t;
  return fmt::format("rsf-decision/1\nframework {}@{}\nmodel {}\nassessment sha256:{}\nlevel {}\noutcome {}\ntiers {}\n",
                     a.framework_id, a.framework_version, a.model_digest.empty() ? a.model : a.model_digest,
                     assessment_sha256, a.level, OutcomeName(a.outcome), tiers.empty() ? "-" : tiers);
}

Json DecisionFileToJson(const DecisionFile& d) {
  return {{"format", "rsf-decision/1"}, {"note", d.note}, {"dissents", d.dissents}};
}

Result<DecisionFile> ParseDecisionFile(const Json& j, std::string_view source) {
  RSF_ASSIGN_OR_RETURN(std::string format, RequireString(j, "format", source));
  if (format != "rsf-decision/1") {
    return InvalidArgumentError(std::string(source) + ": field 'format': expected rsf-decision/1");
  }
  DecisionFile d;
  RSF_ASSIGN_OR_RETURN(d.note, RequireString(j, "note", source));
  if (auto it = j.find("dissents"); it != j.end()) {
    if (!it->is_array()) return InvalidArgumentError(std::string(source) + ": field 'dissents': expected a list");
    for (const auto& x : *it) {
      if (!x.is_string()) return InvalidArgumentError(std::string(source) + ": field 'dissents': expected notes");
      d.dissents.push_back(x.get<std::string>());
    }
  }
  return d;
}

namespace {

Status CheckSignerHasRole(const Policy& policy, const ledger::NoteSigner& signer) {
  if (RolesOf(policy, signer.name(), signer.key_hash()).empty()) {
    return PermissionDeniedError(fmt::format(
        "key {} is listed under no role of the policy's decision.roles; it cannot sign decisions",
        signer.Verifier().ToString()));
  }
  return OkStatus();
}

Status AddDissent(DecisionFile& file, const std::string& statement, const ledger::NoteSigner& signer,
                  const std::string& dissent) {
  if (dissent.empty()) return OkStatus();
  if (dissent.find('\n') != std::string::npos) return InvalidArgumentError("a dissent must be one line");
  std::string text = fmt::format("rsf-dissent/1\nstatement sha256:{}\nreason {}\n", Sha256Hex(statement), dissent);
  RSF_ASSIGN_OR_RETURN(std::string signed_dissent, ledger::SignNote(text, signer));
  file.dissents.push_back(std::move(signed_dissent));
  return OkStatus();
}

}  // namespace

Result<DecisionFile> StartDecision(const Policy& policy, const std::string& statement,
                                   const ledger::NoteSigner& signer, const std::string& dissent) {
  RSF_RETURN_IF_ERROR(CheckSignerHasRole(policy, signer));
  DecisionFile file;
  RSF_ASSIGN_OR_RETURN(file.note, ledger::SignNote(statement, signer));
  RSF_RETURN_IF_ERROR(AddDissent(file, statement, signer, dissent));
  return file;
}

Result<DecisionFile> SignDecision(const Policy& policy, DecisionFile file, const ledger::NoteSigner& signer,
                                  const std::string& dissent) {
  RSF_RETURN_IF_ERROR(CheckSignerHasRole(policy, signer));
  RSF_ASSIGN_OR_RETURN(ledger::SignedNote note, ledger::ParseNote(file.note));
  for (const auto& s : note.signatures) {
    if (s.name == signer.name() && s.key_hash == signer.key_hash()) {
      return AlreadyExistsError("this key has already signed the decision");
    }
  }
  RSF_ASSIGN_OR_RETURN(file.note, ledger::AddSignature(note, signer));
  RSF_RETURN_IF_ERROR(AddDissent(file, note.text, signer, dissent));
  return file;
}

Result<DecisionStatus> CheckDecision(const Policy& policy, const DecisionFile& file) {
  RSF_ASSIGN_OR_RETURN(ledger::SignedNote note, ledger::ParseNote(file.note));
  if (note.text.rfind("rsf-decision/1\n", 0) != 0) {
    return InvalidArgumentError("decision statement does not start with rsf-decision/1");
  }
  DecisionStatus st;
  st.framework = FirstLine("\n" + note.text, "framework ");
  st.model = FirstLine("\n" + note.text, "model ");
  st.level = FirstLine("\n" + note.text, "level ");
  st.outcome = FirstLine("\n" + note.text, "outcome ");
  const std::string tiers = FirstLine("\n" + note.text, "tiers ");
  for (size_t pos = 0; tiers != "-" && pos < tiers.size();) {
    const size_t comma = std::min(tiers.find(',', pos), tiers.size());
    if (comma > pos) st.tiers.push_back(tiers.substr(pos, comma - pos));
    pos = comma + 1;
  }
  std::vector<ledger::NoteVerifier> verifiers;
  for (const Role& r : policy.decision.roles) {
    for (const auto& k : r.keys) {
      if (auto v = ledger::NoteVerifier::Parse(k); v.ok()) verifiers.push_back(*v);
    }
  }
  std::set<std::string> roles;
  for (const auto& s : note.signatures) {
    const ledger::NoteVerifier* v = FindVerifier(verifiers, s.name, s.key_hash);
    if (!v) {
      st.problems.push_back(fmt::format("signature by {} ({:08x}) is from a key the policy does not list", s.name, s.key_hash));
      continue;
    }
    if (!v->Verify(note.text, s.signature)) {
      st.problems.push_back("signature by " + s.name + " is invalid");
      continue;
    }
    for (const auto& r : RolesOf(policy, s.name, s.key_hash)) roles.insert(r);
  }
  std::string statement_hash = Sha256Hex(note.text);
  st.statement_sha256 = statement_hash;
  for (const auto& d : file.dissents) {
    auto dn = ledger::ParseNote(d);
    if (!dn.ok() || dn->signatures.empty()) {
      st.problems.push_back("a dissent is not a signed note");
      continue;
    }
    const auto& s = dn->signatures.front();
    const ledger::NoteVerifier* v = FindVerifier(verifiers, s.name, s.key_hash);
    if (!v || !v->Verify(dn->text, s.signature)) {
      st.problems.push_back("a dissent's signature is invalid or by an unlisted key");
      continue;
    }
    if (FirstLine("\n" + dn->text, "statement sha256:") != statement_hash) {
      st.problems.push_back("a dissent names another statement");
      continue;
    }
    auto rs = RolesOf(policy, s.name, s.key_hash);
    st.dissents.push_back((rs.empty() ? s.name : rs.front()) + ": " + FirstLine("\n" + dn->text, "reason "));
  }
  st.signed_roles.assign(roles.begin(), roles.end());
  for (const auto& r : policy.decision.required_signers) {
    if (!roles.count(r)) st.missing_roles.push_back(r);
  }
  st.distinct_roles = static_cast<int>(roles.size());
  st.min_signers = policy.decision.min_signers;
  st.final = st.missing_roles.empty() && st.distinct_roles >= st.min_signers && st.problems.empty();
  return st;
}

}  // namespace rsf::policy
