#pragma once

#include <optional>
#include <span>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"
#include "domain/year_month.hpp"

namespace cdp {

/// When a backfilling advertiser should finish, from its own past months:
/// each month still to do takes as long as its completed months took on
/// average (claim to completion), a month in backoff first waits for its
/// next attempt, and the running month's elapsed time is already spent.
/// nullopt when it is not backfilling (EXISTING or deactivated) or before
/// its first month is done.
std::optional<timestamp> backfill_eta(const advertiser& who, std::span<const month_state> months,
                                      timestamp now);

} // namespace cdp
