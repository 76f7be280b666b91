#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"
#include "domain/probe.hpp"
#include "domain/retry_policy.hpp"
#include "domain/year_month.hpp"

namespace cdp {

/// The months a new advertiser backfills: `months` months ending at
/// `current` (included), oldest first. 24 at 2024-12 → 2023-01 … 2024-12.
std::vector<year_month> backfill_plan(year_month current, int months);

/// Why an advertiser runs a month.
enum class run_reason {
  /// A backfill month of a NEW advertiser.
  backfill,
  /// A missed month of an EXISTING advertiser, or the final run of a month
  /// after it rolled over.
  catch_up,
  /// The refresh of the current month of an EXISTING advertiser.
  live,
  /// The half-open trial of a deactivated advertiser's failed month
  /// (domain/probe): success reactivates it.
  probe,
};

std::string_view to_string(run_reason reason);

/// What an advertiser should do now.
struct due_decision {
  enum class kind {
    /// Run `month` now.
    run,
    /// `month` failed and its next attempt is at `wait_until`.
    wait,
    /// `month` exhausted its retries: deactivate the advertiser.
    exhausted,
    /// `month` is already RUNNING (here or on another node).
    in_flight,
    /// Every backfill month is COMPLETED: the advertiser becomes EXISTING.
    promote,
    /// Nothing to do until the next tick.
    idle,
    /// The advertiser is deactivated.
    inactive,
  };
  kind what = kind::idle;
  std::optional<year_month> month;
  run_reason reason = run_reason::live;
  /// The month has no state row yet: create it PENDING before claiming.
  bool create_row = false;
  /// The run starts after the month ended: completing it closes the month.
  bool closes_month = false;
  timestamp wait_until{};
  /// One line for operators: "waiting for retry of 2024-03 at …".
  std::string explanation;
};

/// Inputs of `decide`, gathered by the advertiser actor.
struct due_context {
  const advertiser& who;
  /// The advertiser's month rows, in any order.
  std::span<const month_state> months;
  year_month current;
  timestamp now;
  int backfill_months = 24;
  const retry_policy& retry;
  /// True when the director's tick (or an operator's trigger) asks; false when
  /// the advertiser asks itself after finishing a month. A COMPLETED current
  /// month is refreshed only on a tick.
  bool on_tick = true;
  /// Whether, and how often, a deactivated advertiser is probed.
  probe_policy probe{};
};

/// The one thing an advertiser should do next. Months run strictly in order:
/// the first month that is not done decides, later ones wait behind it. A
/// deactivated advertiser is `inactive`, or with probing on `wait`s for its
/// probe and then `run`s it (reason `probe`).
due_decision decide(const due_context& ctx);

} // namespace cdp
