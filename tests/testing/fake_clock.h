// tests/testing/fake_clock.h: a Clock that moves only when told (RocksDB MockSystemClock).
#pragma once

#include <atomic>

#include "rsf/common/clock.h"

namespace rsf::testing {

class FakeClock final : public Clock {
 public:
  // Starts at 2026-01-01T00:00:00Z.
  FakeClock() : now_ns_(1767225600LL * 1000000000LL) {}
  TimePoint Now() const override {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::nanoseconds(now_ns_.load() + wall_offset_ns_.load())));
  }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(now_ns_.load()));
  }
  // Sleeping advances the fake time instead of blocking.
  void SleepFor(std::chrono::nanoseconds d) const override { now_ns_ += d.count(); }
  void Advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }
  // The wall clock alone jumps (an operator or NTP setting it), forwards or backwards;
  // monotonic time does not move.
  void JumpWall(std::chrono::nanoseconds d) { wall_offset_ns_ += d.count(); }

 private:
  mutable std::atomic<int64_t> now_ns_;
  std::atomic<int64_t> wall_offset_ns_{0};
};

}  // namespace rsf::testing
