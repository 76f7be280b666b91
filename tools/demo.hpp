#pragma once

#include "config/config.hpp"
#include "domain/clock.hpp"
#include "persistence/store.hpp"

namespace cdp {

/// The seed's scenario, created only when the store has no advertisers: A and
/// B EXISTING, C NEW, with synthetic customer events (a few invalid on
/// purpose) for the cdp-profile job, audited as made by `demo_caller` on
/// `node`. Returns how many advertisers it made.
expected<int> create_demo(store& db, const config& cfg, const clock& clk,
                          const std::string& node);

} // namespace cdp
