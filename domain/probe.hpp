#pragma once

// The half-open probe of a deactivated advertiser: when a trial attempt of
// the month that deactivated it is due, and which month that is. Only a
// failure deactivates for good reason to hope the cause went away (a source
// that was down, a bad deploy); an operator's switch and a restart storm are
// decisions or crashes a timer must not overrule, so they are never probed.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"
#include "domain/year_month.hpp"

namespace cdp {

/// probe.enabled / probe.interval.
struct probe_policy {
  bool enabled = false;
  /// Between the end of the month's last failed attempt and the next probe.
  std::chrono::milliseconds interval = std::chrono::hours{1};
};

/// The reason written when `month` used up its retries; `failed` or
/// `interrupted` says how its last attempt ended. Reasons made here are the
/// ones a probe may undo.
std::string failure_deactivation(year_month month, std::string_view how, int retries,
                                 std::string_view error);

/// Whether `who` is off because a month used up its retries (a reason
/// `failure_deactivation` made), not by an operator or the supervisor.
bool deactivated_by_failure(const advertiser& who);

/// What a probe of `who` should do now.
struct probe_decision {
  enum class kind {
    /// No probe: active, probing off, not deactivated by a failure, or no
    /// month without retries left.
    none,
    /// `month` is probed at `at` (later than now).
    wait,
    /// Probe `month` now.
    run,
  };
  kind what = kind::none;
  std::optional<year_month> month;
  timestamp at{};
};

/// The oldest FAILED month with no retries left decides: months run in order,
/// so it is the one that stopped the advertiser. Its probe is due `interval`
/// after its last attempt ended (the row's `updated_at`), so a failed probe
/// waits a whole interval again and a restart keeps the schedule.
probe_decision plan_probe(const advertiser& who, std::span<const month_state> months,
                          timestamp now, const probe_policy& policy);

} // namespace cdp
