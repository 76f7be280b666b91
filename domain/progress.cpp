#include "domain/progress.hpp"

#include <algorithm>
#include <cmath>

namespace cdp {

backfill_progress progress_of(std::span<const month_state> months) {
  backfill_progress p;
  p.total_months = static_cast<int>(months.size());
  for (const auto& m : months) {
    switch (m.status) {
      case month_status::completed: ++p.completed_months; break;
      case month_status::failed: ++p.failed_months; break;
      case month_status::pending: ++p.pending_months; break;
      case month_status::running: ++p.running_months; break;
    }
    if (m.status != month_status::completed && (!p.cursor || m.month < *p.cursor))
      p.cursor = m.month;
  }
  if (p.total_months > 0)
    p.progress_percent = std::round(1000.0 * p.completed_months / p.total_months) / 10.0;
  return p;
}

std::string_view to_string(lifecycle stage) {
  switch (stage) {
    case lifecycle::new_advertiser: return "NEW";
    case lifecycle::backfilling: return "BACKFILLING";
    case lifecycle::live: return "LIVE";
    case lifecycle::degraded: return "DEGRADED";
    case lifecycle::deactivated: return "DEACTIVATED";
  }
  return "UNKNOWN";
}

lifecycle lifecycle_of(const advertiser& who, std::span<const month_state> months) {
  if (!who.active)
    return lifecycle::deactivated;
  bool retrying = std::any_of(months.begin(), months.end(), [](const month_state& m) {
    return m.status == month_status::failed && m.retry_count < m.max_retries;
  });
  if (retrying)
    return lifecycle::degraded;
  if (who.type == advertiser_type::existing)
    return lifecycle::live;
  bool started = std::any_of(months.begin(), months.end(), [](const month_state& m) {
    return m.status != month_status::pending;
  });
  return started ? lifecycle::backfilling : lifecycle::new_advertiser;
}

} // namespace cdp
