#include "actors/job_runner.hpp"

#include <exception>

namespace cdp {

job_runner_actor::behavior_type
job_runner(job_runner_actor::stateful_pointer<job_runner_state> self, job_factory make_job) {
  self->state.job = make_job();
  return {
    [=](const job_request& request) -> job_result {
      // A plug-in job that throws must fail its month, not take the runner down.
      try {
        return self->state.job->run(request);
      } catch (const std::exception& e) {
        return job_result{false, 0, 0, std::string{"job threw an exception: "} + e.what()};
      } catch (...) {
        return job_result{false, 0, 0, "job threw an unknown exception"};
      }
    },
  };
}

} // namespace cdp
