// `rsf decision ...`: named signers sign an assessment; the decision is final when the
// policy's quorum is met; dissent is recorded; the final decision goes into the ledger.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "rsf/ledger/ledger.h"
#include "rsf/policy/assess.h"
#include "rsf/policy/decision.h"

namespace rsf::cli {
namespace {

struct KeygenArgs {
  std::string name, out;
};

Status RunKeygen(CliContext& ctx, const KeygenArgs& a) {
  RSF_ASSIGN_OR_RETURN(ledger::NoteSigner signer, ledger::NoteSigner::Generate(a.name));
  if (ctx.env.FileExists(a.out)) return AlreadyExistsError(a.out + " exists; not overwriting a key");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(a.out, signer.ToString() + "\n", 0600));
  ctx.out << "signer key:   " << a.out << " (mode 0600; keep it secret)\n"
          << "verifier key: " << signer.Verifier().ToString() << "\n"
          << "List the verifier key under your role in the policy (decision.roles[].keys).\n";
  return OkStatus();
}

struct SignArgs {
  std::string policy, assessment, key, decision, dissent;
};

// The minimal assessment a statement needs, from assessment.json.
Result<policy::Assessment> AssessmentFromJson(const Json& j, std::string_view source) {
  policy::Assessment a;
  try {
    a.framework_id = j.at("framework").at("id").get<std::string>();
    a.framework_version = j.at("framework").at("version").get<std::string>();
    a.model = j.at("model").value("name", "");
    a.model_digest = j.at("model").value("digest", "");
    a.level = j.at("level").get<std::string>();
    auto outcome = policy::ParseOutcome(j.at("decision").at("outcome").get<std::string>());
    if (!outcome) return InvalidArgumentError(std::string(source) + ": unknown decision outcome");
    a.outcome = *outcome;
    a.tiers = j.at("decision").at("tiers").get<std::vector<std::string>>();
  } catch (const Json::exception& e) {
    return InvalidArgumentError(std::string(source) + ": not an rsf-assessment/1 file: " + e.what());
  }
  return a;
}

Result<policy::DecisionFile> ReadDecision(CliContext& ctx, const std::string& path) {
  RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, path));
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(text, path));
  return policy::ParseDecisionFile(j, path);
}

Status RunSign(CliContext& ctx, const SignArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string policy_text, ReadInput(ctx, a.policy));
  RSF_ASSIGN_OR_RETURN(policy::Policy p, policy::LoadPolicy(policy_text, a.policy));
  RSF_ASSIGN_OR_RETURN(std::optional<ledger::NoteSigner> signer, LoadSigner(ctx, a.key));
  policy::DecisionFile file;
  if (ctx.env.FileExists(a.decision)) {
    RSF_ASSIGN_OR_RETURN(file, ReadDecision(ctx, a.decision));
    RSF_ASSIGN_OR_RETURN(file, policy::SignDecision(p, std::move(file), *signer, a.dissent));
  } else {
    if (a.assessment.empty()) return InvalidArgumentError("a new decision needs --assessment");
    RSF_ASSIGN_OR_RETURN(std::string assessment_text, ReadInput(ctx, a.assessment));
    RSF_ASSIGN_OR_RETURN(Json aj, ParseJson(assessment_text, a.assessment));
    RSF_ASSIGN_OR_RETURN(policy::Assessment as, AssessmentFromJson(aj, a.assessment));
    if (as.framework_id != p.framework.id || as.framework_version != p.framework.version) {
      return InvalidArgumentError(fmt::format("{} assesses {}@{}, not the policy's {}@{}", a.assessment,
                                              as.framework_id, as.framework_version, p.framework.id,
                                              p.framework.version));
    }
    RSF_ASSIGN_OR_RETURN(file, policy::StartDecision(p, policy::DecisionStatement(as, Sha256Hex(assessment_text)),
                                                     *signer, a.dissent));
  }
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(a.decision, DecisionFileToJson(file).dump(2) + "\n"));
  RSF_ASSIGN_OR_RETURN(policy::DecisionStatus st, policy::CheckDecision(p, file));
  ctx.out << fmt::format("signed by {}; {} of {} roles needed; {}\n", signer->name(), st.distinct_roles,
                         st.min_signers, st.final ? "the decision is FINAL" : "not final yet");
  return OkStatus();
}

