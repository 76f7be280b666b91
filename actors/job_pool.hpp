#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/interfaces.hpp"
#include "jobs/month_job.hpp"
#include "runtime/metrics.hpp"

namespace cdp {

struct job_pool_settings {
  int core_size = 5;
  int max_size = 20;
  int queue_capacity = 100;
  /// A runner that has not answered this long after a job's own timeout is
  /// given up on (its job is reported failed).
  std::chrono::milliseconds job_timeout = std::chrono::minutes{25};
  job_factory make_job;
  std::shared_ptr<engine_metrics> metrics;
};

struct job_pool_state {
  struct queued_job {
    uint64_t ticket;
    job_request request;
    caf::typed_response_promise<job_result> promise;
  };
  struct runner {
    job_runner_actor handle;
    bool busy = false;
  };

  struct reservation {
    job_lane lane;
    caf::actor_addr holder;
  };

  job_pool_settings settings;
  std::vector<runner> runners;
  std::unordered_map<uint64_t, reservation> reserved;
  /// The one ticket each advertiser may hold; a new reserve replaces it, so a
  /// reply lost to a timeout cannot leak a place.
  std::unordered_map<caf::actor_addr, uint64_t> held;
  /// Requesters this pool monitors: a dead one's ticket and wait are dropped.
  std::unordered_set<caf::actor_addr> watched;
  std::deque<queued_job> live;
  std::deque<queued_job> backfill;
  /// Advertisers told "queue full", waiting for `slot_atom`, per lane.
  std::deque<caf::strong_actor_ptr> waiting_live;
  std::deque<caf::strong_actor_ptr> waiting_backfill;
  std::unordered_set<caf::actor_addr> waiting_set;
  uint64_t next_ticket = 1;
  int64_t jobs_done = 0;
  int64_t deferrals = 0;

  static inline const char* name = "job-pool";
};

/// Live months may use the whole queue; backfill only three quarters of it,
/// so a backfill wave never starves live advertisers' current months.
job_pool_actor::behavior_type
job_pool(job_pool_actor::stateful_pointer<job_pool_state> self, job_pool_settings settings);

} // namespace cdp
