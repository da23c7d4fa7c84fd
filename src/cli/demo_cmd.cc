// `rsf demo`: the chain end to end on embedded defaults: a policy linted, a model's
// evaluation results and safeguard evidence assessed against it with a report, all of it
// logged to the ledger with references to each other, an offline proof verified with only the
// verifier key, selective disclosure, group-committed bulk appends, a consistency proof, and
// tampering caught by fsck.
#include <atomic>
#include <chrono>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "demo_gateway.h"
#include "io.h"
#include "rsf/common/sha256.h"
#include "rsf/ledger/fsck.h"
#include "rsf/ledger/ledger.h"
#include "rsf/ledger/tiles.h"
#include "model_open.h"
#include "rsf/eval/results.h"
#include "rsf/eval/runner.h"
#include "rsf/model/manifest.h"
#include "rsf/model/reference_lm.h"
#include "rsf/policy/assess.h"
#include "rsf/policy/lint.h"
#include "rsf/policy/report.h"

namespace rsf::embedded {
extern const std::string_view kExamplePolicy;
extern const std::string_view kExampleEvals;
extern const std::string_view kExampleSafeguards;
extern const std::string_view kGatePolicy;
extern const std::string_view kSuiteRefusalSmoke;
extern const std::string_view kSuiteBasicQa;
extern const std::string_view kDataRefusalSmoke;
extern const std::string_view kDataBasicQa;
}  // namespace rsf::embedded

namespace rsf::cli {
namespace {

using ledger::Entry;

struct DemoArgs {
  std::string dir;
  uint64_t bulk = 20000;
  std::string serve;  // HOST:PORT to keep serving the gateway and console on afterwards
};

Entry MakeEntry(const Clock& clock, std::string type, std::string subject, Json body,
                std::vector<ledger::Hash> refs = {}) {
  Entry e;
  e.type = std::move(type);
  e.subject = std::move(subject);
  e.time = FormatRfc3339(clock.Now());
  e.body = std::move(body);
  e.refs = std::move(refs);
  return e;
}

Status CopyTree(Env& env, const std::string& from, const std::string& to) {
  RSF_RETURN_IF_ERROR(env.CreateDirs(to));
  RSF_ASSIGN_OR_RETURN(auto names, env.ListDir(from));
  for (const auto& name : names) {
    std::string src = JoinPath(from, name);
    std::string dst = JoinPath(to, name);
    auto listing = env.ListDir(src);
    if (listing.ok()) {
      RSF_RETURN_IF_ERROR(CopyTree(env, src, dst));
    } else {
      RSF_ASSIGN_OR_RETURN(std::string data, env.ReadFile(src));
      RSF_RETURN_IF_ERROR(env.WriteFileAtomic(dst, data));
    }
  }
  return OkStatus();
}

// Signs the reference model's weights, runs the embedded suites against it through the
// weights gate, and assesses the results against the embedded gate policy; all logged.
Status EvaluateReferenceModel(CliContext& ctx, const std::string& dir, ledger::Ledger& lg) {
  auto& out = ctx.out;
  const Clock& clock = ctx.clock;
  // Sign the manifest of the model's weights (a release engineer's key).
  RSF_ASSIGN_OR_RETURN(auto signer, ledger::NoteSigner::Generate("release.engineer"));
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(dir, "release-engineer.key"), signer.ToString() + "\n", 0600));
  model::Manifest manifest;
  manifest.name = "rsf-reference-lm";
  const std::string_view weights = model::ReferenceModelWeights();
  manifest.files.push_back({ReferenceWeightsPath(), Sha256Hex(weights), weights.size()});
  RSF_RETURN_IF_ERROR(model::SignManifest(manifest, signer));
  RSF_ASSIGN_OR_RETURN(auto manifest_r, lg.Append(model::ManifestEntry(manifest, clock)));
  model::WeightsPolicy wp;
  wp.trusted = {signer.Verifier()};
  RSF_ASSIGN_OR_RETURN(auto loaded, model::GateWeights(lg, clock, ReferenceWeightsPath(), Sha256Hex(weights),
                                                       "reference", wp));
  out << "3b. Signed the reference model's weights manifest (#" << manifest_r.index << ", digest "
      << loaded.digest.substr(0, 23) << "…);\n    the weights gate found it and logged the load (#"
      << loaded.load_entry.index << ").\n";

