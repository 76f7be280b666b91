#include "domain/cluster.hpp"

#include <algorithm>
#include <set>
#include <string_view>

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

lease_handover hand_over(std::span<const advertiser_lease> draining,
                         std::span<const advertiser_lease> surplus,
                         std::span<const std::string> freed) {
  std::set<std::string_view> gone{freed.begin(), freed.end()};
  std::set<std::string_view> told;
  lease_handover out;
  for (const auto& l : surplus) {
    told.insert(l.advertiser_id);
    if (!gone.count(l.advertiser_id))
      out.draining.push_back(l);
  }
  for (const auto& l : draining)
    if (!told.count(l.advertiser_id))
      out.held_again.push_back(l);
  return out;
}

} // namespace cdp
