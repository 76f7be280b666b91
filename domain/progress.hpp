#pragma once

#include <optional>
#include <span>
#include <string>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"

namespace cdp {

/// Counts over an advertiser's month rows, as the backfill-progress call shows them.
struct backfill_progress {
  int total_months = 0;
  int completed_months = 0;
  int failed_months = 0;
  int pending_months = 0;
  int running_months = 0;
  /// Completed share of all months, 0–100, one decimal.
  double progress_percent = 0.0;
  /// The oldest month that is not COMPLETED; nullopt when all are.
  std::optional<year_month> cursor;
};

backfill_progress progress_of(std::span<const month_state> months);

/// Where an advertiser is in its life, for operators:
/// NEW → BACKFILLING (k/24) → LIVE → DEGRADED (retrying) → DEACTIVATED.
enum class lifecycle { new_advertiser, backfilling, live, degraded, deactivated };

std::string_view to_string(lifecycle stage);

lifecycle lifecycle_of(const advertiser& who, std::span<const month_state> months);

} // namespace cdp
