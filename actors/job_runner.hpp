#pragma once

#include <memory>

#include "actors/interfaces.hpp"
#include "jobs/month_job.hpp"
#include "runtime/metrics.hpp"

namespace cdp {

struct job_runner_state {
  std::unique_ptr<month_job> job;
  std::shared_ptr<engine_metrics> metrics;
  static inline const char* name = "job-runner";
};

/// Spawn detached: a job blocks its thread for as long as it runs.
job_runner_actor::behavior_type
job_runner(job_runner_actor::stateful_pointer<job_runner_state> self, job_factory make_job,
           std::shared_ptr<engine_metrics> metrics);

} // namespace cdp
