#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "actors/store_link.hpp"
#include "domain/clock.hpp"
#include "domain/retry_policy.hpp"

namespace cdp {

/// What the store reader needs beyond its connection.
struct store_reader_settings {
  std::shared_ptr<const clock> clk;
  int backfill_months = 24;
  retry_policy retry;
  std::chrono::milliseconds stale_after = std::chrono::minutes{30};
  /// node.lease_ttl: a node silent this long is dead (the cluster view, and
  /// in cluster mode the reaper frees its months at once).
  std::chrono::milliseconds lease_ttl = std::chrono::seconds{30};
  bool reap_dead_nodes = false;
};

struct store_reader_state {
  std::optional<store_link> link;
  store_reader_settings settings;
  static inline const char* name = "store-reader";
};

/// Spawn detached: every call blocks on the database.
store_reader_actor::behavior_type
store_reader(store_reader_actor::stateful_pointer<store_reader_state> self,
             std::string store_url, store_options options, store_reader_settings settings);

} // namespace cdp
