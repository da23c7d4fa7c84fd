// src/gateway/flaw_report.cc
#include "rsf/gateway/flaw_report.h"

#include <fmt/format.h>

#include "rsf/common/sha256.h"

namespace rsf::gateway {
namespace {

constexpr std::string_view kCollection = "gateway.flaw_reports";

struct Field {
  const char* name;
  std::string FlawReport::*member;
  size_t max_bytes;
  bool required;
};

constexpr Field kFields[] = {
    {"title", &FlawReport::title, 200, true},
    {"description", &FlawReport::description, 60000, true},
    {"model", &FlawReport::model, 200, false},
    {"category", &FlawReport::category, 64, false},
    {"severity", &FlawReport::severity, 16, false},
    {"reproduction", &FlawReport::reproduction, 60000, false},
    {"contact", &FlawReport::contact, 320, false},
    {"pseudonym", &FlawReport::reporter, 64, false},
};

Result<FlawReport> FromJson(const Json& j, bool stored) {
  FlawReport r;
  for (const Field& f : kFields) {
    if (!j.contains(f.name)) {
      if (f.required) return InvalidArgumentError(fmt::format("flaw report: '{}' is required", f.name));
      continue;
    }
    if (!j[f.name].is_string()) return InvalidArgumentError(fmt::format("flaw report: '{}' must be a string", f.name));
    std::string v = j[f.name].get<std::string>();
    if (v.size() > f.max_bytes) return InvalidArgumentError(fmt::format("flaw report: '{}' is longer than {} bytes", f.name, f.max_bytes));
    if (f.required && v.empty()) return InvalidArgumentError(fmt::format("flaw report: '{}' must not be empty", f.name));
    r.*f.member = std::move(v);
  }
  if (!r.severity.empty() && r.severity != "low" && r.severity != "medium" && r.severity != "high" && r.severity != "critical") {
    return InvalidArgumentError("flaw report: 'severity' must be low, medium, high or critical");
  }
  if (stored) {
    RSF_ASSIGN_OR_RETURN(r.id, OptionalString(j, "id", "flaw report"));
    RSF_ASSIGN_OR_RETURN(r.received, OptionalString(j, "received", "flaw report"));
    RSF_ASSIGN_OR_RETURN(r.status, OptionalString(j, "status", "flaw report", "received"));
    RSF_ASSIGN_OR_RETURN(r.reporter, OptionalString(j, "reporter", "flaw report"));
    RSF_ASSIGN_OR_RETURN(r.content_sha256, OptionalString(j, "content_sha256", "flaw report"));
  }
  return r;
}

}  // namespace

std::string FlawContentDigest(const FlawReport& r) {
  std::string buf;
  for (const std::string* s : {&r.title, &r.description, &r.reproduction}) buf += fmt::format("{}:{}\n", s->size(), *s);
  return Sha256Hex(buf);
}

Json FlawReport::ToJson(bool with_content) const {
  Json j = {{"id", id}, {"received", received}, {"status", status}, {"model", model}, {"category", category},
            {"severity", severity}, {"reporter", reporter}, {"content_sha256", content_sha256}};
  if (with_content) {
    j["title"] = title;
    j["description"] = description;
    j["reproduction"] = reproduction;
    j["contact"] = contact;
  }
  return j;
}

Result<FlawReport> ParseFlawReport(std::string_view body) {
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(body, "flaw report"));  // rejects invalid UTF-8
  if (!j.is_object()) return InvalidArgumentError("flaw report: the body must be a JSON object");
  for (const auto& [k, v] : j.items()) {
    bool known = k == "accept_safe_harbour";
    for (const Field& f : kFields) known = known || k == f.name;
    if (!known) return InvalidArgumentError(fmt::format("flaw report: unknown field '{}'", k));
  }
  if (!j.contains("accept_safe_harbour") || j["accept_safe_harbour"] != true) {
    return InvalidArgumentError("flaw report: 'accept_safe_harbour' must be true (the terms are in GET /v1/flaw-reports/terms)");
  }
  RSF_ASSIGN_OR_RETURN(FlawReport r, FromJson(j, false));
  r.content_sha256 = FlawContentDigest(r);
  return r;
}

Status FlawReportStore::Put(const FlawReport& r) {
  return store_.Put(kCollection, r.id, r.ToJson(true).dump()).status();
}

Status FlawReportStore::Delete(std::string_view id) { return store_.Delete(kCollection, id); }

Result<FlawReport> FlawReportStore::Get(std::string_view id) {
  RSF_ASSIGN_OR_RETURN(auto v, store_.Get(kCollection, id));
  if (!v) return NotFoundError(fmt::format("no flaw report '{}'", id));
  RSF_ASSIGN_OR_RETURN(Json j, ParseJson(v->value, "flaw report"));
  auto r = FromJson(j, true);
  if (!r.ok()) return DataLossError(r.status().message());
  return r;
}

Result<std::vector<FlawReport>> FlawReportStore::List(size_t limit) {
  RSF_ASSIGN_OR_RETURN(auto page, store_.List(kCollection, "", limit));
  std::vector<FlawReport> out;
  for (const auto& v : page) {
    RSF_ASSIGN_OR_RETURN(Json j, ParseJson(v.value, "flaw report"));
    auto r = FromJson(j, true);
    if (!r.ok()) return DataLossError(r.status().message());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace rsf::gateway
