#pragma once

// The reference for a month's profile build, worked out in plain C++ from the
// SPEC's rules: the store's contract tests and the cdp-profile job's tests
// hold the store to the same answers. Header-only, so tests/jobs uses it
// without another source in its build.

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "persistence/store.hpp"

namespace cdp::test {

/// The known answers for one (advertiser, month).
struct profile_answers {
  profile_counts counts;
  /// One line per customer, by customer id.
  std::vector<std::string> profiles;
  /// "event id: reason", by event id.
  std::vector<std::string> rejected;
};

namespace detail {

inline std::string describe_one(const customer_profile& p) {
  return p.advertiser_id + " " + p.month.to_string() + " " + p.customer_id
         + ": events=" + std::to_string(p.events)
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

} // namespace detail

/// The lines of `profile_answers`, from what a store holds (or what a test
/// expects), so that answers compare whole.
inline std::vector<std::string> describe(std::vector<customer_profile> profiles) {
  return detail::sorted_lines(std::move(profiles), &customer_profile::customer_id,
                              detail::describe_one);
}

inline std::vector<std::string> describe(std::vector<rejected_event> rejected) {
  return detail::sorted_lines(std::move(rejected), &rejected_event::event_id,
                              [](const rejected_event& r) {
                                return std::to_string(r.event_id) + ": " + r.reason;
                              });
}

/// Counts events into the answers of one (advertiser, month), one at a time:
/// a test that labels each event by hand says which are valid and why the
/// others are rejected; `expected_answers` asks the SPEC's rules.
class profile_tally {
public:
  profile_tally(std::string advertiser_id, year_month month)
    : advertiser_id_(std::move(advertiser_id)), month_(month) {}

  /// A valid event of this advertiser's month: it counts in its customer's
  /// profile.
  void count_valid(const customer_event& e) {
    auto [it, fresh] = profiles_.try_emplace(e.customer_id);
    auto& p = it->second;
    if (fresh) {
      p.advertiser_id = advertiser_id_;
      p.month = month_;
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
    ++valid_;
  }

  /// An event of this advertiser's month that the build must reject.
  void count_rejected(int64_t event_id, std::string reason) {
    rejected_[event_id] = std::move(reason);
  }

  profile_answers answers() const {
    profile_answers a;
    a.counts.processed_records = valid_;
    a.counts.failed_records = static_cast<int64_t>(rejected_.size());
    std::vector<customer_profile> profiles;
    for (const auto& [customer, p] : profiles_)
      profiles.push_back(p);
    std::vector<rejected_event> rejected;
    for (const auto& [id, reason] : rejected_)
      rejected.push_back(rejected_event{id, reason});
    a.profiles = describe(std::move(profiles));
    a.rejected = describe(std::move(rejected));
    return a;
  }

private:
  std::string advertiser_id_;
  year_month month_;
  std::map<std::string, customer_profile> profiles_;
  std::map<int64_t, std::string> rejected_;
  int64_t valid_ = 0;
};

/// The SPEC's rules, checked in this order (the first that applies is the
/// reason); nullopt for a valid event.
inline std::optional<std::string> reject_reason(const customer_event& e) {
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

/// The answers for those of `events` that are in (advertiser, month).
inline profile_answers expected_answers(const std::vector<customer_event>& events,
                                        const std::string& advertiser_id, year_month month) {
  profile_tally tally{advertiser_id, month};
  for (const auto& e : events) {
    if (e.advertiser_id != advertiser_id || year_month::of(e.event_time) != month)
      continue;
    if (auto reason = reject_reason(e))
      tally.count_rejected(e.id, *reason);
    else
      tally.count_valid(e);
  }
  return tally.answers();
}

} // namespace cdp::test
