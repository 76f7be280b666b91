#include "actors/job_pool.hpp"

#include <spdlog/spdlog.h>

#include "actors/job_runner.hpp"
#include "domain/duration.hpp"

namespace cdp {

namespace {

using pool_ptr = job_pool_actor::stateful_pointer<job_pool_state>;

/// How long past its own timeout a job may run before its runner is given up.
constexpr auto runner_grace = std::chrono::seconds{10};
/// How often to look for such runners.
constexpr auto watch_period = std::chrono::seconds{1};
/// How long an idle runner waits for a job before it looks at its mailbox
/// again (and ends, when more than core-size runners exist).
constexpr auto runner_idle_limit = std::chrono::seconds{1};

bool spawn_runner(pool_ptr self) {
  auto& st = self->state;
  auto id = st.settings.queue->add_runner();
  if (!id)
    return false;
  auto hdl = self->spawn<caf::detached>(
    job_runner, job_runner_settings{st.settings.queue, *id, runner_idle_limit,
                                    st.settings.core_size, st.settings.make_job,
                                    st.settings.metrics});
  self->monitor(hdl);
  st.runners.emplace(hdl.address(), *id);
  return true;
}

/// Its job failed the way a job that never answers fails.
void fail_attempt(const queued_job& job, std::string why) {
  caf::anon_send(job.owner, done_atom_v, job.lease_token, job_result{false, 0, 0, std::move(why)});
}

void watch(pool_ptr self) {
  auto& st = self->state;
  auto limit = st.settings.job_timeout + runner_grace;
  for (auto& stuck : st.settings.queue->abandon_stuck(std::chrono::steady_clock::now(), limit)) {
    spdlog::error("[advertiser={} month={}] job runner gave no answer within {}; given up on",
                  stuck.job.request.advertiser_id, stuck.job.request.month.to_string(),
                  format_duration(limit));
    st.settings.metrics->job_abandoned();
    fail_attempt(stuck.job, "job did not finish within " + format_duration(limit));
    // Its thread may be stuck in the job: it ends once the job returns.
    for (auto& [addr, id] : st.runners)
      if (id == stuck.runner)
        self->send_exit(caf::actor_cast<caf::actor>(addr), caf::exit_reason::kill);
  }
  // Runners given up on are replaced up to the core size.
  while (st.settings.queue->snapshot().runners < st.settings.core_size)
    if (!spawn_runner(self))
      break;
  self->delayed_send(self, watch_period, tick_atom_v, ++st.generation);
}

} // namespace

job_pool_actor::behavior_type
job_pool(job_pool_actor::stateful_pointer<job_pool_state> self, job_pool_settings settings) {
  self->state.settings = std::move(settings);
  for (int i = 0; i < self->state.settings.core_size; ++i)
    spawn_runner(self);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.runners.find(dm.source);
    if (it == st.runners.end())
      return;
    auto id = it->second;
    st.runners.erase(it);
    // A runner that died in a job: the attempt fails, its place frees up.
    if (auto lost = st.settings.queue->remove_runner(id))
      fail_attempt(*lost, "job runner ended: " + self->system().render(dm.reason));
  });
  self->set_exit_handler([=](caf::exit_msg& em) {
    self->state.settings.queue->close();
    for (auto& [addr, id] : self->state.runners)
      self->send_exit(caf::actor_cast<caf::actor>(addr), em.reason);
    self->quit(em.reason);
  });
  self->delayed_send(self, watch_period, tick_atom_v, self->state.generation);
  return {
    [=](grow_atom) { spawn_runner(self); },
    [=](stats_atom) {
      const auto& st = self->state;
      auto load = st.settings.queue->snapshot();
      pool_stats s;
      s.core_size = st.settings.core_size;
      s.max_size = st.settings.max_size;
      s.queue_capacity = st.settings.queue_capacity;
      s.runners = load.runners;
      s.busy = load.busy;
      s.queued_live = load.queued_live;
      s.queued_backfill = load.queued_backfill;
      s.reserved = load.reserved;
      s.jobs_done = load.jobs_done;
      s.deferrals = load.deferrals;
      s.waiting_live = load.waiting_live;
      s.waiting_backfill = load.waiting_backfill;
      s.busy_backfill = load.busy_backfill;
      s.jobs_done_backfill = load.jobs_done_backfill;
      s.coalesced = load.coalesced;
      return s;
    },
    [=](position_atom, const std::string&) -> int64_t {
      auto sender = self->current_sender();
      return sender ? self->state.settings.queue->ahead(sender->id()) : -1;
    },
    [=](tick_atom, uint64_t generation) {
      if (generation == self->state.generation)
        watch(self);
    },
  };
}

} // namespace cdp
