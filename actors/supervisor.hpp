#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "actors/advertiser.hpp"
#include "actors/interfaces.hpp"

namespace cdp {

/// How often an advertiser actor may crash before its advertiser is deactivated.
struct restart_policy {
  int max_restarts = 5;
  std::chrono::milliseconds window = std::chrono::minutes{10};
  /// First restart delay; doubles with each restart in the window.
  std::chrono::milliseconds backoff = std::chrono::milliseconds{100};
};

struct supervisor_state {
  struct child {
    advertiser_actor handle;
    advertiser record;
    std::deque<timestamp> restarts;
    /// No longer active: draining before it stops.
    bool retiring = false;
    /// Activated again while retiring: a new actor starts once this one has
    /// stopped (never two actors of one advertiser at once).
    bool revive = false;
  };

  std::shared_ptr<const advertiser_settings> settings;
  restart_policy restarts;
  std::unordered_map<std::string, child> children;
  std::unordered_map<caf::actor_addr, std::string> ids;
  /// Cluster mode (settings->leased): the epoch of each lease this node holds.
  std::unordered_map<std::string, int64_t> leases;
  bool draining = false;

  static inline const char* name = "supervisor";
};

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           std::shared_ptr<const advertiser_settings> settings, restart_policy restarts);

} // namespace cdp
