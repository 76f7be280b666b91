#pragma once

#include <chrono>
#include <memory>

#include "actors/interfaces.hpp"
#include "actors/job_queue.hpp"
#include "jobs/month_job.hpp"
#include "runtime/metrics.hpp"

namespace cdp {

struct job_runner_settings {
  std::shared_ptr<job_queue> queue;
  /// Its id in the queue's runner table.
  uint64_t slot = 0;
  /// How long an idle runner waits for a job before looking at its mailbox
  /// again, and ending when it is one more than `keep_runners`.
  std::chrono::milliseconds idle_limit = std::chrono::seconds{1};
  int keep_runners = 5;
  job_factory make_job;
  std::shared_ptr<engine_metrics> metrics;
};

struct job_runner_state {
  job_runner_settings settings;
  std::unique_ptr<month_job> job;
  static inline const char* name = "job-runner";
};

/// Spawn detached: it pulls jobs from the queue and runs each on its own
/// thread, then tells the job's advertiser the result directly.
job_runner_actor::behavior_type
job_runner(job_runner_actor::stateful_pointer<job_runner_state> self,
           job_runner_settings settings);

} // namespace cdp
