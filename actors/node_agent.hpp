#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/interfaces.hpp"
#include "domain/clock.hpp"
#include "persistence/store.hpp"

namespace cdp {

struct node_settings {
  /// The store object the node registered on: on PostgreSQL its session
  /// holds the node id, so it stays with this actor for the daemon's life.
  std::shared_ptr<store> registered;
  std::string node_id;
  std::shared_ptr<const clock> clk;
  /// node.heartbeat and node.lease_ttl.
  std::chrono::milliseconds heartbeat = std::chrono::seconds{5};
  std::chrono::milliseconds lease_ttl = std::chrono::seconds{30};
  /// node.lease_batch: at most this many leases taken a round.
  int64_t lease_batch = 10'000;
  /// Cluster mode: balance the advertisers' leases on every heartbeat.
  bool leased = false;
  std::chrono::milliseconds ask_timeout = std::chrono::seconds{60};
  supervisor_actor supervisor;
  director_actor director;
};

struct node_state {
  node_settings settings;
  uint64_t generation = 0;
  /// Consecutive failed heartbeats, so a long outage is logged once a period.
  int failures = 0;
  /// The leases this node holds by its rounds' account, which the supervisor
  /// was told; -1 until the first round, or after the supervisor missed one.
  int64_t told = -1;
  /// Surplus leases the supervisor let go whose months still ran, so the
  /// store kept them this node's (see hand_over).
  lease_list draining;
  static inline const char* name = "node";
};

/// Spawn detached: every call blocks on the database. Renews the heartbeat
/// every `heartbeat`; in cluster mode then takes or gives back leases toward
/// this node's fair share and tells the supervisor which it holds. Ends with
/// an error (the daemon stops) when another daemon took its node id.
node_actor::behavior_type node_agent(node_actor::stateful_pointer<node_state> self,
                                     node_settings settings);

} // namespace cdp
