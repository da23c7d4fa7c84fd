// src/gateway/replication.h — what a gateway replica does when it shares its store with others
// (docs/operations.md): follows their changes to keys and controls as they are announced
// (and re-reads them every replicas.reload_s in case an announcement was lost), and keeps a
// heartbeat so every replica knows how many are serving (SharedRateLimiter divides its
// shares by that count; its Flush runs here every second through Hooks::tick).
//
// Thread safety: owns one thread and one store subscription; the hooks run on those threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rsf/common/clock.h"
#include "rsf/gateway/config.h"
#include "rsf/store/store.h"

namespace rsf::gateway::internal {

class Replication {
 public:
  struct Hooks {
    std::function<Status()> keys_changed;
    std::function<Status()> control_changed;
    std::function<Status()> tick;  // every second, if set (the shared rate limits' Flush)
    std::function<void(std::string_view what, const Status&)> failed;  // for metrics and logs
  };

  // Subscribes and starts the thread. The store's errors from Subscribe.
  static Result<std::unique_ptr<Replication>> Start(store::Store& store, const Clock& clock,
                                                    const ReplicasConfig& config, Hooks hooks);
  ~Replication();

  const std::string& id() const { return id_; }
  int replicas() const { return replicas_.load(std::memory_order_relaxed); }

 private:
  Replication(store::Store& store, const Clock& clock, const ReplicasConfig& config, Hooks hooks);
  void Run();
  void Heartbeat();

  store::Store& store_;
  const Clock& clock_;
  const ReplicasConfig config_;
  const Hooks hooks_;
  const std::string id_;
  std::atomic<int> replicas_{1};
  std::unique_ptr<store::Subscription> subscription_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rsf::gateway::internal
