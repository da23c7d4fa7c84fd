// include/rsf/policy/risks.h
//
// The risk register: risks rated by experts for probability, severity and vulnerability over
// Delphi rounds, with a named owner (responsibility). Aggregation gives, per risk and round,
// the median and interquartile range of each rating, and whether the panel converged (the
// final round's spread is at most half the first round's, or already narrow).
//
//   rsf_risks: 1
//   risks:  [{id, title, domain?, owner}]
//   rounds: [{round: 1, ratings: [{expert, risk, probability 0..1, severity 1..5,
//                                  vulnerability 1..5}]}]
//
// Thread safety: stateless.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"

namespace rsf::policy {

struct RiskRating {
  std::string expert, risk;
  double probability = 0, severity = 0, vulnerability = 0;
};

struct RiskRegister {
  struct Risk {
    std::string id, title, domain, owner;
  };
  std::vector<Risk> risks;
  std::vector<std::vector<RiskRating>> rounds;  // in order
};

// kInvalidArgument with "file:line:column: ..." for malformed input, unknown risks, ratings out
// of range, or an expert rating one risk twice in a round.
Result<RiskRegister> LoadRiskRegister(std::string_view yaml, std::string_view file);

struct Spread {
  double median = 0, q1 = 0, q3 = 0;
  double iqr() const { return q3 - q1; }
};

struct RiskSummary {
  std::string id, title, owner;
  std::vector<Spread> probability, severity, vulnerability;  // per round
  std::vector<int> raters;                                   // per round
  bool converged = false;
  double score = 0;  // final median probability x median severity
};

std::vector<RiskSummary> AggregateRisks(const RiskRegister& reg);
Json RiskSummariesToJson(const std::vector<RiskSummary>& s);
std::string RiskMarkdown(const std::vector<RiskSummary>& s);
// Self-contained HTML with a likelihood x severity chart (final medians, IQR boxes).
std::string RiskHtml(const std::vector<RiskSummary>& s);

}  // namespace rsf::policy
