#include "domain/eta.hpp"

#include <algorithm>

namespace cdp {

std::optional<timestamp> backfill_eta(const advertiser& who, std::span<const month_state> months,
                                      timestamp now) {
  if (!who.active || who.type != advertiser_type::new_advertiser)
    return std::nullopt;
  std::chrono::milliseconds spent{0};
  int done = 0;
  int remaining = 0;
  std::chrono::milliseconds elapsed{0};
  std::chrono::milliseconds wait{0};
  for (const auto& m : months) {
    if (m.status == month_status::completed) {
      if (m.started_at && m.completed_at && *m.completed_at >= *m.started_at) {
        spent += *m.completed_at - *m.started_at;
        ++done;
      }
      continue;
    }
    ++remaining;
    if (m.status == month_status::running && m.started_at && *m.started_at < now)
      elapsed = now - *m.started_at;
    if (m.status == month_status::failed && m.next_attempt_at && *m.next_attempt_at > now)
      wait = std::max(wait, std::chrono::milliseconds{*m.next_attempt_at - now});
  }
  if (done == 0)
    return std::nullopt;
  auto per_month = spent / done;
  // A running month that already took longer than usual is about to end.
  auto left = per_month * remaining - std::min(elapsed, per_month);
  return now + wait + left;
}

} // namespace cdp
