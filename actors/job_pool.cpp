#include "actors/job_pool.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "actors/job_runner.hpp"
#include "domain/duration.hpp"

namespace cdp {

namespace {

using pool_ptr = job_pool_actor::stateful_pointer<job_pool_state>;

constexpr auto runner_grace = std::chrono::seconds{10};

int busy_count(const job_pool_state& st) {
  return static_cast<int>(std::count_if(st.runners.begin(), st.runners.end(),
                                        [](const auto& r) { return r.busy; }));
}

int outstanding(const job_pool_state& st) {
  return static_cast<int>(st.reserved.size() + st.live.size() + st.backfill.size())
         + busy_count(st);
}

int limit_for(const job_pool_state& st, job_lane lane) {
  const auto& s = st.settings;
  auto backfill_capacity = std::max(1, s.queue_capacity - s.queue_capacity / 4);
  return s.max_size + (lane == job_lane::live ? s.queue_capacity : backfill_capacity);
}

void spawn_runner(pool_ptr self) {
  auto hdl = self->spawn<caf::detached>(job_runner, self->state.settings.make_job,
                                        self->state.settings.metrics);
  self->state.runners.push_back({hdl, false});
}

/// Tells deferred advertisers, live first, that places are free again: as
/// many as there are free places; one that loses the race is deferred again.
void wake_waiting(pool_ptr self) {
  auto& st = self->state;
  auto woken = 0;
  for (auto lane : {job_lane::live, job_lane::backfill}) {
    auto& waiting = lane == job_lane::live ? st.waiting_live : st.waiting_backfill;
    while (!waiting.empty() && outstanding(st) + woken < limit_for(st, lane)) {
      auto who = std::move(waiting.front());
      waiting.pop_front();
      // Gone from the set: it died or was woken through the other lane.
      if (st.waiting_set.erase(who->address()) == 0)
        continue;
      caf::anon_send(caf::actor_cast<advertiser_actor>(who), slot_atom_v);
      ++woken;
    }
  }
}

void release(pool_ptr self, uint64_t ticket) {
  auto& st = self->state;
  auto it = st.reserved.find(ticket);
  if (it == st.reserved.end())
    return;
  if (auto h = st.held.find(it->second.holder); h != st.held.end() && h->second == ticket)
    st.held.erase(h);
  st.reserved.erase(it);
}

void watch(pool_ptr self, const caf::strong_actor_ptr& who) {
  if (who && self->state.watched.insert(who->address()).second)
    self->monitor(who);
}

/// A requester died: its place and its wait are given up.
void forget(pool_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  st.watched.erase(who);
  st.waiting_set.erase(who);
  if (auto h = st.held.find(who); h != st.held.end())
    release(self, h->second);
  wake_waiting(self);
}

void dispatch(pool_ptr self);

/// Jobs and deferred advertisers ahead of `id` (whose actor is `who`): live
/// jobs run before backfill ones, and a deferred advertiser waits behind the
/// queued jobs of its lane and the advertisers deferred before it.
int64_t position_of(const job_pool_state& st, const std::string& id, const caf::actor_addr& who) {
  auto index_in = [&](const std::deque<job_pool_state::queued_job>& lane) -> int64_t {
    for (size_t i = 0; i < lane.size(); ++i)
      if (lane[i].request.advertiser_id == id)
        return static_cast<int64_t>(i);
    return -1;
  };
  auto live = static_cast<int64_t>(st.live.size());
  if (auto i = index_in(st.live); i >= 0)
    return i;
  if (auto i = index_in(st.backfill); i >= 0)
    return live + i;
  if (!st.waiting_set.count(who))
    return -1;
  auto waiting_before = [&](const std::deque<caf::strong_actor_ptr>& lane) -> int64_t {
    int64_t n = 0;
    for (const auto& w : lane) {
      if (w->address() == who)
        return n;
      n += st.waiting_set.count(w->address()) > 0 ? 1 : 0;
    }
    return -1;
  };
  if (auto i = waiting_before(st.waiting_live); i >= 0)
    return live + i;
  auto backfill_waiting = waiting_before(st.waiting_backfill);
  if (backfill_waiting < 0)
    return -1;
  int64_t deferred_live = 0;
  for (const auto& w : st.waiting_live)
    deferred_live += st.waiting_set.count(w->address()) > 0 ? 1 : 0;
  return live + static_cast<int64_t>(st.backfill.size()) + deferred_live + backfill_waiting;
}

void finish(pool_ptr self, const job_runner_actor& runner) {
  auto& st = self->state;
  auto it = std::find_if(st.runners.begin(), st.runners.end(),
                         [&](const auto& r) { return r.handle == runner; });
  if (it != st.runners.end()) {
    it->busy = false;
    bool surplus = static_cast<int>(st.runners.size()) > st.settings.core_size;
    if (surplus && st.live.empty() && st.backfill.empty()) {
      self->send_exit(it->handle, caf::exit_reason::user_shutdown);
      st.runners.erase(it);
    }
  }
  ++st.jobs_done;
  dispatch(self);
  wake_waiting(self);
}

void abandon(pool_ptr self, const job_runner_actor& runner) {
  auto& st = self->state;
  // Its thread may be stuck in the job: it dies once the job returns.
  self->send_exit(runner, caf::exit_reason::kill);
  st.settings.metrics->job_abandoned();
  st.runners.erase(std::remove_if(st.runners.begin(), st.runners.end(),
                                  [&](const auto& r) { return r.handle == runner; }),
                   st.runners.end());
  while (static_cast<int>(st.runners.size()) < st.settings.core_size)
    spawn_runner(self);
}

void dispatch(pool_ptr self) {
  auto& st = self->state;
  while (!st.live.empty() || !st.backfill.empty()) {
    auto idle = std::find_if(st.runners.begin(), st.runners.end(),
                             [](const auto& r) { return !r.busy; });
    if (idle == st.runners.end()) {
      if (static_cast<int>(st.runners.size()) >= st.settings.max_size)
        return;
      spawn_runner(self);
      idle = std::prev(st.runners.end());
    }
    auto& lane = st.live.empty() ? st.backfill : st.live;
    auto job = std::move(lane.front());
    lane.pop_front();
    idle->busy = true;
    auto runner = idle->handle;
    auto deadline = job.request.timeout + runner_grace;
    self->request(runner, deadline, job.request)
      .then(
        [=](job_result& result) mutable {
          job.promise.deliver(std::move(result));
          finish(self, runner);
        },
        [=](caf::error& err) mutable {
          spdlog::error("[advertiser={} month={}] job runner gave no answer within {}: {}",
                        job.request.advertiser_id, job.request.month.to_string(),
                        format_duration(deadline), self->system().render(err));
          job.promise.deliver(job_result{false, 0, 0,
                                         "job did not finish within " + format_duration(deadline)});
          abandon(self, runner);
          ++self->state.jobs_done;
          dispatch(self);
          wake_waiting(self);
        });
  }
}

} // namespace

job_pool_actor::behavior_type
job_pool(job_pool_actor::stateful_pointer<job_pool_state> self, job_pool_settings settings) {
  self->state.settings = std::move(settings);
  for (int i = 0; i < self->state.settings.core_size; ++i)
    spawn_runner(self);
  self->set_down_handler([=](caf::down_msg& dm) { forget(self, dm.source); });
  self->set_exit_handler([=](caf::exit_msg& em) {
    for (auto& r : self->state.runners)
      self->send_exit(r.handle, em.reason);
    self->quit(em.reason);
  });
  return {
    [=](reserve_atom, job_lane lane) -> caf::result<uint64_t> {
      auto& st = self->state;
      auto sender = self->current_sender();
      if (!sender)
        return to_caf_error(make_failure(errc::invalid_argument, "anonymous reserve"));
      watch(self, sender);
      auto who = sender->address();
      if (auto h = st.held.find(who); h != st.held.end())
        release(self, h->second);
      if (outstanding(st) >= limit_for(st, lane)) {
        ++st.deferrals;
        if (st.waiting_set.insert(who).second)
          (lane == job_lane::live ? st.waiting_live : st.waiting_backfill).push_back(sender);
        return to_caf_error(make_failure(errc::queue_full, "the job queue is full"));
      }
      st.waiting_set.erase(who);
      auto ticket = st.next_ticket++;
      st.reserved.emplace(ticket, job_pool_state::reservation{lane, who});
      st.held[who] = ticket;
      return ticket;
    },
    [=](run_atom, uint64_t ticket, job_request& request) -> caf::result<job_result> {
      auto& st = self->state;
      auto lane = job_lane::backfill;
      if (auto it = st.reserved.find(ticket); it != st.reserved.end()) {
        lane = it->second.lane;
        release(self, ticket);
      }
      auto promise = self->make_response_promise<job_result>();
      (lane == job_lane::live ? st.live : st.backfill)
        .push_back({ticket, std::move(request), promise});
      dispatch(self);
      return promise;
    },
    [=](release_atom, uint64_t ticket) {
      release(self, ticket);
      wake_waiting(self);
    },
    [=](stats_atom) {
      const auto& st = self->state;
      pool_stats s;
      s.core_size = st.settings.core_size;
      s.max_size = st.settings.max_size;
      s.queue_capacity = st.settings.queue_capacity;
      s.runners = static_cast<int>(st.runners.size());
      s.busy = busy_count(st);
      s.queued_live = static_cast<int>(st.live.size());
      s.queued_backfill = static_cast<int>(st.backfill.size());
      s.reserved = static_cast<int>(st.reserved.size());
      s.jobs_done = st.jobs_done;
      s.deferrals = st.deferrals;
      return s;
    },
    [=](position_atom, const std::string& id) -> int64_t {
      auto sender = self->current_sender();
      return position_of(self->state, id, sender ? sender->address() : caf::actor_addr{});
    },
  };
}

} // namespace cdp
