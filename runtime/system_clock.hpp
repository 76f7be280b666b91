#pragma once

#include <optional>
#include <string>

#include "domain/clock.hpp"

namespace cdp {

/// The wall clock; months follow `timezone` (an IANA name or UTC), or stay
/// pinned to `pinned_month` when one is configured.
class system_clock final : public clock {
public:
  /// Sets the process's TZ to `timezone` (g++ 12 has no std::chrono::tzdb),
  /// so create one per process, before threads start.
  system_clock(const std::string& timezone, std::optional<year_month> pinned_month);

  timestamp now() const override;
  year_month current_month() const override;

private:
  bool utc_;
  std::optional<year_month> pinned_;
};

} // namespace cdp