  // The suites and their data, written out so the run is reproducible with `rsf eval run`.
  const std::string suites = JoinPath(dir, "suites");
  RSF_RETURN_IF_ERROR(ctx.env.CreateDirs(JoinPath(suites, "data")));
  for (auto [name, text] : {std::pair{"refusal_smoke.yaml", embedded::kSuiteRefusalSmoke},
                            {"basic_qa.yaml", embedded::kSuiteBasicQa},
                            {"data/refusal-smoke.jsonl", embedded::kDataRefusalSmoke},
                            {"data/basic-qa.jsonl", embedded::kDataBasicQa}}) {
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(suites, name), text));
  }
  auto client = model::MakeReferenceModel();
  std::vector<eval::RunSummary> runs;
  for (const char* name : {"basic_qa.yaml", "refusal_smoke.yaml"}) {
    RSF_ASSIGN_OR_RETURN(eval::Suite suite, eval::LoadSuite(ctx.env, JoinPath(suites, name)));
    RSF_ASSIGN_OR_RETURN(eval::Dataset data, eval::LoadDataset(ctx.env, suite.dataset));
    eval::RunOptions o;
    o.run_dir = JoinPath(JoinPath(dir, "runs"), suite.name);
    o.model_digest = loaded.digest;
    RSF_ASSIGN_OR_RETURN(eval::RunSummary s, eval::RunEval(ctx.env, clock, suite, data, *client, o));
    if (!s.complete) return InternalError("demo: the reference model run did not complete");
    RSF_ASSIGN_OR_RETURN(auto r, lg.Append(eval::RunResultEntry(s, clock, {loaded.load_entry.leaf_hash})));
    out << fmt::format("    {}: {} samples, logged as #{} (suite {}…, dataset {}…)\n", suite.name, s.expected,
                       r.index, s.suite_digest.substr(0, 15), s.dataset_sha256.substr(0, 8));
    for (const auto& m : s.metrics) {
      out << fmt::format("      {:<36} {:.3f}  95% CI [{:.3f}, {:.3f}]  n={} ({})\n", m.name, m.mean, m.ci_low,
                         m.ci_high, m.n, m.ci_method);
    }
    runs.push_back(std::move(s));
  }
  RSF_ASSIGN_OR_RETURN(Json results, eval::ResultsJson(runs, clock));
  const std::string results_path = JoinPath(dir, "reference-results.json");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(results_path, results.dump(2) + "\n"));
  RSF_ASSIGN_OR_RETURN(policy::Policy gate, policy::LoadPolicy(embedded::kGatePolicy, "reference-gate.yaml"));
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(dir, "reference-gate.yaml"), embedded::kGatePolicy));
  RSF_ASSIGN_OR_RETURN(policy::EvalResults evals, policy::ParseEvalResults(results, results_path));
  policy::SafeguardEvidence evidence;
  evidence.machine["model.manifest.signed"] = "true";
  RSF_ASSIGN_OR_RETURN(policy::Assessment as, policy::Assess(gate, evals, evidence));
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(dir, "reference-assessment.html"), policy::AssessmentHtml(gate, as)));
  out << "    Assessed against " << gate.framework.name << ": level " << as.level << ", decision "
      << policy::OutcomeName(as.outcome) << ".\n";
  for (const auto& r : as.reasons) out << "    - " << r << "\n";
  out << "    Results: " << results_path << "; report: " << JoinPath(dir, "reference-assessment.html") << "\n"
      << "    Rerun it: rsf eval run " << JoinPath(suites, "refusal_smoke.yaml") << " --model reference --ledger "
      << JoinPath(dir, "ledger") << " --run-dir <dir>\n\n";
  return OkStatus();
}

