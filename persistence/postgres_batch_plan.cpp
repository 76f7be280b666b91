#include "persistence/postgres_batch_plan.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace cdp::pg {

namespace {

/// The last layer (−1: none) in which earlier items touched one advertiser.
struct advertiser_layers {
  /// A completion or deactivating failure wrote the advertiser row.
  int wrote = -1;
  /// A deactivating failure changed `active`.
  int deactivated = -1;
  /// A claim read `active`.
  int claimed = -1;
};

const std::string& advertiser_of(const transition& t) {
  return std::visit([](const auto& r) -> const std::string& { return r.advertiser_id; }, t);
}

year_month month_of(const transition& t) {
  return std::visit([](const auto& r) { return r.month; }, t);
}

} // namespace

std::vector<std::vector<size_t>> plan_layers(std::span<const transition> batch) {
  std::unordered_map<std::string, advertiser_layers> advertisers;
  std::unordered_map<std::string, int> months;
  std::vector<std::vector<size_t>> layers;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& t = batch[i];
    auto& adv = advertisers[advertiser_of(t)];
    auto month_key = advertiser_of(t) + '/' + month_of(t).to_string();
    auto found = months.find(month_key);
    int after = found == months.end() ? -1 : found->second;

    const auto* fail = std::get_if<fail_request>(&t);
    bool deactivates = fail && fail->deactivate_reason.has_value();
    bool writes_advertiser = std::holds_alternative<complete_request>(t) || deactivates;
    bool is_claim = std::holds_alternative<claim_request>(t);
    if (is_claim)
      after = std::max(after, adv.deactivated);
    // A claim that waits for an earlier month sees that month's outcome.
    if (const auto* claim = std::get_if<claim_request>(&t); claim && claim->after) {
      auto waited = months.find(claim->advertiser_id + '/' + claim->after->to_string());
      if (waited != months.end())
        after = std::max(after, waited->second);
    }
    if (writes_advertiser)
      after = std::max(after, adv.wrote);
    if (deactivates)
      after = std::max(after, adv.claimed);

    int layer = after + 1;
    if (static_cast<size_t>(layer) == layers.size())
      layers.emplace_back();
    layers[static_cast<size_t>(layer)].push_back(i);
    months[month_key] = layer;
    if (writes_advertiser)
      adv.wrote = layer;
    if (deactivates)
      adv.deactivated = layer;
    if (is_claim)
      adv.claimed = std::max(adv.claimed, layer);
  }
  return layers;
}

} // namespace cdp::pg
