// `rsf gateway check|serve|key` and the `rsfd` daemon (apps/rsfd): compile a gateway
// configuration against its signed decisions, serve it, and manage API keys offline (for the
// first admin key; once the gateway runs, keys go through its admin API).
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli.h"
#include "rsf/common/log.h"
#include "rsf/gateway/audit_log.h"
#include "rsf/gateway/gateway.h"
#include "rsf/gateway/shared_ledger.h"
#include "rsf/ledger/ledger.h"
#include "rsf/store/open.h"

namespace rsf::cli {
namespace {

struct GatewayArgs {
  std::string config, listen, ready_file;
  int io_threads = static_cast<int>(std::max(1u, std::min(std::thread::hardware_concurrency(), 64u)));
  int workers = 8;
  // key
  std::string name, tenant, tier, role = "client", id;
};

Result<gateway::CompiledGateway> Compile(CliContext& ctx, const std::string& path) {
  RSF_ASSIGN_OR_RETURN(gateway::GatewayConfig c, gateway::LoadGatewayConfig(ctx.env, path));
  return gateway::CompileGateway(ctx.env, std::move(c));
}

Status RunCheck(CliContext& ctx, const GatewayArgs& a) {
  RSF_ASSIGN_OR_RETURN(auto g, Compile(ctx, a.config));
  ctx.out << fmt::format("{}: the configuration agrees with its signed decisions (policy {}@{}).\n", a.config,
                         g.policy.framework.id, g.policy.framework.version);
  for (const auto& m : g.models) {
    std::string tiers;
    for (const auto& t : m.tiers) tiers += (tiers.empty() ? "" : ", ") + t;
    ctx.out << fmt::format("  model {:<16} {:<18} level {:<8} tiers {}\n", m.route.id(), m.decision.outcome, m.decision.level,
                           tiers.empty() ? "none" : tiers);
  }
  for (const auto& t : g.config.tiers) {
    ctx.out << fmt::format("  tier  {:<16} guard {:<9}{}{}\n", t.id, gateway::GuardModeName(t.guard),
                           t.safe_harbour ? " safe-harbour" : "", t.auditor ? " auditor" : "");
  }
  return OkStatus();
}

Result<std::unique_ptr<ledger::Ledger>> OpenLedger(CliContext& ctx, const gateway::GatewayConfig& c) {
  if (c.ledger_dir.empty()) {
    return InvalidArgumentError(fmt::format("{}: 'ledger' is required: the gateway writes its audit and admin actions there "
                                            "(create one with `rsf ledger init --dir DIR --origin NAME`)", c.source));
  }
  ledger::LedgerOptions o;
  o.checkpoint_interval = std::chrono::milliseconds(1000);
  auto lg = ledger::Ledger::Open(ctx.env, c.ledger_dir, o);
  if (!lg.ok() && lg.status().code() == StatusCode::kUnavailable) {
    return UnavailableError(fmt::format("ledger {} is held by another process (is rsfd running? then use its admin API): {}",
                                        c.ledger_dir, lg.status().message()));
  }
  return lg;
}

// Where the audit goes: the ledger directory itself, or with replicas.shared_ledger the store's
// inbox, this process being a candidate writer when it has the directory.
struct AuditPath {
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<gateway::LedgerWriter> writer;
  std::unique_ptr<gateway::AuditLog> audit;

