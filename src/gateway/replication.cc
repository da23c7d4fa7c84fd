#include "gateway/replication.h"

#include <unistd.h>

#include <atomic>

#include <fmt/format.h>

#include "rsf/common/json.h"
#include "rsf/gateway/api_keys.h"
#include "rsf/gateway/control.h"

namespace rsf::gateway::internal {
namespace {

constexpr std::string_view kReplicas = "gateway.replicas";
// A replica whose heartbeat is older than this no longer counts as sharing the limits.
constexpr int64_t kAliveMs = 10000;

int64_t NowMs(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count();
}

std::string ReplicaId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  // Two gateways in one process (tests, embedding) are two replicas too.
  static std::atomic<int> sequence{0};
  return fmt::format("{}-{}-{}", host[0] ? host : "host", getpid(), sequence.fetch_add(1));
}

}  // namespace

Replication::Replication(store::Store& store, const Clock& clock, const ReplicasConfig& config, Hooks hooks)
    : store_(store), clock_(clock), config_(config), hooks_(std::move(hooks)), id_(ReplicaId()) {}

Result<std::unique_ptr<Replication>> Replication::Start(store::Store& store, const Clock& clock,
                                                        const ReplicasConfig& config, Hooks hooks) {
  std::unique_ptr<Replication> r(new Replication(store, clock, config, std::move(hooks)));
  Replication* self = r.get();
  RSF_ASSIGN_OR_RETURN(r->subscription_, store.Subscribe([self](std::string_view channel) {
    const bool all = channel.empty();  // notifications may have been missed: everything
    if (all || channel == KeyRing::kChannel) {
      if (Status s = self->hooks_.keys_changed(); !s.ok()) self->hooks_.failed("keys", s);
    }
    if (all || channel == ControlState::kChannel) {
      if (Status s = self->hooks_.control_changed(); !s.ok()) self->hooks_.failed("control", s);
    }
  }));
  r->Heartbeat();
  r->thread_ = std::thread([self] { self->Run(); });
  return r;
}

Replication::~Replication() {
  subscription_.reset();  // no hook runs after this
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  store_.Delete(kReplicas, id_).IgnoreError();  // leaving: the others' shares grow at once
}

void Replication::Heartbeat() {
  const int64_t now = NowMs(clock_);
  Status s = store_.Put(kReplicas, id_, Json{{"seen_ms", now}}.dump()).status();
  if (s.ok()) {
    auto all = store_.List(kReplicas);
    if (all.ok()) {
      int alive = 0;
      for (const auto& v : *all) {
        auto j = ParseJson(v.value, "heartbeat");
        if (j.ok() && IntOr(*j, "seen_ms") > now - kAliveMs) ++alive;
      }
      replicas_.store(std::max(1, alive), std::memory_order_relaxed);
    } else {
      s = all.status();
    }
  }
  if (!s.ok()) hooks_.failed("heartbeat", s);
}

void Replication::Run() {
  using std::chrono::milliseconds;
  auto next_heartbeat = std::chrono::steady_clock::now() + milliseconds(1000);
  auto next_reload = std::chrono::steady_clock::now() + std::chrono::seconds(config_.reload_s);
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, milliseconds(250), [&] { return stop_; })) {
    lock.unlock();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_heartbeat) {
      Heartbeat();
      if (hooks_.tick) {
        if (Status s = hooks_.tick(); !s.ok()) hooks_.failed("tick", s);
      }
      next_heartbeat = now + milliseconds(1000);
    }
    if (now >= next_reload) {
      if (Status s = hooks_.keys_changed(); !s.ok()) hooks_.failed("keys", s);
      if (Status s = hooks_.control_changed(); !s.ok()) hooks_.failed("control", s);
      next_reload = now + std::chrono::seconds(config_.reload_s);
    }
    lock.lock();
  }
}

}  // namespace rsf::gateway::internal
