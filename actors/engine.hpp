#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "actors/engine_observer.hpp"
#include "actors/interfaces.hpp"
#include "actors/supervisor.hpp"
#include "config/config.hpp"
#include "domain/clock.hpp"
#include "jobs/month_job.hpp"
#include "persistence/store.hpp"
#include "runtime/metrics.hpp"

namespace cdp {

/// Everything the engine is built from; `main` and the tests fill it in.
struct engine_options {
  config cfg;
  std::shared_ptr<const clock> clk;
  job_factory make_job;
  /// This daemon's name on its claims (config node.id, or the host name).
  std::string node_id;
  restart_policy restarts;
  store_options store;
  /// Called (from an actor thread) when a core actor ends unexpectedly: the
  /// daemon cannot work without it and should stop.
  std::function<void(const std::string& what)> on_core_failure;
  /// Where the engine's actors record what they measure.
  std::shared_ptr<engine_metrics> metrics = std::make_shared<engine_metrics>();
  /// The store object this daemon registered its node on (register_node).
  /// With one, a node actor renews the heartbeat and, on a shared store
  /// (PostgreSQL), leases this node's share of the advertisers: cluster mode.
  std::shared_ptr<cdp::store> registration = nullptr;
  /// Sees every commit and tick as it happens; null for none.
  std::shared_ptr<engine_observer> observer = nullptr;
};

/// The running actors, wired together.
struct engine {
  /// Each advertiser's transitions go through one of them (by its actor id),
  /// so its months stay in order while other advertisers commit in parallel.
  std::vector<committer_actor> committers;
  store_reader_actor reader;
  job_pool_actor pool;
  supervisor_actor supervisor;
  director_actor director;
  reaper_actor reaper;
  /// Every operator operation (REST API and console), on its own reader.
  operator_actor operations;
  std::vector<store_reader_actor> operator_readers;
  /// Heartbeat and leases; absent without a registration.
  node_actor node;
  /// Monitors the actors above and reports one that dies.
  caf::actor watchdog;
  std::shared_ptr<engine_metrics> metrics;

  /// Stops ticking and claiming; waits until in-flight jobs are recorded
  /// (or `limit` passes), then leaves the cluster so other nodes take its
  /// advertisers at once. The number of advertisers drained, or an error.
  expected<int64_t> drain(caf::actor_system& sys, std::chrono::milliseconds limit);

  /// Ends every actor; `~actor_system` then waits for them.
  void stop();
};

engine start_engine(caf::actor_system& sys, const engine_options& options);

} // namespace cdp