  const ledger::Ledger* view() const { return ledger ? ledger.get() : writer ? &writer->view() : nullptr; }
  std::string Describe(const gateway::GatewayConfig& c) const {
    if (ledger) return "audit to the ledger in " + c.ledger_dir;
    if (writer) return "audit to the shared ledger; writes " + c.ledger_dir + " when elected";
    return "audit to the shared ledger; another replica writes it";
  }
  // Flushes the audit; the writer appends what is left before it resigns.
  Status Close() {
    audit.reset();
    writer.reset();
    return ledger ? ledger->Close() : OkStatus();
  }
};

Result<AuditPath> OpenAudit(CliContext& ctx, const gateway::GatewayConfig& c, store::Store& store) {
  AuditPath p;
  gateway::LedgerAuditOptions batching;
  batching.flush_interval = std::chrono::milliseconds(c.audit_flush_ms);
  if (!c.replicas.shared_ledger) {
    RSF_ASSIGN_OR_RETURN(p.ledger, OpenLedger(ctx, c));
    p.audit = gateway::MakeLedgerAuditLog(*p.ledger, ctx.clock, batching);
    return p;
  }
  if (!c.ledger_dir.empty()) {
    auto writer = gateway::LedgerWriter::Start(ctx.env, store, c.ledger_dir, ctx.clock);
    if (!writer.ok()) {
      return Status(writer.status().code(), fmt::format("{}: ledger {}: {} (create it with `rsf ledger init --dir DIR --origin NAME`)",
                                                        c.source, c.ledger_dir, writer.status().message()));
    }
    p.writer = std::move(*writer);
  }
  p.audit = gateway::MakeSharedAuditLog(store, ctx.clock, {batching, std::chrono::milliseconds(c.replicas.ledger_wait_ms)});
  return p;
}

Status RunServe(CliContext& ctx, const GatewayArgs& a) {
  // Signals are taken by sigwait below, so block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  RSF_ASSIGN_OR_RETURN(auto compiled, Compile(ctx, a.config));
  const std::string listen = a.listen.empty() ? compiled.config.listen : a.listen;
  const size_t colon = listen.rfind(':');
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (colon == std::string::npos || port < 0 || port > 65535) {
    return InvalidArgumentError(fmt::format("listen: '{}' must be host:port", listen));
  }
  RSF_ASSIGN_OR_RETURN(auto store, store::OpenStore(compiled.config.store));
  RSF_ASSIGN_OR_RETURN(AuditPath audit, OpenAudit(ctx, compiled.config, *store));
  const std::string audit_note = audit.Describe(compiled.config);
  guard::GuardConfig gc = guard::DefaultGuardConfig();
  if (!compiled.config.guard_config.empty()) {
    RSF_ASSIGN_OR_RETURN(gc, guard::LoadGuardConfig(compiled.config.guard_config));
  }
  RSF_ASSIGN_OR_RETURN(auto guard, guard::Guard::Load(gc));
  gateway::GatewayOptions o;
  o.io_threads = a.io_threads;
  o.worker_threads = a.workers;
  o.audit = audit.audit.get();
  o.ledger = audit.view();
  if (audit.writer) o.extra_metrics = [writer = audit.writer.get()] { return writer->MetricsText(); };
  const std::string config_path = a.config;
  o.reload = [&ctx, config_path] { return Compile(ctx, config_path); };
  RSF_ASSIGN_OR_RETURN(auto gw, gateway::Gateway::Create(std::move(compiled), *store, std::move(guard), ctx.clock,
                                                         gateway::DefaultBackends(), o));
  RSF_ASSIGN_OR_RETURN(uint16_t bound, gw->Start(listen.substr(0, colon), static_cast<uint16_t>(port)));
  ctx.out << fmt::format("rsfd: serving {} on http://{}:{} ({})\n", a.config, listen.substr(0, colon), bound, audit_note);
  ctx.out.flush();
  if (!a.ready_file.empty()) {
    RSF_RETURN_IF_ERROR(ctx.env.WriteFileAtomic(a.ready_file, std::to_string(bound) + "\n"));
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Status s = gw->ReloadFromSource();
      if (s.ok()) {
        ctx.err << "rsfd: configuration reloaded\n";
      } else {
        ctx.err << "rsfd: reload refused, still serving the previous configuration: " << s.ToString() << "\n";
      }
      continue;
    }
    ctx.err << "rsfd: stopping (requests in flight may finish)\n";
    break;
  }
  gw->Stop();
  gw.reset();
  return audit.Close();  // flushes what is buffered
}

// Offline key management: the store directly, each action logged to the ledger.
Status RunKey(CliContext& ctx, const GatewayArgs& a, const std::string& action) {
  RSF_ASSIGN_OR_RETURN(gateway::GatewayConfig c, gateway::LoadGatewayConfig(ctx.env, a.config));
  RSF_ASSIGN_OR_RETURN(auto store, store::OpenStore(c.store));
  RSF_ASSIGN_OR_RETURN(auto ring, gateway::KeyRing::Open(*store, ctx.clock));
  if (action == "list") {
    for (const auto& k : ring->List()) ctx.out << k.ToPublicJson().dump() << "\n";
    return OkStatus();
  }
  RSF_ASSIGN_OR_RETURN(AuditPath path, OpenAudit(ctx, c, *store));
  gateway::AuditLog* audit = path.audit.get();
  if (action == "create") {
    auto role = gateway::ParseKeyRole(a.role);
    if (!role) return InvalidArgumentError(fmt::format("--role: '{}' must be client, admin or auditor", a.role));
    if (*role == gateway::KeyRole::kClient && !c.FindTier(a.tier)) {
      return InvalidArgumentError(fmt::format("--tier: '{}' is not a tier of {}", a.tier, a.config));
    }
    RSF_RETURN_IF_ERROR(audit->Event("gateway.admin", "gateway:key",
                                     {{"actor", "cli"}, {"action", "key.create"}, {"target", "key"},
                                      {"params", {{"name", a.name}, {"tenant", a.tenant}, {"tier", a.tier}, {"role", a.role}}}})
                            .status());
    RSF_ASSIGN_OR_RETURN(auto created, ring->Create({a.name, a.tenant, a.tier, *role}));
    ctx.out << created.second << "\n";
    ctx.err << fmt::format("Created {} key {} for tenant '{}'{}. It is shown once: keep it now.\n", a.role, created.first.id,
                           a.tenant, a.tier.empty() ? "" : " (tier " + a.tier + ")");
  } else {
    RSF_RETURN_IF_ERROR(audit->Event("gateway.admin", "gateway:key:" + a.id,
                                     {{"actor", "cli"}, {"action", "key.revoke"}, {"target", "key:" + a.id}, {"params", Json::object()}})
                            .status());
    RSF_RETURN_IF_ERROR(ring->Revoke(a.id));
    ctx.err << "Revoked key " << a.id << ".\n";
  }
  return path.Close();
}

void AddServeFlags(CLI::App& cmd, GatewayArgs& a) {
  cmd.add_option("--config,-c", a.config, "Gateway configuration (docs/gateway.md)")->required();
  cmd.add_option("--listen", a.listen, "host:port to listen on (default: the configuration's; port 0 picks a free one)");
  cmd.add_option("--io-threads", a.io_threads, "Threads running the network loop and upstream calls (default: one per core)")->check(CLI::Range(1, 64));
  cmd.add_option("--workers", a.workers, "Threads running backend calls")->check(CLI::Range(1, 1024));
  cmd.add_option("--ready-file", a.ready_file, "Write the bound port to this file once listening");
}

constexpr const char* kServeFooter =
    "Signals: SIGHUP reloads the configuration without dropping connections (a configuration that\n"
    "does not compile is refused and the old one kept); SIGINT/SIGTERM stop accepting, let requests\n"
    "in flight finish (limits.drain_timeout_ms), flush the audit to the ledger and exit 0.";

}  // namespace

