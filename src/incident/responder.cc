// The responder: opening incidents, running runbooks, recording everything
// (include/rsf/incident/responder.h).
#include "rsf/incident/responder.h"

#include <fmt/format.h>

#include "rsf/common/log.h"

namespace rsf::incident {
namespace {

class WebhookNotifier final : public Notifier {
 public:
  explicit WebhookNotifier(std::unique_ptr<model::HttpTransport> t) : transport_(std::move(t)) {}
  Status Send(const std::string& url, const Json& payload) override {
    model::HttpRequest req;
    req.url = url;
    req.body = payload.dump();
    req.headers = {{"Content-Type", "application/json"}, {"User-Agent", "rsf-incident"}};
    req.timeout = std::chrono::milliseconds(5000);
    RSF_ASSIGN_OR_RETURN(auto resp, transport_->Send(req));
    if (resp.status < 200 || resp.status > 299) {
      return UnavailableError(fmt::format("webhook {} answered HTTP {}", url, resp.status));
    }
    return OkStatus();
  }

 private:
  std::unique_ptr<model::HttpTransport> transport_;
};

// What a webhook or the ledger may carry of an incident: metadata, no free text.
Json Brief(const Incident& x) {
  return {{"id", x.id}, {"kind", KindName(x.kind)}, {"severity", SeverityName(x.severity)}, {"state", StateName(x.state)},
          {"title", x.title}, {"models", x.models}, {"tiers", x.tiers}, {"events", x.events}, {"source", x.source},
          {"drill", x.drill}, {"opened", x.opened}, {"commander", x.commander}, {"runbook", x.runbook}};
}

}  // namespace

std::unique_ptr<Notifier> MakeWebhookNotifier(std::unique_ptr<model::HttpTransport> transport) {
  return std::make_unique<WebhookNotifier>(std::move(transport));
}

Responder::Responder(IncidentStore& store, Actuator& actuator, Notifier& notifier, EventSink sink, const Clock& clock)
    : store_(store),
      actuator_(actuator),
      notifier_(notifier),
      sink_(std::move(sink)),
      clock_(clock),
      policy_(std::make_shared<IncidentPolicy>()),
      runbooks_(std::make_shared<std::vector<Runbook>>()) {
  thread_ = std::thread([this] { Loop(); });
}

Responder::~Responder() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Responder::Configure(IncidentPolicy policy, std::vector<Runbook> runbooks) {
  std::lock_guard lock(config_mu_);
  policy_ = std::make_shared<IncidentPolicy>(std::move(policy));
  runbooks_ = std::make_shared<std::vector<Runbook>>(std::move(runbooks));
}

void Responder::Enqueue(Work w) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(w));
  }
  cv_.notify_one();
}

void Responder::Submit(const Detection& detection) { Enqueue({"", detection}); }

