#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "actors/interfaces.hpp"
#include "jobs/month_job.hpp"

namespace cdp {

/// The sizes of the runners' queue.
struct job_queue_settings {
  /// Runners the pool may have (batch.thread-pool.max-size).
  int max_runners = 20;
  /// Claimed jobs that may wait for a runner (batch.thread-pool.queue-capacity).
  int queue_capacity = 100;
  /// batch.backfill_share.
  double backfill_share = 0.25;
};

/// One claimed month, waiting for a runner or running on one.
struct queued_job {
  job_request request;
  /// Its advertiser's actor, told the result.
  advertiser_actor owner;
  caf::actor_id owner_id = 0;
  /// The claim's token: a result is the owner's only while it holds it.
  int64_t lease_token = 0;
  job_lane lane = job_lane::live;
};

/// The job runners' queue, shared by the advertiser actors (who put claimed
/// jobs in), the runners (who pull them out) and the pool (who watches): no
/// actor stands between a job and a runner, and a place in the queue is a
/// counter, not a round trip.
///
/// Places: an advertiser needs one before it claims a month, and its job
/// keeps it until it ends, so at most `max_runners + queue_capacity` months
/// are claimed and not yet done. Backfill advertisers may hold at most
/// three quarters of the queue's places beyond the runners (live months
/// always find room); live advertisers leave a backfill with waiting work at
/// least `backfill_share` of all places. When none is free the advertiser
/// waits in line and gets `slot_atom` with the place when one frees up
/// (deferred, never dropped; a place goes to the first in line, never to
/// someone who did not wait).
///
/// Runners take live jobs first, except that a backfill with queued jobs
/// always has at least `backfill_share` of the runners, and of the jobs
/// started while both lanes wait.
///
/// Thread-safe: advertisers call it on scheduler threads, runners on their
/// own. Every call holds one mutex for a few map and deque operations.
class job_queue {
public:
  explicit job_queue(job_queue_settings settings);
  job_queue(const job_queue&) = delete;
  job_queue& operator=(const job_queue&) = delete;

  /// A place for `who`: true when it has one now; false when it waits in
  /// line (it then gets `slot_atom` holding the place, or nothing if it
  /// cancels first).
  bool admit(job_lane lane, const advertiser_actor& who);
  /// A place for `who` only if one is free and nobody waits in its lane:
  /// for the next month's claim written with an outcome.
  bool admit_now(job_lane lane, caf::actor_id who);
  /// `who` no longer waits for a place.
  void cancel(caf::actor_id who);
  /// Gives back a place `who` holds and will not use.
  void release(caf::actor_id who);
  /// The claimed job takes the place its owner holds; a runner takes it.
  void push(queued_job job);

  /// What a runner gets from `pop`.
  struct popped {
    enum class kind : uint8_t {
      /// Run `job`.
      job,
      /// Nothing came within the wait; look again.
      idle,
      /// Nothing came and more than `keep_runners` runners exist: this one ends.
      retire,
      /// The queue closed: the runner ends.
      closed,
    };
    kind what = kind::idle;
    std::optional<queued_job> job;
  };
  /// Runner `runner`: the next job, waiting at most `idle_limit` for one.
  popped pop(uint64_t runner, std::chrono::milliseconds idle_limit, int keep_runners);
  /// Runner `runner` finished its job: its place frees up. False when the
  /// pool gave up on the runner meanwhile: the result is nobody's.
  bool finish(uint64_t runner);

  /// The id of a new runner, or nullopt when `max_runners` exist.
  std::optional<uint64_t> add_runner();
  /// The runner ended. Its job, if it died running one it was not given up
  /// on: the job's place is freed and the caller fails the attempt.
  std::optional<queued_job> remove_runner(uint64_t runner);
  /// Whether one more runner would help: every runner is busy, jobs wait
  /// and no runner is on its way already. True means "start one now".
  bool wants_runner();

