#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

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
  /// What the supervisor keeps per advertiser: the record itself lives in
  /// the advertiser's actor, or packed in `dormant` while it has none.
  struct child {
    /// Null while its months are read for its first start, or while it
    /// hibernates.
    advertiser_actor handle;
    /// Hibernated: its record and months, packed (actors/hibernation.hpp).
    std::vector<char> dormant;
    /// Messages sent to its actor: it hibernates only once it has handled all.
    uint32_t told = 0;
    /// Its crashes within the restart window, oldest first.
    std::vector<timestamp> restarts;
    /// The tick that listed it last.
    uint64_t listed = 0;
    /// No longer active: draining before it stops.
    bool retiring = false;
    /// Activated again while retiring: a new actor starts once this one has
    /// stopped (never two actors of one advertiser at once).
    bool revive = false;
    /// An operator changed it while its months were being read: its actor
    /// reads them again itself.
    bool reread = false;
    /// A tick reached it while it hibernated: it waits in the wake line.
    bool waking = false;
    /// Woken from the line and not yet at rest: it counts against the window.
    bool from_line = false;
  };

  std::shared_ptr<const advertiser_settings> settings;
  restart_policy restarts;
  std::unordered_map<std::string, child> children;
  /// Actor → its advertiser id (the key in `children`).
  std::unordered_map<caf::actor_id, const std::string*> ids;
  /// Records of advertisers to revive once their retiring actor stopped.
  std::unordered_map<std::string, advertiser> revivals;
  /// Cluster mode (settings->leased): the epoch of each lease this node holds.
  std::unordered_map<std::string, int64_t> leases;
  /// Ticks' records for hibernated advertisers (and first starts whose
  /// months were read in bulk), woken in this order as those woken before
  /// come to rest: a tick over a million advertisers keeps about a thousand
  /// actors awake at a time (8 per place of the job queue), not a million.
  std::deque<advertiser> wake_line;
  /// Actors woken from the line and not yet at rest, and how many may be.
  int64_t woken = 0;
  int64_t wake_window = 0;
  /// The memory of the last wave has been handed back (wake_more).
  bool trimmed = true;
  uint64_t tick = 0;
  bool draining = false;

  static inline const char* name = "supervisor";
};

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           std::shared_ptr<const advertiser_settings> settings, restart_policy restarts);

} // namespace cdp
