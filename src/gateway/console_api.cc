// src/gateway/console_api.cc — what the web console reads (docs/console.md): its files under
// /console/, and the read-only admin endpoints /admin/v1/console/* and /admin/v1/ledger/*.
// Admin and auditor keys may read them; nothing here changes state (the console's kill
// switch calls the admin API's own endpoints, which log every action).
#include <fmt/format.h>

#include <charconv>

#include "gateway/gateway_impl.h"
#include "gateway/query.h"
#include "gateway/responses.h"
#include "rsf/common/encoding.h"
#include "rsf/ledger/hash.h"
#include "rsf/ledger/ledger.h"
#include "rsf/web/assets.h"

namespace rsf::gateway {

using internal::Error;
using internal::HttpIn;
using internal::HttpOut;
using internal::JsonOut;
using internal::QueryNumber;
using internal::QueryParam;

namespace {

// The console loads only its own files: no inline script, nothing from elsewhere.
constexpr std::string_view kConsoleCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The type of a canonical entry without parsing it: keys are sorted, so "type" comes last.
std::string_view EntryType(std::string_view bytes) {
  constexpr std::string_view kTag = "\"type\":\"";
  const size_t at = bytes.rfind(kTag);
  if (at == std::string_view::npos) return {};
  const size_t start = at + kTag.size();
  const size_t end = bytes.find('"', start);
  return end == std::string_view::npos ? std::string_view{} : bytes.substr(start, end - start);
}

Json DecisionJson(const ServedModel& m) {
  return {{"outcome", m.decision.outcome},       {"level", m.decision.level},
          {"tiers", m.decision.tiers},           {"final", m.decision.final},
          {"signed_roles", m.decision.signed_roles}, {"missing_roles", m.decision.missing_roles},
          {"dissents", m.decision.dissents},     {"distinct_roles", m.decision.distinct_roles},
          {"min_signers", m.decision.min_signers}, {"statement_sha256", m.decision.statement_sha256},
          {"framework", m.decision.framework},   {"model", m.decision.model}};
}

// Whether each required safeguard is in place: as the signed assessment found it, and as this
// gateway serves it (the guard on for every tier that may call the model, the watermark on).
Json SafeguardsJson(const CompiledGateway& g, const ServedModel& m) {
  Json list = Json::array();
  for (const auto& id : m.required_safeguards) {
    const policy::Safeguard* sg = g.policy.FindSafeguard(id);
    Json s = {{"id", id}, {"name", sg ? sg->name : id}};
    if (m.assessment && m.assessment->contains("safeguards") && (*m.assessment)["safeguards"].is_array()) {
      for (const auto& a : (*m.assessment)["safeguards"]) {
        if (StringOr(a, "id") == id) {
          s["assessed_in_place"] = BoolOr(a, "in_place");
          s["assessed_evidence"] = StringOr(a, "evidence");
        }
      }
    }
    auto by = m.route.safeguards.find(id);
    if (by != m.route.safeguards.end()) {
      s["provided_by"] = by->second;
      if (by->second == "watermark") {
        s["serving"] = m.route.watermark && m.watermark.has_value();
        s["serving_detail"] = m.route.watermark ? "the watermark is embedded while sampling" : "the watermark is off";
      } else {
        std::vector<std::string> weak;
        for (const auto& t : g.config.tiers) {
          if (!DecisionAllowsTier(m, t.id)) continue;
          if (t.guard == GuardMode::kOff || (t.guard == GuardMode::kLogOnly && !t.safe_harbour)) weak.push_back(t.id);
        }
        s["serving"] = weak.empty();
        s["serving_detail"] = weak.empty() ? "the guard runs for every tier that may call the model"
                                           : fmt::format("the guard is off for: {}", fmt::join(weak, ", "));
      }
    } else {
      s["provided_by"] = "attestation";
    }
    list.push_back(std::move(s));
  }
  return list;
}

}  // namespace

HttpOut Gateway::Impl::ConsoleFile(const HttpIn& in, std::string_view path) {
  if (!Current()->compiled.config.console_enabled) {
    return Error(404, "invalid_request_error", "console_disabled", "the console is disabled in this gateway's configuration");
  }
  if (in.method != "GET") {
    HttpOut out = Error(405, "invalid_request_error", "method_not_allowed", "use GET");
    out.headers.emplace_back("Allow", "GET");
    return out;
  }
  if (path == "/console") {
    HttpOut out{308, "text/plain; charset=utf-8", "see /console/\n", {}};
    out.headers.emplace_back("Location", "/console/");
    return out;
  }
  const web::Asset* asset = web::FindConsoleAsset(path.substr(std::string_view("/console/").size()));
  if (!asset) return Error(404, "invalid_request_error", "not_found", fmt::format("no console file {}", path));
  HttpOut out{200, std::string(asset->content_type), std::string(asset->body), {}};
  out.headers.emplace_back("Content-Security-Policy", std::string(kConsoleCsp));
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");
  out.headers.emplace_back("Referrer-Policy", "no-referrer");
  out.headers.emplace_back("Cache-Control", "no-cache");
  out.headers.emplace_back("ETag", std::string(asset->etag));
  return out;
}

void Gateway::Impl::IndexLedger() {
  if (!options.ledger) return;
  const uint64_t size = options.ledger->LatestCheckpoint().checkpoint.size;
  for (uint64_t i = ledger_indexed; i < size; ++i) {
    auto bytes = options.ledger->ReadEntry(i);
    if (!bytes.ok()) return;  // retried on the next call
    const std::string_view type = EntryType(*bytes);
    ledger_indexed = i + 1;
    if (type == "gateway.request" || type == "gateway.requests") continue;
    auto json = ParseJson(*bytes, "ledger entry");
    if (!json.ok()) continue;
    Json row = {{"index", i}, {"type", std::string(type)}, {"subject", StringOr(*json, "subject")}, {"time", StringOr(*json, "time")}};
    if (type == "eval.result" && json->contains("body")) row["body"] = (*json)["body"];
    ledger_notable.push_back(std::move(row));
  }
}

HttpOut Gateway::Impl::ConsoleAdmin(const HttpIn& in, const ApiKey& key, const std::vector<std::string>& seg) {
  if (in.method != "GET") return Error(405, "invalid_request_error", "method_not_allowed", "the console's data is read-only: use GET");
  auto not_found = [&] { return Error(404, "invalid_request_error", "not_found", fmt::format("no such admin endpoint: GET {}", in.target)); };
  const auto snap = Current();
  const CompiledGateway& g = snap->compiled;

  if (seg[0] == "console" && seg.size() == 2 && seg[1] == "overview") {
    Json levels = Json::array();
    for (const auto& l : g.policy.levels) levels.push_back({{"id", l.id}, {"name", l.name}, {"rank", l.rank}});
    Json domains = Json::array();
    for (const auto& d : g.policy.domains) domains.push_back({{"id", d.id}, {"name", d.name}});
    Json halts = Json::array();
    for (const auto& h : control->Halts()) halts.push_back(h.ToJson());
    Json models = Json::array();
    for (const auto& m : g.models) {
      Json entry = {{"id", m.route.id()}, {"name", m.route.name}, {"version", m.route.version}, {"backend", m.route.backend},
                    {"decision", DecisionJson(m)}, {"allowed_tiers", m.tiers}, {"safeguards", SafeguardsJson(g, m)},
                    {"assessment", m.assessment != nullptr}};
      if (m.assessment && m.assessment->contains("domains")) entry["domains"] = (*m.assessment)["domains"];
      models.push_back(std::move(entry));
    }
    const auto& fw = g.policy.framework;
    return JsonOut(200, {{"framework", {{"id", fw.id}, {"name", fw.name}, {"version", fw.version}, {"effective", fw.effective},
                                        {"accountable_officer", fw.accountable_officer}}},
                         {"role", KeyRoleName(key.role)}, {"key_id", key.id}, {"levels", levels}, {"domains", domains},
                         {"models", models}, {"halts", halts}, {"config_sha256", snap->base.config.sha256},
                         {"drill_mode", g.config.incidents.drill_mode}});
  }
  if (seg[0] == "console" && seg.size() == 3 && seg[1] == "assessment") {
    const ServedModel* m = g.FindModel(seg[2]);
    if (!m) return Error(404, "invalid_request_error", "not_found", fmt::format("no model '{}'", seg[2]));
    if (!m->assessment) {
      return Error(404, "invalid_request_error", "no_assessment",
                   fmt::format("model '{}' names no assessment file in the gateway configuration", seg[2]));
    }
    return JsonOut(200, {{"model", m->route.id()}, {"decision", DecisionJson(*m)}, {"assessment", *m->assessment},
                         {"verified", "the assessment's SHA-256 is the one the signed decision names"}});
  }
  if (seg[0] == "console" && seg.size() == 2 && seg[1] == "traffic") return JsonOut(200, traffic->ToJson());
  if (seg[0] == "console" && seg.size() == 2 && seg[1] == "evals") {
    if (!options.ledger) return Error(404, "invalid_request_error", "no_ledger", "this gateway has no ledger to read");
    std::lock_guard lock(ledger_index_mu);
    IndexLedger();
    Json runs = Json::array();
    for (const auto& row : ledger_notable) {
      if (row["type"] == "eval.result") runs.push_back(row);
    }
    return JsonOut(200, {{"runs", runs}, {"ledger_size", ledger_indexed}});
  }

  if (seg[0] != "ledger") return not_found();
  if (!options.ledger) return Error(404, "invalid_request_error", "no_ledger", "this gateway has no ledger to read");
  const ledger::Ledger& lg = *options.ledger;
  if (seg.size() == 1) {
    const ledger::SignedCheckpoint cp = lg.LatestCheckpoint();
    return JsonOut(200, {{"origin", cp.checkpoint.origin}, {"size", cp.checkpoint.size},
                         {"root_hash", ledger::HashHex(cp.checkpoint.root)}, {"checkpoint", cp.note},
                         {"verifier_key", lg.verifier().ToString()}, {"pending", lg.Size() - cp.checkpoint.size}});
  }
  if (seg.size() == 2 && seg[1] == "entries") {
    const std::string type = QueryParam(in.target, "type");
    const uint64_t limit = std::min<uint64_t>(QueryNumber(in.target, "limit").value_or(50), 500);
    std::lock_guard lock(ledger_index_mu);
    IndexLedger();
    Json list = Json::array();
    if (auto from = QueryNumber(in.target, "from")) {
      // A plain range, every type.
      for (uint64_t i = *from; i < ledger_indexed && list.size() < limit; ++i) {
        auto bytes = lg.ReadEntry(i);
        if (!bytes.ok()) return internal::FromStatus(bytes.status());
        auto json = ParseJson(*bytes, "ledger entry");
        if (!json.ok()) continue;
        list.push_back({{"index", i}, {"type", StringOr(*json, "type")}, {"subject", StringOr(*json, "subject")},
                        {"time", StringOr(*json, "time")}});
      }
    } else {
      // The newest entries other than request records, of one type when asked.
      for (auto it = ledger_notable.rbegin(); it != ledger_notable.rend() && list.size() < limit; ++it) {
        if (!type.empty() && (*it)["type"] != type) continue;
        Json row = *it;
        row.erase("body");
        list.push_back(std::move(row));
      }
    }
    return JsonOut(200, {{"entries", list}, {"size", ledger_indexed}});
  }
  if (seg.size() == 3 && (seg[1] == "entries" || seg[1] == "proof")) {
    uint64_t index = 0;
    auto [p, ec] = std::from_chars(seg[2].data(), seg[2].data() + seg[2].size(), index);
    if (ec != std::errc() || p != seg[2].data() + seg[2].size()) {
      return Error(400, "invalid_request_error", "invalid_request", "the entry index must be a whole number");
    }
    const uint64_t published = lg.LatestCheckpoint().checkpoint.size;
    if (index >= published) {
      return Error(409, "invalid_request_error", "not_yet_published",
                   fmt::format("entry {} is not in the latest checkpoint (size {}) yet; try again in a second", index, published));
    }
    if (seg[1] == "entries") {
      auto bytes = lg.ReadEntry(index);
      if (!bytes.ok()) return internal::FromStatus(bytes.status());
      auto json = ParseJson(*bytes, "ledger entry");
      if (!json.ok()) return internal::FromStatus(json.status());
      return JsonOut(200, {{"index", index}, {"entry", *json}, {"leaf_hash", ledger::HashHex(ledger::LeafHash(*bytes))}});
    }
    auto bundle = lg.ProveInclusion(index);
    if (!bundle.ok()) return internal::FromStatus(bundle.status());
    Json path = Json::array();
    for (const auto& h : bundle->path) path.push_back(ledger::HashHex(h));
    return JsonOut(200, {{"index", bundle->index}, {"entry_base64", Base64Encode(AsBytes(bundle->entry))}, {"path", path},
                         {"checkpoint", bundle->checkpoint}, {"verifier_key", lg.verifier().ToString()}});
  }
  return not_found();
}

}  // namespace rsf::gateway
