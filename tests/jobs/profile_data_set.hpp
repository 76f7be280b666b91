#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/store.hpp"

/// Raw events around one advertiser's month, with what the cdp-profile job
/// must make of them, worked out here in plain C++ from the SPEC's rules.
struct profile_data_set {
  std::string advertiser_id = "shop-a";
  cdp::year_month month = *cdp::year_month::parse("2024-02");
  /// Every event: the month's, valid and invalid of every kind, plus events
  /// of the neighbouring months and of another advertiser that must not count.
  std::vector<cdp::customer_event> events;
};

/// A generated data set (deterministic for a seed); event ids from
/// `first_id` on.
profile_data_set make_profile_data_set(uint64_t seed, int64_t first_id = 1);

/// Events a later delivery adds to the month of `data` (ids after its own).
std::vector<cdp::customer_event> late_events(const profile_data_set& data);

/// The known answers for `events` in (advertiser, month).
struct profile_answers {
  cdp::profile_counts counts;
  /// One line per customer, by customer id.
  std::vector<std::string> profiles;
  /// "event id: reason", by event id.
  std::vector<std::string> rejected;
};

profile_answers expected_answers(const std::vector<cdp::customer_event>& events,
                                 const std::string& advertiser_id, cdp::year_month month);

/// The same lines as `profile_answers`, from what a store holds.
std::vector<std::string> describe(std::vector<cdp::customer_profile> profiles);
std::vector<std::string> describe(std::vector<cdp::rejected_event> rejected);
