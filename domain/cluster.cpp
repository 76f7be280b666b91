#include "domain/cluster.hpp"

#include <algorithm>

namespace cdp {

bool node_is_live(timestamp heartbeat_at, bool stopped, timestamp now,
                  std::chrono::milliseconds lease_ttl) {
  return !stopped && now - heartbeat_at <= lease_ttl;
}

lease_plan plan_leases(const lease_census& census) {
  lease_plan plan;
  auto nodes = std::max<int64_t>(census.live_nodes, 1);
  auto advertisers = std::max<int64_t>(census.advertisers, 0);
  plan.share = (advertisers + nodes - 1) / nodes;
  if (census.owned < plan.share)
    plan.acquire = std::min(plan.share - census.owned, std::max<int64_t>(census.available, 0));
  else
    plan.release = census.owned - plan.share;
  return plan;
}

} // namespace cdp