// The leaf hash of the most recent `assessment` entry whose assessment_sha256 matches the
// statement's, searching back through at most the last 100,000 published entries.
Result<std::vector<ledger::Hash>> FindAssessmentRefs(ledger::Ledger& lg, const std::string& statement) {
  std::string marker = "assessment sha256:";
  size_t at = statement.find(marker);
  if (at == std::string::npos) return std::vector<ledger::Hash>();
  std::string digest = statement.substr(at + marker.size(), 64);
  uint64_t size = lg.LatestCheckpoint().checkpoint.size;
  uint64_t stop = size > 100000 ? size - 100000 : 0;
  for (uint64_t i = size; i-- > stop;) {
    RSF_ASSIGN_OR_RETURN(std::string bytes, lg.ReadEntry(i));
    auto entry = ledger::DecodeEntry(bytes);
    if (!entry.ok() || entry->type != "assessment" || !entry->body) continue;
    if (StringOr(*entry->body, "assessment_sha256") == digest) {
      return std::vector<ledger::Hash>{ledger::LeafHash(bytes)};
    }
  }
  return std::vector<ledger::Hash>();
}

struct StatusArgs {
  std::string policy, decision, ledger;
  bool json = false;
};

Status RunStatus(CliContext& ctx, const StatusArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string policy_text, ReadInput(ctx, a.policy));
  RSF_ASSIGN_OR_RETURN(policy::Policy p, policy::LoadPolicy(policy_text, a.policy));
  RSF_ASSIGN_OR_RETURN(policy::DecisionFile file, ReadDecision(ctx, a.decision));
  RSF_ASSIGN_OR_RETURN(policy::DecisionStatus st, policy::CheckDecision(p, file));
  if (a.json) {
    ctx.out << Json{{"final", st.final}, {"outcome", st.outcome}, {"signed_roles", st.signed_roles},
                    {"missing_roles", st.missing_roles}, {"distinct_roles", st.distinct_roles},
                    {"min_signers", st.min_signers}, {"dissents", st.dissents}, {"problems", st.problems}}
                   .dump(2) << "\n";
  } else {
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s.empty() ? std::string("none") : s;
    };
    ctx.out << "outcome:  " << st.outcome << "\n"
            << "signed:   " << join(st.signed_roles) << fmt::format(" ({} of {} needed)\n", st.distinct_roles, st.min_signers)
            << "missing:  " << join(st.missing_roles) << "\n"
            << "dissent:  " << join(st.dissents) << "\n";
    for (const auto& pr : st.problems) ctx.out << "problem:  " << pr << "\n";
    ctx.out << (st.final ? "FINAL\n" : "NOT FINAL\n");
  }
  if (!st.final) {
    if (!st.problems.empty()) return PermissionDeniedError("the decision carries invalid or unlisted signatures");
    return FailedPreconditionError("the decision is not final: quorum not met");
  }
  if (!a.ledger.empty()) {
    RSF_ASSIGN_OR_RETURN(auto lg, ledger::Ledger::Open(ctx.env, a.ledger));
    RSF_ASSIGN_OR_RETURN(ledger::SignedNote note, ledger::ParseNote(file.note));
    RSF_ASSIGN_OR_RETURN(auto refs, FindAssessmentRefs(*lg, note.text));
    if (refs.empty()) {
      ctx.err << "rsf: note: no assessment entry with this statement's digest in " << a.ledger
              << "; the decision is logged without a ref to it\n";
    }
    ledger::Entry e{"decision", FormatRfc3339(ctx.clock.Now()), "policy:" + p.framework.id + "@" + p.framework.version,
                    refs, Json{{"statement", note.text}, {"note", file.note}, {"dissents", file.dissents},
                               {"signed_roles", st.signed_roles}},
                    std::nullopt};
    RSF_ASSIGN_OR_RETURN(auto r, lg->Append(e));
    RSF_RETURN_IF_ERROR(lg->Publish().status());
    RSF_RETURN_IF_ERROR(lg->Close());
    ctx.out << fmt::format("logged to {} as entry {} (leaf {})\n", a.ledger, r.index, ledger::HashHex(r.leaf_hash));
  }
  return OkStatus();
}

struct AttestArgs {
  std::string policy, safeguard, key, signer, statement, evidence;
};

