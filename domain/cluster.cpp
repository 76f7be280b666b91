#include "domain/cluster.hpp"

#include <algorithm>

namespace cdp {

bool node_is_live(timestamp heartbeat_at, bool stopped, timestamp now,
                  std::chrono::milliseconds lease_ttl) {
  return !stopped && now - heartbeat_at <= lease_ttl;
}

lease_plan plan_leases(const lease_census& census, int64_t batch) {
  lease_plan plan;
  auto nodes = std::max<int64_t>(census.live_nodes, 1);
  auto advertisers = std::max<int64_t>(census.advertisers, 0);
  plan.share = (advertisers + nodes - 1) / nodes;
  if (census.owned < plan.share) {
    auto wanted = std::min(plan.share - census.owned, std::max<int64_t>(census.available, 0));
    plan.acquire = std::min(wanted, std::max<int64_t>(batch, 1));
    plan.more = wanted > plan.acquire;
  } else {
    plan.release = census.owned - plan.share;
  }
  return plan;
}

} // namespace cdp
