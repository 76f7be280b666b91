#include "actors/job_runner.hpp"

#include <chrono>
#include <exception>

namespace cdp {

namespace {

/// A plug-in job that throws must fail its month, not take the runner down.
job_result run_guarded(month_job& job, const job_request& request) {
  try {
    return job.run(request);
  } catch (const std::exception& e) {
    return job_result{false, 0, 0, std::string{"job threw an exception: "} + e.what()};
  } catch (...) {
    return job_result{false, 0, 0, "job threw an unknown exception"};
  }
}

} // namespace

job_runner_actor::behavior_type
job_runner(job_runner_actor::stateful_pointer<job_runner_state> self, job_factory make_job,
           std::shared_ptr<engine_metrics> metrics) {
  self->state.job = make_job();
  self->state.metrics = std::move(metrics);
  return {
    [=](const job_request& request) -> job_result {
      auto started = std::chrono::steady_clock::now();
      auto result = run_guarded(*self->state.job, request);
      self->state.metrics->job_ran(result.succeeded,
                                   std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - started));
      return result;
    },
  };
}

} // namespace cdp
