// include/rsf/eval/results.h
//
// What an evaluation hands on: the `rsf-eval-results/1` file that `rsf assess` reads
// (docs/formats/evidence.md), the "eval.result" ledger entry that records it, and importers
// for results produced by other harnesses so labs keep their evaluators:
//   - Inspect logs: an EvalLog as JSON (`inspect log dump`, or a .json log) or a .eval file
//     (a ZIP whose header.json holds the EvalLog without samples);
//   - lm-evaluation-harness results JSON (results_<date>.json): "<metric>,<filter>" keys.
// Imported metrics are named "<task>.<metric>"; proportions with a sample count get a Wilson
// interval, others keep the harness's stderr and a normal interval, and the source says so.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "rsf/common/clock.h"
#include "rsf/common/json.h"
#include "rsf/eval/runner.h"
#include "rsf/ledger/entry.h"

namespace rsf::eval {

struct ImportedResults {
  model::ModelIdentity model;
  std::string source;   // "inspect" or "lm-eval"
  std::vector<MetricSummary> metrics;
  Json provenance;      // what the source says about itself (versions, dataset hashes, ...)
};

// The results file for complete runs (all runs must name the same model).
// kFailedPrecondition names a run that is not complete.
Result<Json> ResultsJson(const std::vector<RunSummary>& runs, const Clock& clock);
Json ImportedResultsJson(const ImportedResults& r, const Clock& clock);

// The ledger entry for one run: subject "model:<digest>", refs as given (the model's load or
// manifest entry), body: suite digest, dataset sha256, configuration hash, metrics.
ledger::Entry RunResultEntry(const RunSummary& run, const Clock& clock, std::vector<ledger::Hash> refs);
ledger::Entry ImportedResultEntry(const ImportedResults& r, const std::string& file_sha256,
                                  const Clock& clock);

// kInvalidArgument naming the field when the input is not what the format says.
Result<ImportedResults> ImportInspect(std::string_view bytes, std::string_view path);
Result<ImportedResults> ImportLmEval(std::string_view bytes, std::string_view path);
// Picks the importer from the content (ZIP or JSON with "eval"/"results" shapes).
Result<ImportedResults> ImportResults(std::string_view bytes, std::string_view path);

// Reads member `name` of a ZIP archive (stored or deflated). kNotFound if absent,
// kInvalidArgument for a malformed archive.
Result<std::string> ReadZipMember(std::string_view zip, std::string_view name);

}  // namespace rsf::eval
