#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/store.hpp"

/// Raw events around one advertiser's month; what the cdp-profile job must
/// make of them is worked out by persistence/profile_answers.hpp.
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
