#include "tools/demo.hpp"

#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "domain/due_plan.hpp"

namespace cdp {

namespace {

/// Events of one advertiser in one month: mostly valid, ~3% invalid.
std::vector<customer_event> month_events(const std::string& advertiser, year_month month,
                                         int count, std::mt19937_64& rng) {
  static const char* types[] = {"view", "view", "view", "click", "click", "cart", "purchase"};
  std::uniform_int_distribution<int> customer{1, 200};
  std::uniform_int_distribution<int> type{0, 6};
  std::uniform_int_distribution<int64_t> offset{0, 27LL * 24 * 3600 * 1000};
  std::uniform_int_distribution<int64_t> cents{100, 50'000};
  std::uniform_int_distribution<int> percent{0, 99};
  std::vector<customer_event> events;
  events.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    customer_event e;
    e.advertiser_id = advertiser;
    e.customer_id = "cust-" + std::to_string(customer(rng));
    e.event_time = month.start_utc() + std::chrono::milliseconds{offset(rng)};
    e.event_type = types[type(rng)];
    if (e.event_type == "purchase")
      e.revenue_cents = cents(rng);
    switch (percent(rng)) {
      case 0: e.customer_id.clear(); break;
      case 1: e.event_type = "hover"; break;
      case 2: e.revenue_cents = e.event_type == "purchase" ? std::nullopt : std::optional<int64_t>{-5}; break;
      default: break;
    }
    events.push_back(std::move(e));
  }
  return events;
}

} // namespace

expected<int> create_demo(store& db, const config& cfg, const clock& clk,
                          const std::string& node) {
  auto existing = db.list_advertisers(false);
  if (!existing)
    return std::move(existing).error();
  if (!existing->empty())
    return 0;
  struct demo {
    const char* id;
    const char* name;
    advertiser_type type;
  };
  const demo advertisers[] = {{"A", "Advertiser A", advertiser_type::existing},
                              {"B", "Advertiser B", advertiser_type::existing},
                              {"C", "Advertiser C (new)", advertiser_type::new_advertiser}};
  auto current = clk.current_month();
  std::mt19937_64 rng{cfg.job.simulated.seed};
  std::vector<new_advertiser> requests;
  std::vector<customer_event> events;
  for (const auto& d : advertisers) {
    requests.push_back(new_advertiser{d.id, d.name, d.type});
    auto months = d.type == advertiser_type::existing
                    ? std::vector<year_month>{current}
                    : backfill_plan(current, cfg.backfill_months);
    for (auto m : months) {
      auto some = month_events(d.id, m, 2000, rng);
      events.insert(events.end(), std::make_move_iterator(some.begin()),
                    std::make_move_iterator(some.end()));
    }
  }
  // One transaction: a daemon killed while seeding leaves an empty store,
  // and the next start seeds it whole.
  spdlog::info("demo: seeding advertisers A, B and C with {} events in one transaction",
               events.size());
  auto made = db.create_advertisers(requests, current, cfg.backfill_months,
                                    cfg.retry.max_retries, clk.now(), events,
                                    audit_note{demo_caller, "the --demo seed", node});
  // Another daemon on the same store seeded it first.
  if (!made && made.error().code == errc::conflict)
    return 0;
  if (!made)
    return std::move(made).error();
  return 3;
}

} // namespace cdp
