#include "store/notify_hub.h"

#include <algorithm>

namespace rsf::store::internal {

class NotifyHub::Handle final : public Subscription {
 public:
  Handle(NotifyHub& hub, uint64_t id) : hub_(hub), id_(id) {}
  ~Handle() override { hub_.Remove(id_); }

 private:
  NotifyHub& hub_;
  uint64_t id_;
};

NotifyHub::~NotifyHub() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NotifyHub::Post(std::string_view channel) {
  {
    std::lock_guard lock(mu_);
    if (subs_.empty()) return;
    queue_.emplace_back(channel);
  }
  cv_.notify_one();
}

std::unique_ptr<Subscription> NotifyHub::Add(std::function<void(std::string_view)> fn) {
  std::lock_guard lock(mu_);
  const uint64_t id = next_id_++;
  subs_.emplace_back(id, std::make_shared<std::function<void(std::string_view)>>(std::move(fn)));
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  return std::make_unique<Handle>(*this, id);
}

bool NotifyHub::empty() const {
  std::lock_guard lock(mu_);
  return subs_.empty();
}

void NotifyHub::Remove(uint64_t id) {
  std::unique_lock lock(mu_);
  subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [id](const auto& s) { return s.first == id; }),
              subs_.end());
  // A call in progress on the hub's thread finishes before the subscription is gone (unless
  // the subscriber removes itself from inside its own call).
  if (std::this_thread::get_id() != thread_.get_id()) {
    delivered_.wait(lock, [&] { return delivering_ != id; });
  }
}

void NotifyHub::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::string channel = std::move(queue_.front());
    queue_.pop_front();
    auto subs = subs_;
    for (const auto& [id, fn] : subs) {
      if (std::none_of(subs_.begin(), subs_.end(), [id = id](const auto& s) { return s.first == id; })) continue;
      delivering_ = id;
      lock.unlock();
      (*fn)(channel);
      lock.lock();
      delivering_ = 0;
      delivered_.notify_all();
    }
  }
}

}  // namespace rsf::store::internal