  /// A job that has run longer than `limit`: the pool gives up on its
  /// runner, frees the job's place and tells the owner. The runner's own
  /// result is ignored when it comes (see `finish`).
  struct stuck_job {
    uint64_t runner;
    queued_job job;
  };
  std::vector<stuck_job> abandon_stuck(std::chrono::steady_clock::time_point now,
                                       std::chrono::milliseconds limit);

  /// Places for claimed months: runners and queue capacity.
  int total_places() const;
  /// The actor `who` ended: its wait, its place and its queued job go.
  void forget(caf::actor_id who);

  /// Jobs ahead of `who`'s job (or of its place in line) in its lane; -1
  /// when its job runs or it has nothing here.
  int64_t ahead(caf::actor_id who) const;

  /// A refresh asked for while the same month was queued or running.
  void count_coalesced();

  struct load {
    int runners = 0;
    int busy = 0;
    int busy_backfill = 0;
    int queued_live = 0;
    int queued_backfill = 0;
    int waiting_live = 0;
    int waiting_backfill = 0;
    /// Places held by advertisers whose job is not queued yet.
    int reserved = 0;
    int64_t jobs_done = 0;
    int64_t jobs_done_backfill = 0;
    int64_t deferrals = 0;
    int64_t coalesced = 0;
  };
  load snapshot() const;

  /// Wakes every runner; no job is handed out any more.
  void close();

private:
  /// What an advertiser has here: one thing at a time, its months run in order.
  struct holding {
    enum class state : uint8_t { waiting, placed, queued, running };
    state now = state::waiting;
    job_lane lane = job_lane::live;
    /// Its position: in line while waiting, in its lane's jobs while queued.
    uint64_t seq = 0;
  };
  struct waiter {
    caf::actor_id id;
    advertiser_actor who;
    uint64_t seq;
  };
  struct queued {
    queued_job job;
    uint64_t seq;
  };
  struct lane_state {
    std::deque<waiter> line;
    std::deque<queued> jobs;
    /// Places held (placed, queued or running).
    int places = 0;
    int waiting = 0;
    /// Jobs in `jobs` whose owner still waits for them.
    int queued_count = 0;
    int busy = 0;
    uint64_t next_wait_seq = 0;
    uint64_t next_job_seq = 0;
    int64_t done = 0;
  };
  struct runner_slot {
    bool busy = false;
    bool abandoned = false;
    std::chrono::steady_clock::time_point since{};
    std::optional<queued_job> job;
  };

  lane_state& lane(job_lane l) { return l == job_lane::live ? live_ : backfill_; }
  const lane_state& lane(job_lane l) const { return l == job_lane::live ? live_ : backfill_; }
  bool can_place(job_lane l) const;
  /// Frees one place of lane `l` and hands free places to those in line;
  /// who to tell is returned, told outside the lock.
  void free_place(job_lane l, std::vector<advertiser_actor>& notify);
  void grant(std::vector<advertiser_actor>& notify);
  bool grant_one(job_lane l, std::vector<advertiser_actor>& notify);
  std::optional<queued> take_job_locked();
  /// Frees the place of the job on `slot` as if it ended.
  void end_job_locked(runner_slot& slot, std::vector<advertiser_actor>& notify);
  void drop_front_dead(lane_state& l);
  static void tell(std::vector<advertiser_actor>& notify);

  job_queue_settings settings_;
  mutable std::mutex mutex_;
  std::condition_variable work_;
  std::unordered_map<caf::actor_id, holding> holdings_;
  lane_state live_;
  lane_state backfill_;
  std::unordered_map<uint64_t, runner_slot> runners_;
  uint64_t next_runner_ = 1;
  /// Runners not given up on.
  int runners_alive_ = 0;
  int idle_runners_ = 0;
  /// A runner was asked for and is not there yet.
  bool growing_ = false;
  /// Jobs started while both lanes had jobs waiting, and how many of them
  /// were backfill ones.
  int64_t contended_ = 0;
  int64_t contended_backfill_ = 0;
  int64_t deferrals_ = 0;
  int64_t coalesced_ = 0;
  bool closed_ = false;
};

} // namespace cdp