void AddGatewayCommands(CLI::App& app, CliContext& ctx) {
  auto a = std::make_shared<GatewayArgs>();
  auto* g = app.add_subcommand("gateway", "Serve models through rsfd, bound to their signed decisions");
  g->require_subcommand(1);
  auto* check = g->add_subcommand("check", "Compile a gateway configuration against its signed decisions");
  check->add_option("--config,-c", a->config, "Gateway configuration")->required();
  check->callback([&ctx, a] { ctx.status = RunCheck(ctx, *a); });
  auto* serve = g->add_subcommand("serve", "Run the gateway (the same as rsfd)");
  AddServeFlags(*serve, *a);
  serve->footer(std::string(kServeFooter) + "\n\n" + kExitFooter);
  serve->callback([&ctx, a] { ctx.status = RunServe(ctx, *a); });
  auto* key = g->add_subcommand("key", "Manage API keys offline (while rsfd runs, use its admin API)");
  key->require_subcommand(1);
  auto* create = key->add_subcommand("create", "Create a key; prints it once on stdout");
  create->add_option("--config,-c", a->config, "Gateway configuration")->required();
  create->add_option("--tenant", a->tenant, "Tenant the key belongs to")->required();
  create->add_option("--tier", a->tier, "Access tier (client keys)");
  create->add_option("--role", a->role, "client, admin or auditor")->check(CLI::IsMember({"client", "admin", "auditor"}));
  create->add_option("--name", a->name, "What the key is for");
  create->callback([&ctx, a] { ctx.status = RunKey(ctx, *a, "create"); });
  auto* list = key->add_subcommand("list", "List keys (never their secrets) as JSON Lines");
  list->add_option("--config,-c", a->config, "Gateway configuration")->required();
  list->callback([&ctx, a] { ctx.status = RunKey(ctx, *a, "list"); });
  auto* revoke = key->add_subcommand("revoke", "Revoke a key by id");
  revoke->add_option("--config,-c", a->config, "Gateway configuration")->required();
  revoke->add_option("id", a->id, "Key id (16 hex digits)")->required();
  revoke->callback([&ctx, a] { ctx.status = RunKey(ctx, *a, "revoke"); });
}

Status ServeGatewayConfig(CliContext& ctx, const std::string& config, const std::string& listen) {
  GatewayArgs a;
  a.config = config;
  a.listen = listen;
  return RunServe(ctx, a);
}

int RunDaemon(int argc, char** argv, CliContext& ctx) {
  CLI::App app{"rsfd: the rsf gateway. Serves models through an OpenAI-compatible API, only as their signed\n"
               "decisions allow, with the filter chain and admin API of docs/gateway.md.",
               "rsfd"};
  GatewayArgs a;
  AddServeFlags(app, a);
  app.footer(std::string(kServeFooter) + "\n\n" + kExitFooter);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, ctx.out, ctx.err);
  }
  Status s = RunServe(ctx, a);
  if (!s.ok()) ctx.err << "rsfd: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

}  // namespace rsf::cli
