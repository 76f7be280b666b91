#pragma once

#include <atomic>

#include "domain/year_month.hpp"

namespace cdp {

/// Where "now" comes from. The daemon reads the system clock in the configured
/// time zone; tests pin or step it.
class clock {
public:
  virtual ~clock() = default;
  virtual timestamp now() const = 0;
  /// The month that is current at `now()` in the configured time zone.
  virtual year_month current_month() const = 0;
};

/// A clock that only moves when told to, for tests. Actors read it from
/// several threads while the test moves it, hence the atomics.
class manual_clock final : public clock {
public:
  manual_clock(timestamp now, year_month month)
    : now_ms_(now.time_since_epoch().count()), month_index_(month.index()) {}
  timestamp now() const override {
    return timestamp{std::chrono::milliseconds{now_ms_.load()}};
  }
  year_month current_month() const override {
    return *year_month::from_index(month_index_.load());
  }
  void set(timestamp now) { now_ms_ = now.time_since_epoch().count(); }
  void advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }
  void set_month(year_month month) { month_index_ = month.index(); }

private:
  std::atomic<int64_t> now_ms_;
  std::atomic<int> month_index_;
};

} // namespace cdp
