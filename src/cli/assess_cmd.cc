// `rsf assess`: policy + evaluation results + safeguard evidence -> determination, decision
// and report; optionally logged to a ledger with each record naming what it rests on.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "io.h"
#include "rsf/common/json.h"
#include "rsf/common/sha256.h"
#include "rsf/ledger/ledger.h"
#include "rsf/policy/assess.h"
#include "rsf/policy/report.h"

namespace rsf::cli {
namespace {

struct AssessArgs {
  std::string policy, evals, evidence, out_dir, format = "md", ledger;
};

// Appends the chain policy -> evals, evidence -> assessment; returns the assessment's leaf.
Result<std::string> LogToLedger(CliContext& ctx, const AssessArgs& a, const policy::Policy& p,
                                const std::string& policy_text, const std::string& evals_text,
                                const std::string& evidence_text, const policy::Assessment& as,
                                const std::string& assessment_json) {
  RSF_ASSIGN_OR_RETURN(auto lg, ledger::Ledger::Open(ctx.env, a.ledger));
  std::string now = FormatRfc3339(ctx.clock.Now());
  std::string model = "model:" + (as.model_digest.empty() ? as.model : as.model_digest);
  ledger::Entry pe{"policy.version", now, "policy:" + p.framework.id + "@" + p.framework.version, {},
                   Json{{"framework", p.framework.id}, {"version", p.framework.version},
                        {"accountable_officer", p.framework.accountable_officer},
                        {"sha256", Sha256Hex(policy_text)}},
                   std::nullopt};
  RSF_ASSIGN_OR_RETURN(auto pr, lg->Append(pe));
  ledger::Entry ee{"eval.results", now, model, {pr.leaf_hash}, std::nullopt, Sha256Of(evals_text)};
  RSF_ASSIGN_OR_RETURN(auto er, lg->Append(ee));
  std::vector<ledger::Hash> refs = {pr.leaf_hash, er.leaf_hash};
  if (!evidence_text.empty()) {
    ledger::Entry se{"safeguard.evidence", now, model, {pr.leaf_hash}, std::nullopt, Sha256Of(evidence_text)};
    RSF_ASSIGN_OR_RETURN(auto sr, lg->Append(se));
    refs.push_back(sr.leaf_hash);
  }
  ledger::Entry ae{"assessment", now, model, refs,
                   Json{{"outcome", policy::OutcomeName(as.outcome)}, {"level", as.level}, {"tiers", as.tiers},
                        {"reasons", as.reasons}, {"assessment_sha256", Sha256Hex(assessment_json)}},
                   std::nullopt};
  RSF_ASSIGN_OR_RETURN(auto ar, lg->Append(ae));
  RSF_RETURN_IF_ERROR(lg->Publish().status());
  RSF_RETURN_IF_ERROR(lg->Close());
  return ledger::HashHex(ar.leaf_hash) + fmt::format(" (entry {})", ar.index);
}

Status RunAssess(CliContext& ctx, const AssessArgs& a) {
  RSF_ASSIGN_OR_RETURN(std::string policy_text, ReadInput(ctx, a.policy));
  RSF_ASSIGN_OR_RETURN(policy::Policy p, policy::LoadPolicy(policy_text, a.policy));
  RSF_ASSIGN_OR_RETURN(std::string evals_text, ReadInput(ctx, a.evals));
  RSF_ASSIGN_OR_RETURN(Json evals_json, ParseJson(evals_text, a.evals));
  RSF_ASSIGN_OR_RETURN(policy::EvalResults evals, policy::ParseEvalResults(evals_json, a.evals));
  policy::SafeguardEvidence evidence;
  std::string evidence_text;
  if (!a.evidence.empty()) {
    RSF_ASSIGN_OR_RETURN(evidence_text, ReadInput(ctx, a.evidence));
    RSF_ASSIGN_OR_RETURN(Json ej, ParseJson(evidence_text, a.evidence));
    RSF_ASSIGN_OR_RETURN(evidence, policy::ParseSafeguardEvidence(ej, a.evidence));
  }
  RSF_ASSIGN_OR_RETURN(policy::Assessment as, policy::Assess(p, evals, evidence));
  Json j = policy::AssessmentToJson(as);
  j["policy_sha256"] = Sha256Hex(policy_text);
  j["evals_sha256"] = Sha256Hex(evals_text);
  if (!evidence_text.empty()) j["evidence_sha256"] = Sha256Hex(evidence_text);
  std::string json_text = j.dump(2) + "\n";
  std::string md = policy::AssessmentMarkdown(p, as);
  if (!a.out_dir.empty()) {
    RSF_RETURN_IF_ERROR(ctx.env.CreateDirs(a.out_dir));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out_dir, "assessment.json"), json_text));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out_dir, "assessment.md"), md));
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(a.out_dir, "assessment.html"), policy::AssessmentHtml(p, as)));
    ctx.out << fmt::format("decision: {}; level {}; report in {}/assessment.{{json,md,html}}\n",
                           policy::OutcomeName(as.outcome), as.level, a.out_dir);
  } else if (a.format == "json") {
    ctx.out << json_text;
  } else if (a.format == "html") {
    ctx.out << policy::AssessmentHtml(p, as);
  } else if (a.format == "md") {
    ctx.out << md;
  } else {
    return InvalidArgumentError("--format must be json, md or html, not '" + a.format + "'");
  }
  if (!a.ledger.empty()) {
    RSF_ASSIGN_OR_RETURN(std::string leaf, LogToLedger(ctx, a, p, policy_text, evals_text, evidence_text, as, json_text));
    ctx.err << "logged the assessment to " << a.ledger << ": leaf " << leaf << "\n";
  }
  return OkStatus();
}

}  // namespace

void AddAssessCommand(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<AssessArgs>();
  auto* c = app.add_subcommand(
      "assess",
      "Assess evaluation results and safeguard evidence against a policy: per domain the level\n"
      "reached, thresholds crossed or in early warning with their margins, the required\n"
      "safeguards in place or missing, and one decision with its reasons. Formats:\n"
      "docs/formats/evidence.md.");
  c->add_option("--policy", a->policy, "Policy YAML")->required();
  c->add_option("--evals", a->evals, "Evaluation results (rsf-eval-results/1 JSON)")->required();
  c->add_option("--evidence", a->evidence, "Safeguard evidence (rsf-safeguard-evidence/1 JSON)");
  c->add_option("--out-dir", a->out_dir, "Write assessment.json, .md and .html here");
  c->add_option("--format", a->format, "Without --out-dir: json, md or html on stdout")->capture_default_str();
  c->add_option("--ledger", a->ledger, "Log policy, evidence and assessment to this ledger, linked by refs");
  c->callback([&ctx, a] { ctx.status = RunAssess(ctx, *a); });
}

}  // namespace rsf::cli
