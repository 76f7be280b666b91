#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "actors/interfaces.hpp"
#include "actors/job_queue.hpp"
#include "jobs/month_job.hpp"
#include "runtime/metrics.hpp"

namespace cdp {

struct job_pool_settings {
  int core_size = 5;
  int max_size = 20;
  int queue_capacity = 100;
  double backfill_share = 0.25;
  /// A runner whose job has run this long past the job's own timeout is
  /// given up on (its job is reported failed).
  std::chrono::milliseconds job_timeout = std::chrono::minutes{25};
  job_factory make_job;
  std::shared_ptr<engine_metrics> metrics;
  std::shared_ptr<job_queue> queue;
};

struct job_pool_state {
  job_pool_settings settings;
  /// Runner actors and their ids in the queue.
  std::unordered_map<caf::actor_addr, uint64_t> runners;
  uint64_t generation = 0;
  static inline const char* name = "job-pool";
};

/// The runners' owner; see job_pool_actor in actors/interfaces.hpp.
job_pool_actor::behavior_type
job_pool(job_pool_actor::stateful_pointer<job_pool_state> self, job_pool_settings settings);

} // namespace cdp
