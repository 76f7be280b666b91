#pragma once

#include <chrono>
#include <cstdint>

#include <memory>
#include <optional>

#include "actors/engine_observer.hpp"
#include "actors/interfaces.hpp"
#include "domain/clock.hpp"
#include "runtime/metrics.hpp"

namespace cdp {

struct director_settings {
  std::chrono::milliseconds tick_interval = std::chrono::minutes{5};
  /// Limit for the store's list of active advertisers.
  std::chrono::milliseconds store_timeout = std::chrono::seconds{60};
  store_reader_actor reader;
  supervisor_actor supervisor;
  std::shared_ptr<engine_metrics> metrics;
  /// Null unless someone watches (cdpload).
  std::shared_ptr<engine_observer> observer;
  /// For the next tick's instant (the schedule operators see).
  std::shared_ptr<const clock> clk;
  /// probe.enabled: a tick lists the advertisers a failed month deactivated
  /// too, so their actors stay to probe them.
  bool probe = false;
};

struct director_state {
  director_settings settings;
  uint64_t generation = 0;
  /// When the armed tick fires; nullopt while a tick's list is being read.
  std::optional<timestamp> next_tick;
  bool draining = false;
  /// Asked to tick while a tick was under way: the next one follows at once.
  bool resync = false;
  int store_failures = 0;
  static inline const char* name = "director";
};

/// Ticks at once, then every `tick_interval` after the previous tick's work
/// was handed out (fixed delay, so slow ticks never pile up).
director_actor::behavior_type
director(director_actor::stateful_pointer<director_state> self, director_settings settings);

} // namespace cdp