Status RunDemo(CliContext& ctx, const DemoArgs& a) {
  auto& out = ctx.out;
  std::string dir = a.dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/rsf-demo-XXXXXX";
    if (!mkdtemp(tmpl)) return InternalError("cannot create a temporary directory");
    dir = tmpl;
  }
  std::string ledger_dir = JoinPath(dir, "ledger");
  out << "rsf demo: policy, model evaluation, assessment and transparency ledger end to end\n"
      << "working directory: " << dir << "\n\n";

  // 1. Create the ledger.
  RSF_ASSIGN_OR_RETURN(ledger::NoteVerifier verifier,
                       ledger::Ledger::Init(ctx.env, ledger_dir, "demo.rsf.example/ledger"));
  std::string key_file = JoinPath(dir, "verifier.key");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(key_file, verifier.ToString() + "\n"));
  out << "1. Created ledger demo.rsf.example/ledger\n"
      << "   verifier key (what an auditor keeps): " << verifier.ToString() << "\n\n";

  ledger::LedgerOptions options;
  RSF_ASSIGN_OR_RETURN(auto lg, ledger::Ledger::Open(ctx.env, ledger_dir, options));

  // 2. The policy, linted.
  const Clock& clock = ctx.clock;
  RSF_ASSIGN_OR_RETURN(policy::Policy pol, policy::LoadPolicy(embedded::kExamplePolicy, "asl-ladder.yaml"));
  auto findings = policy::LintPolicy(pol);
  size_t lint_errors = std::count_if(findings.begin(), findings.end(),
                                     [](const auto& f) { return f.severity == policy::Severity::kError; });
  std::string policy_path = JoinPath(dir, "policy.yaml");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(policy_path, embedded::kExamplePolicy));
  RSF_ASSIGN_OR_RETURN(auto policy_r, lg->Append(MakeEntry(clock, "policy.version",
      "policy:" + pol.framework.id + "@" + pol.framework.version,
      {{"framework", pol.framework.id}, {"version", pol.framework.version},
       {"accountable_officer", pol.framework.accountable_officer},
       {"sha256", Sha256Hex(embedded::kExamplePolicy)}})));
  out << "2. Policy " << pol.framework.name << " " << pol.framework.version << " (" << policy_path << "): "
      << pol.levels.size() << " levels, " << pol.thresholds.size() << " thresholds; lint: " << lint_errors
      << " errors, " << findings.size() - lint_errors << " other findings. Logged as #" << policy_r.index << ".\n\n";

  // 3. Assessment of a model's evaluation results and safeguard evidence.
  RSF_ASSIGN_OR_RETURN(Json evals_json, ParseJson(embedded::kExampleEvals, "frontier-1-evals.json"));
  RSF_ASSIGN_OR_RETURN(policy::EvalResults evals, policy::ParseEvalResults(evals_json, "frontier-1-evals.json"));
  RSF_ASSIGN_OR_RETURN(Json sg_json, ParseJson(embedded::kExampleSafeguards, "frontier-1-safeguards.json"));
  RSF_ASSIGN_OR_RETURN(policy::SafeguardEvidence sg, policy::ParseSafeguardEvidence(sg_json, "frontier-1-safeguards.json"));
  RSF_ASSIGN_OR_RETURN(policy::Assessment as, policy::Assess(pol, evals, sg));
  std::string transcripts_path = JoinPath(dir, "eval-results.json");
  const std::string transcripts(embedded::kExampleEvals);
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(transcripts_path, transcripts));
  std::string report_json = policy::AssessmentToJson(as).dump(2) + "\n";
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(dir, "assessment.json"), report_json));
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(JoinPath(dir, "assessment.md"), policy::AssessmentMarkdown(pol, as)));
  std::string report_html = JoinPath(dir, "assessment.html");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(report_html, policy::AssessmentHtml(pol, as)));
  std::string model = "model:" + as.model_digest;
  Entry eval = MakeEntry(clock, "eval.results", model, {}, {policy_r.leaf_hash});
  eval.body.reset();
  eval.body_digest = Sha256Of(transcripts);
  RSF_ASSIGN_OR_RETURN(auto eval_r, lg->Append(eval));
  Entry evidence = MakeEntry(clock, "safeguard.evidence", model, {}, {policy_r.leaf_hash});
  evidence.body.reset();
  evidence.body_digest = Sha256Of(embedded::kExampleSafeguards);
  RSF_ASSIGN_OR_RETURN(auto evidence_r, lg->Append(evidence));
  RSF_ASSIGN_OR_RETURN(auto decision, lg->Append(MakeEntry(clock, "assessment", model,
      {{"outcome", policy::OutcomeName(as.outcome)}, {"level", as.level}, {"tiers", as.tiers},
       {"reasons", as.reasons}, {"assessment_sha256", Sha256Hex(report_json)}},
      {policy_r.leaf_hash, eval_r.leaf_hash, evidence_r.leaf_hash})));
  RSF_ASSIGN_OR_RETURN(auto gateway, lg->Append(MakeEntry(clock, "gateway.config", "gateway:prod",
      {{"model", model}, {"guard", "strict"}, {"tiers", as.tiers}}, {decision.leaf_hash})));
  RSF_ASSIGN_OR_RETURN(auto cp1, lg->Publish());
  std::string tiers;
  for (const auto& t : as.tiers) tiers += (tiers.empty() ? "" : ", ") + t;
  out << "3. Assessed " << as.model << " against it: level " << as.level << ", decision "
      << policy::OutcomeName(as.outcome) << (tiers.empty() ? "" : " to " + tiers) << ".\n";
  for (const auto& r : as.reasons) out << "   - " << r << "\n";
  out << "   Report: " << report_html << " (also .md and .json)\n"
      << "   Logged, each entry naming the ones it rests on:\n";
  for (auto [name, r] : {std::pair{"policy.version     ", policy_r}, {"eval.results       ", eval_r},
                         {"safeguard.evidence ", evidence_r}, {"assessment         ", decision},
                         {"gateway.config     ", gateway}}) {
    out << "   #" << r.index << " " << name << " leaf " << ledger::HashHex(r.leaf_hash).substr(0, 16) << "…\n";
  }
  out << "   The evaluation results are logged only by digest (selective disclosure).\n"
      << "   Signed checkpoint (C2SP tlog-checkpoint):\n";
  std::string old_cp_path = JoinPath(dir, "checkpoint-1.txt");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(old_cp_path, cp1.note));
  for (size_t pos = 0; pos < cp1.note.size();) {
    size_t nl = cp1.note.find('\n', pos);
    out << "     | " << cp1.note.substr(pos, nl - pos) << "\n";
    pos = nl + 1;
  }
  out << "\n";

  // 3b. Evaluate the built-in reference model and gate it with a second policy.
  RSF_RETURN_IF_ERROR(EvaluateReferenceModel(ctx, dir, *lg));

  // 4. Offline proof of the assessment, and disclosure of the evaluation results.
  RSF_ASSIGN_OR_RETURN(auto proof, lg->ProveInclusion(decision.index));
  std::string proof_path = JoinPath(dir, "assessment.tlog-proof");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(proof_path, ledger::FormatInclusionBundle(proof)));
  RSF_ASSIGN_OR_RETURN(auto verified, ledger::VerifyInclusionBundle(proof, verifier));
  RSF_ASSIGN_OR_RETURN(auto eval_proof, lg->ProveInclusion(eval_r.index));
  RSF_ASSIGN_OR_RETURN(auto eval_verified, ledger::VerifyInclusionBundle(eval_proof, verifier));
  RSF_RETURN_IF_ERROR(ledger::CheckDisclosure(eval_verified.entry, transcripts));
  Status altered = ledger::CheckDisclosure(eval_verified.entry, transcripts + " ");
  out << "4. Wrote an offline proof of the assessment to " << proof_path << "\n"
      << "   and verified it with only the verifier key: entry #" << verified.index << " ("
      << verified.entry.type << ") is in the signed tree of " << verified.checkpoint.size
      << " entries.\n"
      << "   Try: rsf ledger verify " << proof_path << " --key " << key_file << "\n"
      << "   Disclosure: the evaluation results shown to an auditor later match the logged digest;\n"
      << "   a copy with one extra byte does not (" << altered.message().substr(0, 48) << "…).\n\n";

  // 5. Bulk appends with group commit from several threads.
  const int kThreads = 8;
  std::atomic<uint64_t> done{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Entry> batch;
      for (uint64_t i = static_cast<uint64_t>(t); i < a.bulk; i += kThreads) {
        batch.push_back(MakeEntry(clock, "gateway.request", fmt::format("request:{}", i),
                                  {{"tier", "public"}, {"guard", "allow"}, {"latency_ms", 12}}));
        if (batch.size() == 64) {
          if (!lg->AppendBatch(batch).ok()) failed = true;
          done += batch.size();
          batch.clear();
          Progress(ctx, fmt::format("   appended {}/{}", done.load(), a.bulk));
        }
      }
      if (!batch.empty() && !lg->AppendBatch(batch).ok()) failed = true;
      done += batch.size();
    });
  }
  for (auto& th : threads) th.join();
  ProgressDone(ctx);
  if (failed) return InternalError("bulk append failed");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RSF_ASSIGN_OR_RETURN(auto cp2, lg->Publish());
  out << fmt::format("5. Appended {} gateway audit records from {} threads in {:.2f} s ({:.0f} "
                     "durable entries/s, fsync'd group commits)\n",
                     a.bulk, kThreads, secs, static_cast<double>(a.bulk) / secs)
      << "   and published checkpoint " << cp2.checkpoint.size << ".\n\n";

  // 6. Consistency.
  RSF_ASSIGN_OR_RETURN(auto cons, lg->ProveConsistency(cp1.checkpoint.size));
  RSF_ASSIGN_OR_RETURN(auto newer, ledger::VerifyConsistencyBundle(cons, cp1.note, verifier));
  out << "6. Consistency: the tree of " << newer.size << " entries provably extends the old one of "
      << cp1.checkpoint.size << " (" << cons.proof.size() << "-hash proof); nothing was rewritten.\n\n";

  // 7. The decision bound to what is served.
  std::string drills;
  RSF_RETURN_IF_ERROR(DemoGateway(ctx, dir, *lg, embedded::kExamplePolicy, as, report_json, drills));
  RSF_ASSIGN_OR_RETURN(auto final_cp, lg->Publish());
  RSF_RETURN_IF_ERROR(lg->Close());

  // 8. Tampering.
  std::string copy = JoinPath(dir, "tampered-copy");
  RSF_RETURN_IF_ERROR(CopyTree(ctx.env, ledger_dir, copy));
  // The first entry bundle: full, or partial when the log has fewer entries than a tile.
  const uint64_t first_width = std::min<uint64_t>(final_cp.checkpoint.size, ledger::kTileWidth);
  std::string bundle = JoinPath(JoinPath(copy, "log"), ledger::EntryBundlePath(0, first_width));
  RSF_ASSIGN_OR_RETURN(std::string data, ctx.env.ReadFile(bundle));
  size_t pos = data.find("deploy_restricted");
  if (pos == std::string::npos) return InternalError("demo: decision not found in bundle");
  data.replace(pos, 17, "deploy_unlimited!");
  RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(bundle, data));
  ledger::FsckOptions fo;
  fo.verifier = verifier;
  RSF_ASSIGN_OR_RETURN(auto report, ledger::Fsck(ctx.env, copy, fo));
  RSF_ASSIGN_OR_RETURN(auto clean, ledger::Fsck(ctx.env, ledger_dir, fo));
  out << "8. fsck of the real ledger: " << clean.entries_checked << " entries, " << clean.errors()
      << " errors.\n"
      << "   In a copy, the decision was changed from deploy_restricted to deploy_unlimited:\n";
  for (const auto& f : report.findings) out << "   fsck: " << f.location << ": " << f.message << "\n";
  out << "\n" << drills;
  const std::string gdir = JoinPath(dir, "gateway");
  const std::string listen = a.serve.empty() ? "127.0.0.1:8080" : a.serve;
  out << "\n10. The console: http://" << listen << "/console/ — sign in with the key in " << JoinPath(gdir, "console-auditor.key")
      << "\n    (auditor, read-only) or " << JoinPath(gdir, "console-admin.key") << " (admin, with the kill switch).\n";
  if (a.serve.empty()) {
    out << "    Serve it with: rsf demo --dir " << dir << " --serve " << listen << "  (or: rsfd --config "
        << JoinPath(gdir, "gateway.yaml") << " --listen " << listen << ")\n";
  }
  out << "\nAll files are in " << dir << ". Next: rsf ledger --help, rsf incident --help, rsf drill --help\n";
  if (clean.errors() != 0 || report.errors() == 0) return InternalError("demo: fsck did not behave");
  if (!a.serve.empty()) {
    out << "\nServing the console and the gateway on http://" << listen << " until interrupted (Ctrl-C).\n";
    out.flush();
    return ServeGatewayConfig(ctx, JoinPath(gdir, "gateway.yaml"), listen);
  }
  return OkStatus();
}

}  // namespace

void AddDemoCommand(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<DemoArgs>();
  auto* c = app.add_subcommand("demo", "Run the rsf chain end to end on embedded defaults "
                                       "(policy, model evaluation, assessment, ledger)");
  c->add_option("--dir", a->dir, "Working directory (default: a new one under /tmp)");
  c->add_option("--bulk", a->bulk, "How many audit records to append in the bulk step")
      ->capture_default_str();
  c->add_option("--serve", a->serve,
                "After the demo, keep serving its gateway and the web console on HOST:PORT until interrupted "
                "(e.g. 127.0.0.1:8080; the demo directory must then be new or reused with --dir)");
  c->callback([&ctx, a] { ctx.status = RunDemo(ctx, *a); });
}

}  // namespace rsf::cli