void Responder::Drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void Responder::Loop() {
  for (;;) {
    Work w;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      w = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    if (w.open) {
      auto opened = Open(FromDetection(*w.open), "rule:" + w.open->rule->id);
      if (!opened.ok()) RSF_LOG_ERROR("incident: could not open an incident for rule {}: {}", w.open->rule->id, opened.status().ToString());
    } else {
      RunSteps(w.incident);
    }
    {
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
}

uint64_t Responder::Log(const std::string& type, const Incident& incident, Json body) {
  body["incident"] = incident.id;
  if (!incident.drill.empty()) body["drill"] = incident.drill;
  auto logged = sink_(type, "incident:" + incident.id, body);
  if (!logged.ok()) {
    RSF_LOG_ERROR("incident {}: the ledger could not record {}: {}", incident.id, type, logged.status().ToString());
    return 0;
  }
  return *logged;
}

Incident Responder::FromDetection(const Detection& d) {
  Incident x;
  x.kind = d.rule->kind;
  x.severity = d.rule->severity;
  x.title = d.rule->title;
  x.source = "rule:" + d.rule->id;
  x.drill = d.signal.drill;
  x.context = {{"key", d.signal.key}, {"tier", d.signal.tier}, {"model", d.signal.model}, {"channel", d.signal.channel}};
  if (!d.signal.model.empty()) x.models.push_back(d.signal.model);
  if (!d.signal.tier.empty()) x.tiers.push_back(d.signal.tier);
  x.evidence.push_back({{"type", "signal"}, {"rule", d.rule->id}, {"signal", d.rule->signal}, {"per", d.rule->per},
                        {"observed", d.observed}, {"events", d.events}, {"within_s", d.rule->within.count() / 1000.0},
                        {"group", d.group}, {"key_id", d.signal.key},
                        {"note", "the matching request records are in the ledger's gateway.requests entries for this key"}});
  return x;
}

Result<Incident> Responder::Open(Incident draft, std::string_view actor) {
  std::shared_ptr<const IncidentPolicy> policy;
  std::shared_ptr<const std::vector<Runbook>> runbooks;
  {
    std::lock_guard lock(config_mu_);
    policy = policy_;
    runbooks = runbooks_;
  }
  for (const auto& e : EventsFor(*policy, draft.kind, draft.severity)) {
    if (std::find(draft.events.begin(), draft.events.end(), e) == draft.events.end()) draft.events.push_back(e);
  }
  const Runbook* book = SelectRunbook(*runbooks, draft.kind, draft.severity);
  if (book) {
    draft.runbook = book->id;
    if (draft.commander.empty()) draft.commander = book->commander;
    for (const auto& s : book->steps) draft.steps[s.id] = "pending";
  }
  RSF_ASSIGN_OR_RETURN(Incident x, store_.Create(std::move(draft), actor));
  Json body = Brief(x);
  body["actor"] = std::string(actor);
  body["evidence"] = x.evidence;
  body["summary_sha256"] = x.summary.empty() ? "" : TextDigest(x.summary);
  const uint64_t index = Log("incident.opened", x, body);
  auto updated = store_.Update(x.id, [&](Incident& y) {
    y.timeline.front().detail["ledger_index"] = index;
    return OkStatus();
  });
  if (updated.ok()) x = std::move(*updated);
  if (book) Enqueue({x.id, std::nullopt});
  return x;
}

Result<Incident> Responder::Transition(std::string_view id, State to, std::string_view actor, std::string_view note) {
  State from = State::kReported;
  const std::string now = FormatRfc3339(clock_.Now());
  RSF_ASSIGN_OR_RETURN(Incident x, store_.Update(id, [&](Incident& y) {
    RSF_RETURN_IF_ERROR(CheckTransition(y.state, to));
    from = y.state;
    y.state = to;
    y.entered[std::string(StateName(to))] = now;
    y.timeline.push_back({now, std::string(actor), "state." + std::string(StateName(to)), std::string(note),
                          {{"from", StateName(from)}}});
    return OkStatus();
  }));
  Log("incident.updated", x, {{"actor", std::string(actor)}, {"from", StateName(from)}, {"to", StateName(to)},
                              {"note_sha256", note.empty() ? "" : TextDigest(note)}});
  return x;
}

Result<Incident> Responder::AddNote(std::string_view id, std::string_view actor, std::string_view note) {
  if (note.empty()) return InvalidArgumentError("note: must not be empty");
  const std::string now = FormatRfc3339(clock_.Now());
  RSF_ASSIGN_OR_RETURN(Incident x, store_.Update(id, [&](Incident& y) {
    y.timeline.push_back({now, std::string(actor), "note", std::string(note), Json::object()});
    return OkStatus();
  }));
  Log("incident.note", x, {{"actor", std::string(actor)}, {"note_sha256", TextDigest(note)}});
  return x;
}

Result<Incident> Responder::Triage(std::string_view id, const TriagePatch& patch, std::string_view actor) {
  const std::string now = FormatRfc3339(clock_.Now());
  Json changed = Json::object();
  std::shared_ptr<const IncidentPolicy> policy;
  {
    std::lock_guard lock(config_mu_);
    policy = policy_;
  }
  RSF_ASSIGN_OR_RETURN(Incident x, store_.Update(id, [&](Incident& y) {
    changed = Json::object();
    if (patch.severity && *patch.severity != y.severity) {
      changed["severity"] = {SeverityName(y.severity), SeverityName(*patch.severity)};
      y.severity = *patch.severity;
      for (const auto& e : EventsFor(*policy, y.kind, y.severity)) {
        if (std::find(y.events.begin(), y.events.end(), e) == y.events.end()) y.events.push_back(e);
      }
    }
    if (patch.commander) {
      changed["commander"] = *patch.commander;
      y.commander = *patch.commander;
    }
    if (patch.events) {
      changed["events"] = *patch.events;
      y.events = *patch.events;
    }
    if (patch.models) {
      changed["models"] = *patch.models;
      y.models = *patch.models;
    }
    if (patch.tiers) {
      changed["tiers"] = *patch.tiers;
      y.tiers = *patch.tiers;
    }
    if (changed.empty()) return InvalidArgumentError("triage: nothing to change (severity, commander, events, models, tiers)");
    y.timeline.push_back({now, std::string(actor), "triage", "", changed});
    return OkStatus();
  }));
  Log("incident.triage", x, {{"actor", std::string(actor)}, {"changed", changed}});
  return x;
}

Result<Incident> Responder::Approve(std::string_view id, std::string_view step, std::string_view actor) {
  const std::string now = FormatRfc3339(clock_.Now());
  RSF_ASSIGN_OR_RETURN(Incident x, store_.Update(id, [&](Incident& y) {
    auto it = y.steps.find(std::string(step));
    if (it == y.steps.end()) return NotFoundError(fmt::format("incident {} has no runbook step '{}'", y.id, step));
    if (it->second != "awaiting_approval") {
      return FailedPreconditionError(fmt::format("step '{}' is {}, not awaiting approval", step, it->second));
    }
    it->second = "approved";
    y.timeline.push_back({now, std::string(actor), "approved", "", {{"step", std::string(step)}}});
    return OkStatus();
  }));
  Log("incident.approved", x, {{"actor", std::string(actor)}, {"step", std::string(step)}});
  Enqueue({x.id, std::nullopt});
  return x;
}

Result<Incident> Responder::File(std::string_view id, std::string_view obligation, std::string_view reference, std::string_view actor) {
  if (obligation.empty()) return InvalidArgumentError("obligation: must name the policy obligation the report was filed under");
  const std::string now = FormatRfc3339(clock_.Now());
  RSF_ASSIGN_OR_RETURN(Incident x, store_.Update(id, [&](Incident& y) {
    for (const auto& f : y.filed) {
      if (f.obligation == obligation) return FailedPreconditionError(fmt::format("the report under {} was already filed at {}", obligation, f.time));
    }
    y.filed.push_back({std::string(obligation), now, std::string(actor), std::string(reference)});
    y.timeline.push_back({now, std::string(actor), "filed", "", {{"obligation", std::string(obligation)}, {"reference", std::string(reference)}}});
    return OkStatus();
  }));
  Log("incident.filed", x, {{"actor", std::string(actor)}, {"obligation", std::string(obligation)}, {"reference", std::string(reference)}});
  return x;
}

Status Responder::Contain(const Action& action, const Incident& incident, const Runbook& runbook, int& attempts) {
  Status last;
  auto delay = runbook.retry_delay;
  for (attempts = 1; attempts <= runbook.retries + 1; ++attempts) {
    last = actuator_.Apply(action, incident);
    if (last.ok()) {
      auto holds = actuator_.Holds(action);
      if (holds.ok() && *holds) return OkStatus();
      last = holds.ok() ? InternalError("the action was applied but does not hold") : holds.status();
    }
    if (last.code() == StatusCode::kNotFound || attempts > runbook.retries) break;  // retrying cannot help / done
    clock_.SleepFor(delay);
    delay *= 2;
  }
  attempts = std::min(attempts, runbook.retries + 1);
  return last;
}

Status Responder::Deliver(const std::string& url, const Json& payload, const Runbook& runbook, int& attempts) {
  Status last;
  auto delay = runbook.retry_delay;
  for (attempts = 1; attempts <= runbook.retries + 1; ++attempts) {
    last = notifier_.Send(url, payload);
    if (last.ok() || attempts > runbook.retries) break;
    clock_.SleepFor(delay);
    delay *= 2;
  }
  attempts = std::min(attempts, runbook.retries + 1);
  return last;
}

void Responder::RunSteps(const std::string& id) {
  auto loaded = store_.Get(id);
  if (!loaded.ok()) {
    RSF_LOG_ERROR("incident {}: {}", id, loaded.status().ToString());
    return;
  }
  Incident x = std::move(*loaded);
  std::shared_ptr<const std::vector<Runbook>> runbooks;
  {
    std::lock_guard lock(config_mu_);
    runbooks = runbooks_;
  }
  const Runbook* book = nullptr;
  for (const auto& b : *runbooks) book = b.id == x.runbook ? &b : book;
  if (!book) {
    (void)store_.Update(id, [&](Incident& y) {
      y.timeline.push_back({FormatRfc3339(clock_.Now()), "system", "runbook.missing", "",
                            {{"runbook", x.runbook}, {"why", "the runbook is no longer loaded; its remaining steps were not run"}}});
      return OkStatus();
    });
    return;
  }
  for (const RunbookStep& step : book->steps) {
    const std::string status = x.steps.count(step.id) ? x.steps.at(step.id) : "pending";
    if (status == "done" || status == "failed") continue;
    if (status == "awaiting_approval") return;  // still waiting; later steps wait too
    if (step.approval && status != "approved") {
      auto u = store_.Update(id, [&](Incident& y) {
        y.steps[step.id] = "awaiting_approval";
        y.timeline.push_back({FormatRfc3339(clock_.Now()), "runbook:" + book->id, "awaiting_approval", "",
                              {{"step", step.id}, {"action", ActionName(step.action)}}});
        return OkStatus();
      });
      Log("incident.awaiting_approval", x, {{"step", step.id}, {"action", ActionName(step.action)}});
      return;
    }
    int attempts = 0;
    Status result;
    Json detail = {{"step", step.id}, {"action", ActionName(step.action)}};
    if (IsContainment(step.action)) {
      auto target = ResolveTarget(step, x);
      if (target.ok()) {
        detail["target"] = *target;
        Log("incident.action", x, {{"step", step.id}, {"action", ActionName(step.action)}, {"target", *target}, {"phase", "intent"}});
        result = Contain({step.action, *target}, x, *book, attempts);
      } else {
        result = target.status();
      }
    } else {
      Json payload = {{"type", "rsf.incident"}, {"step", step.id}, {"incident", Brief(x)}};
      result = Deliver(step.webhook, payload, *book, attempts);
      detail["webhook"] = step.webhook;
    }
    detail["attempts"] = attempts;
    const std::string now = FormatRfc3339(clock_.Now());
    if (result.ok()) {
      const std::string what = IsContainment(step.action) ? "action.done" : "notified";
      detail["ledger_index"] = Log("incident.action", x, {{"step", step.id}, {"action", ActionName(step.action)},
                                                          {"target", StringOr(detail, "target")}, {"phase", "done"}, {"attempts", attempts}});
      auto u = store_.Update(id, [&](Incident& y) {
        y.steps[step.id] = "done";
        y.timeline.push_back({now, "runbook:" + book->id, what, "", detail});
        return OkStatus();
      });
      if (u.ok()) x = std::move(*u);
      continue;
    }
    detail["error"] = result.message();
    detail["ledger_index"] = Log("incident.escalated", x, {{"step", step.id}, {"action", ActionName(step.action)},
                                                           {"error", result.message()}, {"attempts", attempts}});
    std::string escalation = "no escalation webhook in the runbook";
    if (!book->escalate_webhook.empty()) {
      int tries = 0;
      Status s = Deliver(book->escalate_webhook,
                         {{"type", "rsf.escalation"}, {"step", step.id}, {"error", result.message()}, {"incident", Brief(x)}}, *book, tries);
      escalation = s.ok() ? "escalation webhook called" : "escalation webhook failed too: " + s.message();
    }
    detail["escalation"] = escalation;
    auto u = store_.Update(id, [&](Incident& y) {
      y.steps[step.id] = "failed";
      y.escalated = true;
      y.timeline.push_back({now, "runbook:" + book->id, "action.failed", "", detail});
      return OkStatus();
    });
    if (u.ok()) x = std::move(*u);
  }
  // Contained once every containment step is done.
  bool any = false, all = true;
  for (const auto& s : book->steps) {
    if (!IsContainment(s.action)) continue;
    any = true;
    all = all && x.steps[s.id] == "done";
  }
  if (any && all && x.state < State::kContained) {
    auto t = Transition(id, State::kContained, "runbook:" + book->id, "");
    if (!t.ok()) RSF_LOG_ERROR("incident {}: {}", id, t.status().ToString());
  }
}

}  // namespace rsf::incident
