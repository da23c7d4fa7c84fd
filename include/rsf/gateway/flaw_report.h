// include/rsf/gateway/flaw_report.h
//
// Flaw and vulnerability reports from outside researchers, taken by the gateway's
// POST /v1/flaw-reports (and `rsf gateway flaw-report`). A report is stored whole in the Store
// (collection "gateway.flaw_reports"); the ledger gets its metadata and the SHA-256 of its
// content only, since a report may describe a working jailbreak or hazardous output. The
// incident work (issue 9) triages from here.
//
// Submission (JSON): title (required, <= 200 bytes), description (required), model,
// category, severity ("low" | "medium" | "high" | "critical", the reporter's estimate),
// reproduction, contact, pseudonym, and accept_safe_harbour: true (required: the reporter
// accepts the terms in kSafeHarbourTerms).
//
// Thread safety: values and pure functions; FlawReportStore is as safe as its Store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rsf/common/json.h"
#include "rsf/common/status.h"
#include "rsf/store/store.h"

namespace rsf::gateway {

inline constexpr std::string_view kSafeHarbourTerms =
    "Good-faith research that follows this programme's rules (no harm to others, no access to "
    "data that is not yours, no disruption of service, reports kept confidential until the flaw "
    "is addressed or 90 days have passed) is authorised: we will not pursue or support legal "
    "action against you for it, and will not suspend your access for the testing it required.";

struct FlawReport {
  std::string id;           // "fr-..."
  std::string received;     // RFC 3339
  std::string title, description, model, category, severity, reproduction, contact;
  std::string reporter;     // the pseudonym, "key:<id>" for an authenticated reporter, or "anonymous"
  std::string status = "received";
  std::string content_sha256;  // over title, description and reproduction (FlawContentDigest)

  // with_content false: metadata and digest only (the ledger, auditors).
  Json ToJson(bool with_content) const;
};

// Parses a submission; kInvalidArgument naming the field and what was expected.
Result<FlawReport> ParseFlawReport(std::string_view body);
// SHA-256 hex of the length-prefixed title, description and reproduction.
std::string FlawContentDigest(const FlawReport& report);

class FlawReportStore {
 public:
  explicit FlawReportStore(store::Store& store) : store_(store) {}
  Status Put(const FlawReport& report);
  Status Delete(std::string_view id);
  Result<FlawReport> Get(std::string_view id);
  Result<std::vector<FlawReport>> List(size_t limit = 1000);

 private:
  store::Store& store_;
};

}  // namespace rsf::gateway
