#include "profile_data_set.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <random>

using namespace std::chrono_literals;

namespace {

/// The SPEC's rules, checked in this order (the first that applies is the
/// reason); nullopt for a valid event.
std::optional<std::string> reject_reason(const cdp::customer_event& e) {
  static const std::vector<std::string> types{"view", "click", "cart", "purchase"};
  if (e.customer_id.empty())
    return "empty customer_id";
  if (std::find(types.begin(), types.end(), e.event_type) == types.end())
    return "unknown event_type";
  if (e.revenue_cents && *e.revenue_cents < 0)
    return "negative revenue";
  if (e.event_type == "purchase" && e.revenue_cents.value_or(0) == 0)
    return "purchase without revenue";
  return std::nullopt;
}

std::string describe_one(const cdp::customer_profile& p) {
  return p.advertiser_id + " " + p.month.to_string() + " " + p.customer_id + ": events=" + std::to_string(p.events)
         + " purchases=" + std::to_string(p.purchases)
         + " revenue=" + std::to_string(p.revenue_cents)
         + " first=" + std::to_string(p.first_seen.time_since_epoch().count())
         + " last=" + std::to_string(p.last_seen.time_since_epoch().count());
}

/// One line per item, ordered by `key`, whatever order a store returned.
template <class T, class Key, class Line>
std::vector<std::string> sorted_lines(std::vector<T> items, Key T::*key, Line line) {
  std::sort(items.begin(), items.end(),
            [key](const T& x, const T& y) { return x.*key < y.*key; });
  std::vector<std::string> lines;
  for (const auto& item : items)
    lines.push_back(line(item));
  return lines;
}

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

profile_answers expected_answers(const std::vector<cdp::customer_event>& events,
                                 const std::string& advertiser_id, cdp::year_month month) {
  profile_answers answers;
  std::map<std::string, cdp::customer_profile> profiles;
  std::map<int64_t, std::string> rejected;
  for (const auto& e : events) {
    if (e.advertiser_id != advertiser_id || cdp::year_month::of(e.event_time) != month)
      continue;
    if (auto reason = reject_reason(e)) {
      rejected[e.id] = *reason;
      continue;
    }
    auto [it, fresh] = profiles.try_emplace(e.customer_id);
    auto& p = it->second;
    if (fresh) {
      p.advertiser_id = advertiser_id;
      p.month = month;
      p.customer_id = e.customer_id;
      p.first_seen = p.last_seen = e.event_time;
    }
    ++p.events;
    if (e.event_type == "purchase") {
      ++p.purchases;
      p.revenue_cents += *e.revenue_cents;
    }
    p.first_seen = std::min(p.first_seen, e.event_time);
    p.last_seen = std::max(p.last_seen, e.event_time);
    ++answers.counts.processed_records;
  }
  answers.counts.failed_records = static_cast<int64_t>(rejected.size());
  std::vector<cdp::customer_profile> profile_list;
  for (const auto& [customer, p] : profiles)
    profile_list.push_back(p);
  std::vector<cdp::rejected_event> rejected_list;
  for (const auto& [id, reason] : rejected)
    rejected_list.push_back(cdp::rejected_event{id, reason});
  answers.profiles = describe(std::move(profile_list));
  answers.rejected = describe(std::move(rejected_list));
  return answers;
}

std::vector<std::string> describe(std::vector<cdp::customer_profile> profiles) {
  return sorted_lines(std::move(profiles), &cdp::customer_profile::customer_id, describe_one);
}

std::vector<std::string> describe(std::vector<cdp::rejected_event> rejected) {
  return sorted_lines(std::move(rejected), &cdp::rejected_event::event_id,
                      [](const cdp::rejected_event& r) {
                        return std::to_string(r.event_id) + ": " + r.reason;
                      });
}
