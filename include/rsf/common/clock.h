// include/rsf/common/clock.h
//
// Clock: the seam through which rsf reads time, so tests can control it (FakeClock in
// tests/testing/fake_clock.h). Construction takes a Clock& and never reads the system
// clock directly; only apps/*/main.cc picks SystemClock.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "rsf/common/status.h"

namespace rsf {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC).
  virtual TimePoint Now() const = 0;
  // Monotonic time for measuring intervals.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;
  virtual void SleepFor(std::chrono::nanoseconds duration) const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point Steady() const override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::nanoseconds duration) const override;
  // A process-wide instance; only apps/ should call this.
  static SystemClock& Default();
};

// RFC 3339 UTC with millisecond precision: "2026-11-22T08:16:00.123Z".
std::string FormatRfc3339(TimePoint t);
// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (UTC only, 1–9 fraction digits).
// kInvalidArgument names what is wrong.
Result<TimePoint> ParseRfc3339(std::string_view text);

}  // namespace rsf
