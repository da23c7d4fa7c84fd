// src/store/notify_hub.h: delivers notifications to this process's subscribers on a thread of
// its own, so a subscriber may call back into the store or take locks the notifier holds.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rsf/store/store.h"

namespace rsf::store::internal {

class NotifyHub {
 public:
  NotifyHub() = default;
  ~NotifyHub();
  NotifyHub(const NotifyHub&) = delete;
  NotifyHub& operator=(const NotifyHub&) = delete;

  // Queues `channel` for every subscriber; returns at once.
  void Post(std::string_view channel);
  std::unique_ptr<Subscription> Add(std::function<void(std::string_view)> fn);
  bool empty() const;

 private:
  class Handle;
  void Remove(uint64_t id);
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::vector<std::pair<uint64_t, std::shared_ptr<std::function<void(std::string_view)>>>> subs_;
  uint64_t next_id_ = 1;
  uint64_t delivering_ = 0;  // id of the subscriber being called, 0 if none
  std::condition_variable delivered_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace rsf::store::internal
