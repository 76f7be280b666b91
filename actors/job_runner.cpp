#include "actors/job_runner.hpp"

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

using self_ptr = job_runner_actor::stateful_pointer<job_runner_state>;

void run_next(self_ptr self) {
  auto& st = self->state;
  const auto& cfg = st.settings;
  auto next = cfg.queue->pop(cfg.slot, cfg.idle_limit, cfg.keep_runners);
  using kind = job_queue::popped::kind;
  switch (next.what) {
    case kind::closed:
    case kind::retire:
      self->quit();
      return;
    case kind::idle:
      // Between two waits its mailbox is read: an exit is seen within idle_limit.
      self->send(self, run_atom_v);
      return;
    case kind::job:
      break;
  }
  auto& job = *next.job;
  auto started = std::chrono::steady_clock::now();
  auto result = run_guarded(*st.job, job.request);
  cfg.metrics->job_ran(result.succeeded, std::chrono::duration_cast<std::chrono::microseconds>(
                                           std::chrono::steady_clock::now() - started));
  if (!cfg.queue->finish(cfg.slot)) {
    // Given up on while the job ran: the pool already failed the attempt.
    self->quit();
    return;
  }
  caf::anon_send(job.owner, done_atom_v, job.lease_token, std::move(result));
  self->send(self, run_atom_v);
}

} // namespace

job_runner_actor::behavior_type
job_runner(job_runner_actor::stateful_pointer<job_runner_state> self,
           job_runner_settings settings) {
  self->state.settings = std::move(settings);
  self->state.job = self->state.settings.make_job();
  self->send(self, run_atom_v);
  return {
    [=](run_atom) { run_next(self); },
  };
}

} // namespace cdp
