// src/gateway/deadline.h — a time-out for socket operations that costs no timer update per
// operation. Included only by the files that may see Asio (http_server.cc, upstream_client.cc).
//
// Set(d) moves the deadline; the one timer behind it is re-armed only when it fires before
// the deadline (or when it is not running), so a stream of reads each given a fresh time-out
// touches the kernel's timer about once per time-out period instead of twice per read. When
// the deadline passes while set, the socket's operations are cancelled (they complete with
// operation_aborted) and expired() turns true. Clear() stops it without a timer update.
//
// Use from the coroutine's strand only. The timer's handler holds the state, not the
// Deadline, so destroying the Deadline (and the socket) with a wait pending is safe; the
// destructor cancels that wait.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace rsf::gateway::internal {

class Deadline {
 public:
  Deadline(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& socket)
      : state_(std::make_shared<State>(ex, socket)) {}
  ~Deadline() {
    state_->live = false;
    state_->set = false;
    if (state_->waiting) state_->timer.cancel();  // do not leave a wait behind for every exchange
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void Set(std::chrono::milliseconds d) {
    State& s = *state_;
    s.due = std::chrono::steady_clock::now() + d;
    s.set = true;
    s.fired = false;
    if (!s.waiting || s.timer.expiry() > s.due) Arm(state_);
  }
  void Clear() { state_->set = false; }
  bool expired() const { return state_->fired; }

 private:
  struct State {
    State(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& s) : timer(ex), socket(&s) {}
    boost::asio::steady_timer timer;
    boost::asio::ip::tcp::socket* socket;
    std::chrono::steady_clock::time_point due{};
    bool set = false, fired = false, waiting = false, live = true;
  };

  static void Arm(const std::shared_ptr<State>& st) {
    st->waiting = true;
    st->timer.expires_at(st->due);  // cancels a wait in flight; its handler sees operation_aborted
    st->timer.async_wait([st](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: a newer wait is pending, or the Deadline is gone
      st->waiting = false;
      if (!st->live || !st->set) return;
      if (std::chrono::steady_clock::now() < st->due) {
        Arm(st);  // the deadline moved since this wait began
        return;
      }
      st->fired = true;
      st->set = false;
      boost::system::error_code ignored;
      st->socket->cancel(ignored);
    });
  }

  std::shared_ptr<State> state_;
};

}  // namespace rsf::gateway::internal
