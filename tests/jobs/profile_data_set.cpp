#include "profile_data_set.hpp"

#include <algorithm>
#include <optional>
#include <random>

using namespace std::chrono_literals;

namespace {

/// Adds events with consecutive ids.
class event_writer {
public:
  event_writer(std::vector<cdp::customer_event>& events, int64_t next_id)
    : events_(events), next_id_(next_id) {}

  void add(const std::string& advertiser, const std::string& customer, cdp::timestamp at,
           const std::string& type, std::optional<int64_t> revenue = std::nullopt) {
    events_.push_back(cdp::customer_event{next_id_++, advertiser, customer, at, type, revenue});
  }

private:
  std::vector<cdp::customer_event>& events_;
  int64_t next_id_;
};

} // namespace

profile_data_set make_profile_data_set(uint64_t seed, int64_t first_id) {
  profile_data_set data;
  event_writer out{data.events, first_id};
  std::mt19937_64 random{seed};
  const auto start = data.month.start_utc();
  const auto end = data.month.next().start_utc();
  auto at_random = [&](cdp::timestamp from, cdp::timestamp to) {
    return from + std::chrono::milliseconds{random() % static_cast<uint64_t>((to - from).count())};
  };
  auto customer = [&] {
    auto n = std::to_string(random() % 50);
    return "c-" + std::string(3 - n.size(), '0') + n;
  };
  const auto& a = data.advertiser_id;

  // The bulk: valid events of 50 customers all over the month.
  for (int i = 0; i < 2000; ++i) {
    auto roll = random() % 20;
    if (roll < 2)
      out.add(a, customer(), at_random(start, end), "purchase",
              static_cast<int64_t>(1 + random() % 100'000));
    else
      out.add(a, customer(), at_random(start, end), roll < 10 ? "view" : roll < 15 ? "click" : "cart");
  }

  // Invalid records of every kind, each several times, among the valid ones.
  for (int i = 0; i < 3; ++i) {
    out.add(a, "", at_random(start, end), "view");
    out.add(a, customer(), at_random(start, end), "refund");
    out.add(a, customer(), at_random(start, end), "VIEW");
    out.add(a, customer(), at_random(start, end), "");
    out.add(a, customer(), at_random(start, end), "purchase", -500);
    out.add(a, customer(), at_random(start, end), "view", -1);
    out.add(a, customer(), at_random(start, end), "purchase");
    out.add(a, customer(), at_random(start, end), "purchase", 0);
    // Wrong twice: rejected once, for the first rule it breaks.
    out.add(a, "", at_random(start, end), "bogus", -7);
  }

  // The month's edges: [first instant, next month's first instant).
  out.add(a, "c-edge", start, "view");
  out.add(a, "c-edge", end - 1ms, "purchase", 1234);
  out.add(a, "c-edge", at_random(start, end), "cart", 700);  // a cart's amount is not revenue
  out.add(a, "c-edge", start - 1ms, "purchase", 999'999);
  out.add(a, "c-edge", end, "purchase", 999'999);

  // Neighbouring months and another advertiser (with the same customer ids).
  for (int i = 0; i < 200; ++i) {
    out.add(a, customer(), at_random(start - 31 * 24h, start), "view");
    out.add(a, customer(), at_random(end, end + 31 * 24h), i % 2 ? "purchase" : "bogus", 50);
    out.add("shop-b", customer(), at_random(start, end), i % 3 ? "purchase" : "refund", 10);
  }
  return data;
}

std::vector<cdp::customer_event> late_events(const profile_data_set& data) {
  std::vector<cdp::customer_event> late;
  int64_t next_id = 0;
  for (const auto& e : data.events)
    next_id = std::max(next_id, e.id + 1);
  event_writer out{late, next_id};
  auto middle = data.month.start_utc() + 15 * 24h;
  out.add(data.advertiser_id, "c-edge", middle, "purchase", 100);
  out.add(data.advertiser_id, "c-late", middle, "click");
  out.add(data.advertiser_id, "c-late", middle + 1h, "purchase");
  return late;
}
