#pragma once

#include <chrono>
#include <cstdint>

#include <memory>

#include "actors/interfaces.hpp"
#include "domain/clock.hpp"
#include "runtime/metrics.hpp"

namespace cdp {

struct reaper_settings {
  std::chrono::milliseconds interval = std::chrono::minutes{10};
  std::chrono::milliseconds stale_after = std::chrono::minutes{30};
  std::chrono::milliseconds store_timeout = std::chrono::seconds{60};
  /// Audit rows older than this are deleted at each round.
  std::chrono::milliseconds audit_retention = std::chrono::hours{24 * 90};
  std::shared_ptr<const clock> clk;
  store_reader_actor reader;
  supervisor_actor supervisor;
  std::shared_ptr<engine_metrics> metrics;
};

struct reaper_state {
  reaper_settings settings;
  uint64_t generation = 0;
  static inline const char* name = "reaper";
};

/// Every `interval`, months RUNNING longer than `stale_after` become FAILED
/// (an attempt used; their advertisers' retry policy goes on). A node that
/// died leaves RUNNING months behind: this is how other nodes get them back.
/// Each round also deletes the audit rows past their retention.
reaper_actor::behavior_type reaper(reaper_actor::stateful_pointer<reaper_state> self,
                                   reaper_settings settings);

} // namespace cdp