Status RunAttest(CliContext& ctx, const AttestArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string policy_text, ReadInput(ctx, a.policy));
  RSF_ASSIGN_OR_RETURN(policy::Policy p, policy::LoadPolicy(policy_text, a.policy));
  const policy::Safeguard* sg = p.FindSafeguard(a.safeguard);
  if (!sg) return NotFoundError("the policy has no safeguard '" + a.safeguard + "'");
  if (sg->evidence.kind != policy::EvidenceKind::kAttestation) {
    return FailedPreconditionError("safeguard '" + a.safeguard + "' is shown by machine evidence (" +
                                   sg->evidence.source + "), not by attestation");
  }
  if (a.statement.find('\n') != std::string::npos) return InvalidArgumentError("--statement must be one line");
  RSF_ASSIGN_OR_RETURN(std::optional<ledger::NoteSigner> signer, LoadSigner(ctx, a.key));
  const policy::Role* role = nullptr;
  for (const auto& r : p.decision.roles) {
    if (r.id == sg->evidence.role) role = &r;
  }
  bool listed = role && std::find(role->keys.begin(), role->keys.end(), signer->Verifier().ToString()) != role->keys.end();
  if (role && !role->keys.empty() && !listed) {
    return PermissionDeniedError("key " + signer->Verifier().ToString() + " is not listed under role '" +
                                 sg->evidence.role + "', which attests '" + a.safeguard + "'");
  }
  policy::Attestation att{a.safeguard, sg->evidence.role, a.signer, a.statement, FormatRfc3339(ctx.clock.Now()), ""};
  RSF_ASSIGN_OR_RETURN(att.note, ledger::SignNote(policy::AttestationText(att), *signer));
  Json evidence = {{"format", "rsf-safeguard-evidence/1"}, {"attestations", Json::array()}, {"machine", Json::object()}};
  if (ctx.env.FileExists(a.evidence)) {
    RSF_ASSIGN_OR_RETURN(std::string text, ReadInput(ctx, a.evidence));
    RSF_ASSIGN_OR_RETURN(evidence, ParseJson(text, a.evidence));
    RSF_RETURN_IF_ERROR(policy::ParseSafeguardEvidence(evidence, a.evidence).status());
    if (!evidence.contains("attestations")) evidence["attestations"] = Json::array();
  }
  evidence["attestations"].push_back({{"safeguard", att.safeguard}, {"role", att.role}, {"signer", att.signer},
                                      {"statement", att.statement}, {"time", att.time}, {"note", att.note}});
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(a.evidence, evidence.dump(2) + "\n"));
  ctx.out << fmt::format("{} attests '{}' for role '{}'{}; added to {}\n", a.signer, a.safeguard, att.role,
                         listed ? ", signed by a key the policy lists" : " (the policy lists no keys for the role)",
                         a.evidence);
  return OkStatus();
}

}  // namespace

void AddDecisionCommands(CLI::App& app, CliContext& ctx) {
  {
    auto a = std::make_shared<AttestArgs>();
    auto* c = app.add_subcommand(
        "attest",
        "Sign an attestation that a safeguard is in place and add it to a safeguard-evidence\n"
        "file. The key must be listed under the role the policy names for the safeguard.");
    c->add_option("--policy", a->policy, "Policy YAML")->required();
    c->add_option("--safeguard", a->safeguard, "Safeguard id")->required();
    c->add_option("--key", a->key, "Your private signer key file (rsf decision keygen)")->required();
    c->add_option("--signer", a->signer, "Your name, as it should appear in reports")->required();
    c->add_option("--statement", a->statement, "One line saying what is in place");
    c->add_option("--evidence", a->evidence, "Safeguard-evidence JSON to add to (created if absent)")->required();
    c->callback([&ctx, a] { ctx.status = RunAttest(ctx, *a); });
  }
  CLI::App* d = app.add_subcommand("decision", "Signed decisions: keygen, sign, status");
  d->require_subcommand(1);
  {
    auto a = std::make_shared<KeygenArgs>();
    auto* c = d->add_subcommand("keygen", "Create an Ed25519 key for a person who signs decisions");
    c->add_option("--name", a->name, "Key name, e.g. rso.jane (no spaces or '+')")->required();
    c->add_option("--out", a->out, "Where to write the private key (mode 0600)")->required();
    c->callback([&ctx, a] { ctx.status = RunKeygen(ctx, *a); });
  }
  {
    auto a = std::make_shared<SignArgs>();
    auto* c = d->add_subcommand(
        "sign",
        "Sign a decision: creates DECISION from an assessment on first use, then adds one\n"
        "signature per call. The key must be listed under a role in the policy.");
    c->add_option("--policy", a->policy, "Policy YAML")->required();
    c->add_option("--decision", a->decision, "Decision file (created if absent)")->required();
    c->add_option("--assessment", a->assessment, "assessment.json (for a new decision)");
    c->add_option("--key", a->key, "Your private signer key file")->required();
    c->add_option("--dissent", a->dissent, "Sign, and record this one-line dissent");
    c->callback([&ctx, a] { ctx.status = RunSign(ctx, *a); });
  }
  {
    auto a = std::make_shared<StatusArgs>();
    auto* c = d->add_subcommand(
        "status",
        "Verify every signature against the policy's role keys and check the quorum.\n"
        "Exit 0 when final (and logged with --ledger), 5 when not yet, 3 for bad signatures.");
    c->add_option("--policy", a->policy, "Policy YAML")->required();
    c->add_option("--decision", a->decision, "Decision file")->required();
    c->add_option("--ledger", a->ledger, "When final, log the decision to this ledger");
    c->add_flag("--json", a->json, "Print JSON");
    c->callback([&ctx, a] { ctx.status = RunStatus(ctx, *a); });
  }
}

}  // namespace rsf::cli
