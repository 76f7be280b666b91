#include "actors/job_queue.hpp"

#include <algorithm>
#include <cmath>

namespace cdp {

namespace {

int at_least_share(double share, int of) {
  return share <= 0.0 ? 0 : std::max(1, static_cast<int>(std::ceil(share * of)));
}

} // namespace

job_queue::job_queue(job_queue_settings settings) : settings_(settings) {}

int job_queue::total_places() const {
  return settings_.max_runners + settings_.queue_capacity;
}

bool job_queue::can_place(job_lane l) const {
  auto total = total_places();
  auto held = live_.places + backfill_.places;
  if (held >= total)
    return false;
  if (l == job_lane::backfill) {
    // Live months always find room: backfill gets three quarters of the queue.
    auto cap = settings_.queue_capacity;
    return backfill_.places < settings_.max_runners + std::max(1, cap - cap / 4);
  }
  // A backfill with waiting work keeps its share of the places.
  auto floor = at_least_share(settings_.backfill_share, total);
  auto kept = backfill_.waiting > 0 ? std::max(0, floor - backfill_.places) : 0;
  return held + kept < total;
}

bool job_queue::admit(job_lane l, const advertiser_actor& who) {
  auto id = who.id();
  std::lock_guard guard{mutex_};
  auto& lane_ = lane(l);
  if (auto it = holdings_.find(id); it != holdings_.end())
    return it->second.now != holding::state::waiting;
  if (lane_.waiting == 0 && can_place(l)) {
    ++lane_.places;
    holdings_.emplace(id, holding{holding::state::placed, l, 0});
    return true;
  }
  auto seq = lane_.next_wait_seq++;
  lane_.line.push_back({id, who, seq});
  ++lane_.waiting;
  ++deferrals_;
  holdings_.emplace(id, holding{holding::state::waiting, l, seq});
  return false;
}

bool job_queue::admit_now(job_lane l, caf::actor_id who) {
  std::lock_guard guard{mutex_};
  auto& lane_ = lane(l);
  if (holdings_.count(who) || lane_.waiting > 0 || !can_place(l))
    return false;
  ++lane_.places;
  holdings_.emplace(who, holding{holding::state::placed, l, 0});
  return true;
}

void job_queue::cancel(caf::actor_id who) {
  std::lock_guard guard{mutex_};
  auto it = holdings_.find(who);
  // A place granted meanwhile comes back through `release` once its
  // `slot_atom` arrives.
  if (it == holdings_.end() || it->second.now != holding::state::waiting)
    return;
  --lane(it->second.lane).waiting;
  holdings_.erase(it);
}

void job_queue::release(caf::actor_id who) {
  std::vector<advertiser_actor> notify;
  {
    std::lock_guard guard{mutex_};
    auto it = holdings_.find(who);
    if (it == holdings_.end() || it->second.now != holding::state::placed)
      return;
    auto l = it->second.lane;
    holdings_.erase(it);
    free_place(l, notify);
  }
  tell(notify);
}

void job_queue::push(queued_job job) {
  std::lock_guard guard{mutex_};
  auto& lane_ = lane(job.lane);
  auto seq = lane_.next_job_seq++;
  auto [it, fresh] = holdings_.try_emplace(job.owner_id, holding{});
  if (fresh || it->second.now != holding::state::placed)
    ++lane_.places; // not admitted first: counted, never refused
  it->second = holding{holding::state::queued, job.lane, seq};
  lane_.jobs.push_back({std::move(job), seq});
  ++lane_.queued_count;
  if (idle_runners_ > 0)
    work_.notify_one();
}

void job_queue::drop_front_dead(lane_state& l) {
  while (!l.jobs.empty()) {
    const auto& front = l.jobs.front();
    auto it = holdings_.find(front.job.owner_id);
    if (it != holdings_.end() && it->second.now == holding::state::queued
        && it->second.seq == front.seq)
      return;
    l.jobs.pop_front();
  }
}

std::optional<job_queue::queued> job_queue::take_job_locked() {
  drop_front_dead(live_);
  drop_front_dead(backfill_);
  bool live_waits = !live_.jobs.empty();
  bool backfill_waits = !backfill_.jobs.empty();
  if (!live_waits && !backfill_waits)
    return std::nullopt;
  bool backfill_first = backfill_waits;
  if (live_waits && backfill_waits) {
    // Live first, except that a backfill keeps its share: of the runners
    // (whole ones), and of the jobs started while both lanes wait (so one
    // runner still gives it every fourth job at 0.25).
    auto share = settings_.backfill_share;
    auto runners_owed = static_cast<int>(std::floor(share * runners_alive_));
    backfill_first = backfill_.busy < runners_owed
                     || static_cast<double>(contended_backfill_)
                          < share * static_cast<double>(contended_ + 1);
    ++contended_;
    contended_backfill_ += backfill_first;
  }
  auto& from = backfill_first ? backfill_ : live_;
  auto next = std::move(from.jobs.front());
  from.jobs.pop_front();
  --from.queued_count;
  holdings_[next.job.owner_id].now = holding::state::running;
  ++from.busy;
  return next;
}

job_queue::popped job_queue::pop(uint64_t runner, std::chrono::milliseconds idle_limit,
                                 int keep_runners) {
  std::unique_lock guard{mutex_};
  auto deadline = std::chrono::steady_clock::now() + idle_limit;
  for (;;) {
    if (closed_)
      return {popped::kind::closed, std::nullopt};
    if (auto next = take_job_locked()) {
      auto& slot = runners_[runner];
      slot.busy = true;
      slot.since = std::chrono::steady_clock::now();
      slot.job = next->job;
      return {popped::kind::job, std::move(next->job)};
    }
    ++idle_runners_;
    auto woke = work_.wait_until(guard, deadline);
    --idle_runners_;
    if (woke == std::cv_status::timeout && !closed_) {
      if (runners_alive_ > keep_runners) {
        runners_.erase(runner);
        --runners_alive_;
        return {popped::kind::retire, std::nullopt};
      }
      return {popped::kind::idle, std::nullopt};
    }
  }
}

void job_queue::end_job_locked(runner_slot& slot, std::vector<advertiser_actor>& notify) {
  auto& job = *slot.job;
  auto& lane_ = lane(job.lane);
  --lane_.busy;
  ++lane_.done;
  if (auto it = holdings_.find(job.owner_id);
      it != holdings_.end() && it->second.now == holding::state::running)
    holdings_.erase(it);
  free_place(job.lane, notify);
}

bool job_queue::finish(uint64_t runner) {
  std::vector<advertiser_actor> notify;
  bool theirs = false;
  {
    std::lock_guard guard{mutex_};
    auto it = runners_.find(runner);
    if (it != runners_.end() && !it->second.abandoned) {
      theirs = true;
      auto& slot = it->second;
      if (slot.job)
        end_job_locked(slot, notify);
      slot.busy = false;
      slot.job.reset();
    }
  }
  tell(notify);
  return theirs;
}

std::optional<uint64_t> job_queue::add_runner() {
  std::lock_guard guard{mutex_};
  growing_ = false;
  if (runners_alive_ >= settings_.max_runners || closed_)
    return std::nullopt;
  auto id = next_runner_++;
  runners_.emplace(id, runner_slot{});
  ++runners_alive_;
  return id;
}

std::optional<queued_job> job_queue::remove_runner(uint64_t runner) {
  std::vector<advertiser_actor> notify;
  std::optional<queued_job> lost;
  {
    std::lock_guard guard{mutex_};
    auto it = runners_.find(runner);
    if (it == runners_.end())
      return std::nullopt;
    auto& slot = it->second;
    if (!slot.abandoned) {
      --runners_alive_;
      if (slot.busy && slot.job) {
        lost = slot.job;
        end_job_locked(slot, notify);
      }
    }
    runners_.erase(it);
  }
  tell(notify);
  return lost;
}

bool job_queue::wants_runner() {
  std::lock_guard guard{mutex_};
  if (growing_ || idle_runners_ > 0 || closed_)
    return false;
  if (live_.queued_count + backfill_.queued_count == 0)
    return false;
  if (runners_alive_ >= settings_.max_runners)
    return false;
  growing_ = true;
  return true;
}

std::vector<job_queue::stuck_job>
job_queue::abandon_stuck(std::chrono::steady_clock::time_point now,
                         std::chrono::milliseconds limit) {
  std::vector<stuck_job> stuck;
  std::vector<advertiser_actor> notify;
  {
    std::lock_guard guard{mutex_};
    for (auto& [id, slot] : runners_) {
      if (slot.abandoned || !slot.busy || !slot.job || now - slot.since < limit)
        continue;
      slot.abandoned = true;
      --runners_alive_;
      stuck.push_back({id, *slot.job});
      end_job_locked(slot, notify);
    }
  }
  tell(notify);
  return stuck;
}

void job_queue::forget(caf::actor_id who) {
  std::vector<advertiser_actor> notify;
  {
    std::lock_guard guard{mutex_};
    auto it = holdings_.find(who);
    if (it == holdings_.end())
      return;
    auto h = it->second;
    holdings_.erase(it);
    auto& lane_ = lane(h.lane);
    switch (h.now) {
      case holding::state::waiting:
        --lane_.waiting;
        break;
      case holding::state::queued:
        // Its entry is skipped when it reaches the front.
        --lane_.queued_count;
        free_place(h.lane, notify);
        break;
      case holding::state::placed:
        free_place(h.lane, notify);
        break;
      case holding::state::running:
        // The runner frees the place when the job returns.
        break;
    }
  }
  tell(notify);
}

int64_t job_queue::ahead(caf::actor_id who) const {
  std::lock_guard guard{mutex_};
  auto it = holdings_.find(who);
  if (it == holdings_.end())
    return -1;
  const auto& h = it->second;
  const auto& lane_ = lane(h.lane);
  switch (h.now) {
    case holding::state::waiting: {
      auto first = lane_.line.empty() ? h.seq : lane_.line.front().seq;
      return static_cast<int64_t>(h.seq - first) + lane_.queued_count;
    }
    case holding::state::queued: {
      auto first = lane_.jobs.empty() ? h.seq : lane_.jobs.front().seq;
      return static_cast<int64_t>(h.seq - first);
    }
    case holding::state::placed:
    case holding::state::running:
      return -1;
  }
  return -1;
}

void job_queue::count_coalesced() {
  std::lock_guard guard{mutex_};
  ++coalesced_;
}

job_queue::load job_queue::snapshot() const {
  std::lock_guard guard{mutex_};
  load out;
  out.runners = runners_alive_;
  out.busy = live_.busy + backfill_.busy;
  out.busy_backfill = backfill_.busy;
  out.queued_live = live_.queued_count;
  out.queued_backfill = backfill_.queued_count;
  out.waiting_live = live_.waiting;
  out.waiting_backfill = backfill_.waiting;
  out.reserved = live_.places + backfill_.places - out.busy - out.queued_live
                 - out.queued_backfill;
  out.jobs_done = live_.done + backfill_.done;
  out.jobs_done_backfill = backfill_.done;
  out.deferrals = deferrals_;
  out.coalesced = coalesced_;
  return out;
}

void job_queue::close() {
  {
    std::lock_guard guard{mutex_};
    closed_ = true;
  }
  work_.notify_all();
}

void job_queue::free_place(job_lane l, std::vector<advertiser_actor>& notify) {
  --lane(l).places;
  grant(notify);
}

bool job_queue::grant_one(job_lane l, std::vector<advertiser_actor>& notify) {
  auto& lane_ = lane(l);
  while (!lane_.line.empty()) {
    auto next = std::move(lane_.line.front());
    lane_.line.pop_front();
    auto it = holdings_.find(next.id);
    if (it == holdings_.end() || it->second.now != holding::state::waiting
        || it->second.seq != next.seq)
      continue; // gave up or gone
    --lane_.waiting;
    ++lane_.places;
    it->second.now = holding::state::placed;
    notify.push_back(std::move(next.who));
    return true;
  }
  return false;
}

void job_queue::grant(std::vector<advertiser_actor>& notify) {
  auto floor = at_least_share(settings_.backfill_share, total_places());
  for (;;) {
    bool backfill_owed = backfill_.waiting > 0 && backfill_.places < floor;
    if (backfill_owed && can_place(job_lane::backfill)
        && grant_one(job_lane::backfill, notify))
      continue;
    if (live_.waiting > 0 && can_place(job_lane::live) && grant_one(job_lane::live, notify))
      continue;
    if (backfill_.waiting > 0 && can_place(job_lane::backfill)
        && grant_one(job_lane::backfill, notify))
      continue;
    return;
  }
}

void job_queue::tell(std::vector<advertiser_actor>& notify) {
  for (auto& who : notify)
    caf::anon_send(who, slot_atom_v);
}

} // namespace cdp
