#include "domain/views.hpp"

namespace cdp {

void count_in(lifecycle_counts& counts, lifecycle stage, int64_t n) {
  switch (stage) {
    case lifecycle::new_advertiser: counts.new_advertisers += n; break;
    case lifecycle::backfilling: counts.backfilling += n; break;
    case lifecycle::live: counts.live += n; break;
    case lifecycle::degraded: counts.degraded += n; break;
    case lifecycle::deactivated: counts.deactivated += n; break;
  }
}

std::string_view to_string(advertiser_activity::phase p) {
  using phase = advertiser_activity::phase;
  switch (p) {
    case phase::not_loaded: return "not loaded";
    case phase::idle: return "idle";
    case phase::loading: return "loading";
    case phase::queued: return "queued";
    case phase::recording: return "recording";
    case phase::running: return "running";
    case phase::backoff: return "backoff";
    case phase::store_trouble: return "store trouble";
    case phase::draining: return "draining";
    case phase::inactive: return "inactive";
  }
  return "unknown";
}

} // namespace cdp
