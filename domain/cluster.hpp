#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "domain/year_month.hpp"

// Several daemons on one store: who is alive, and how many advertisers each
// should lease. Pure rules; the store keeps the rows, the node actor acts.

namespace cdp {

/// One daemon as the others see it (the cluster view).
struct node_view {
  std::string node_id;
  std::string host;
  int64_t pid = 0;
  timestamp started_at{};
  timestamp heartbeat_at{};
  /// How long before the view was taken it last beat.
  int64_t heartbeat_age_ms = 0;
  /// Set when it left the cluster cleanly (SIGTERM); its leases are free.
  std::optional<timestamp> stopped_at;
  /// Renewed its heartbeat within the lease TTL and has not stopped.
  bool live = false;
  int64_t advertisers_owned = 0;
  int64_t running_jobs = 0;
};

/// A node is alive while it has not stopped and renewed its heartbeat within
/// `lease_ttl` of `now`.
bool node_is_live(timestamp heartbeat_at, bool stopped, timestamp now,
                  std::chrono::milliseconds lease_ttl);

/// How the cluster stands for one node: what it can see before balancing.
struct lease_census {
  /// Advertisers that can be leased (every advertiser).
  int64_t advertisers = 0;
  /// Live nodes, this one included.
  int64_t live_nodes = 1;
  /// Leases this node holds.
  int64_t owned = 0;
  /// Leases free or held by a node that is no longer live.
  int64_t available = 0;
};

/// What one node does about its leases on a heartbeat: take some, or give
/// some back so a node that joined gets its share.
struct lease_plan {
  int64_t acquire = 0;
  int64_t release = 0;
  /// The number of advertisers this node should hold.
  int64_t share = 0;
  /// The round's bound held `acquire` back: another round follows at once.
  bool more = false;
};

/// Each live node's fair share is ceil(advertisers / live nodes): a node below
/// it takes what is available up to it, a node above it gives back the rest,
/// so the shares add up to every advertiser and no node waits for another's
/// decision. A round takes at most `batch` leases (node.lease_batch), so one
/// take stays short however many advertisers appear at once (a bulk import);
/// `more` says the node is still below what it could take.
lease_plan plan_leases(const lease_census& census,
                       int64_t batch = std::numeric_limits<int64_t>::max());

/// A lease a node holds: its claims on the advertiser carry this epoch.
struct advertiser_lease {
  std::string advertiser_id;
  int64_t epoch = 0;
  /// Who held it before it was taken ("" when it was free).
  std::string previous_owner;
};

/// What a round that gives leases back leaves to the next one.
struct lease_handover {
  /// Told to let go in an earlier round, still held, and no longer surplus:
  /// the supervisor must be told it holds them again.
  std::vector<advertiser_lease> held_again;
  /// Told to let go, not yet freed: the surplus whose months still ran.
  std::vector<advertiser_lease> draining;
};

/// A node gives back its surplus by telling its supervisor to let those
/// advertisers go (their running months drain), but the store frees a lease
/// only once nothing of it runs: the others stay this node's, without an
/// actor. When a later round no longer counts one of them as surplus (a node
/// left, or took fewer than was freed), nothing would run it on any node
/// unless the supervisor is told it is held again. `draining` is what the
/// last round left, `surplus` what this round told to let go (ascending ids,
/// as listed), `freed` what the store freed of it.
lease_handover hand_over(std::span<const advertiser_lease> draining,
                         std::span<const advertiser_lease> surplus,
                         std::span<const std::string> freed);

} // namespace cdp
