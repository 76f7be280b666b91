#pragma once

#include <cstdint>
#include <string>

#include "domain/year_month.hpp"

// What the crash child writes for a lease, so that the test can tell from a
// row alone whether its transaction was applied whole: the counts, the error
// and the deactivation reason are all derived from the lease token.
namespace cdp::crash {

inline int64_t processed_for(int64_t lease_token) { return lease_token % 100000 + 1; }
inline int64_t failed_for(int64_t lease_token) { return lease_token % 7; }

inline std::string error_for(int64_t lease_token) {
  return "crash child failure, lease " + std::to_string(lease_token);
}

inline std::string deactivation_for(year_month month, int64_t lease_token) {
  return month.to_string() + " exhausted its retries, lease " + std::to_string(lease_token);
}

/// The advertiser an operator switches on and off between the batches; each
/// switch and its audit row must be stored together.
inline const std::string toggled = "toggled";

} // namespace cdp::crash
