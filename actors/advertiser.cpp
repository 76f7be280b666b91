#include "actors/advertiser.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/duration.hpp"
#include "domain/progress.hpp"
#include "runtime/logging.hpp"

namespace cdp {

namespace {

using self_ptr = advertiser_actor::stateful_pointer<advertiser_state>;
using phase = advertiser_state::phase;
using namespace std::chrono_literals;

/// The pool answers at once unless it is swamped; the activity then goes
/// without the queue position rather than late.
constexpr auto position_timeout = std::chrono::seconds{1};

month_state* find_month(advertiser_state& st, year_month m) {
  auto it = std::find_if(st.months.begin(), st.months.end(),
                         [m](const month_state& s) { return s.month == m; });
  return it == st.months.end() ? nullptr : &*it;
}

void upsert_month(advertiser_state& st, const month_state& row) {
  if (auto* m = find_month(st, row.month)) {
    *m = row;
    return;
  }
  st.months.push_back(row);
  std::sort(st.months.begin(), st.months.end(),
            [](const auto& a, const auto& b) { return a.month < b.month; });
}

due_context context(const advertiser_state& st, const std::vector<month_state>& months,
                    bool on_tick) {
  const auto& cfg = *st.cfg;
  return due_context{st.who,         months,          cfg.clk->current_month(), cfg.clk->now(),
                     cfg.backfill_months, cfg.retry, on_tick};
}

void step(self_ptr self, bool on_tick);

/// Answers drain requests once nothing is in flight any more.
void settle(self_ptr self) {
  auto& st = self->state;
  if (!st.draining || st.now != phase::idle || st.in_flight || st.unrecorded
      || st.changes_in_flight > 0)
    return;
  for (auto& waiter : st.drain_waiters)
    waiter.deliver(true);
  st.drain_waiters.clear();
}

void arm_timer(self_ptr self, timestamp at) {
  auto& st = self->state;
  if (st.waiting)
    st.waiting->until = at;
  auto gen = ++st.timer_generation;
  auto delay = std::max(std::chrono::milliseconds{0}, at - st.cfg->clk->now());
  self->delayed_send(self, delay, retry_atom_v, gen);
}

/// The store failed us: log it, back off (1s doubling to 30s) and try again.
void store_trouble(self_ptr self, const failure& why, std::string_view doing) {
  auto& st = self->state;
  st.now = phase::idle;
  auto delay = reconnect_delay(++st.store_failures);
  spdlog::warn("[advertiser={}] {} failed: {}; trying again in {}", st.who.id, doing,
               why.message, format_duration(delay));
  st.explanation = "store trouble while " + std::string{doing} + ": " + why.message;
  st.waiting = advertiser_activity{};
  st.waiting->now = advertiser_activity::phase::store_trouble;
  arm_timer(self, st.cfg->clk->now() + delay);
  settle(self);
}

/// Rereads the months; a pending tick waits in tick_pending meanwhile.
void load(self_ptr self) {
  auto& st = self->state;
  st.now = phase::loading;
  self->request(st.cfg->reader, st.cfg->store_timeout, months_atom_v, st.who.id)
    .then(
      [=](month_list& rows) {
        auto& st = self->state;
        st.months = std::move(rows);
        st.loaded = true;
        st.store_failures = 0;
        st.now = phase::idle;
        step(self, false);
      },
      [=](caf::error& err) { store_trouble(self, from_caf_error(err), "loading months"); });
}

/// Applies a recorded outcome to the actor's copy of the store.
void apply_locally(self_ptr self, const transition& t) {
  auto& st = self->state;
  auto now = st.cfg->clk->now();
  if (const auto* c = std::get_if<complete_request>(&t)) {
    if (auto* row = find_month(st, c->month)) {
      row->status = month_status::completed;
      row->completed_at = now;
      row->processed_records = c->processed_records;
      row->failed_records = c->failed_records;
      row->error_message.clear();
      row->next_attempt_at.reset();
      row->closed = row->closed || c->closes_month;
    }
    if (!st.who.last_completed_month || *st.who.last_completed_month < c->month)
      st.who.last_completed_month = c->month;
    if (c->next_cursor)
      st.who.current_processing_month = c->next_cursor;
    if (c->backfill_done) {
      st.who.type = advertiser_type::existing;
      st.who.backfill_completed = true;
    }
  } else if (const auto* f = std::get_if<fail_request>(&t)) {
    if (auto* row = find_month(st, f->month)) {
      row->status = month_status::failed;
      row->error_message = truncate_error_message(f->error_message);
      row->next_attempt_at = f->next_attempt_at;
    }
    if (f->deactivate_reason) {
      st.who.active = false;
      st.who.deactivation_reason = *f->deactivate_reason;
    }
  }
}

void log_recorded(const advertiser_state& st, const transition& t) {
  if (const auto* c = std::get_if<complete_request>(&t)) {
    if (st.who.type == advertiser_type::new_advertiser || c->backfill_done) {
      auto p = progress_of(st.months);
      log_job(spdlog::level::info, st.who.id, c->month, "backfill progress {}/{} ({}%){}",
              p.completed_months, p.total_months, p.progress_percent,
              c->backfill_done ? ": backfill complete, advertiser is now EXISTING" : "");
    }
  } else if (const auto* f = std::get_if<fail_request>(&t)) {
    if (f->deactivate_reason)
      log_job(spdlog::level::err, st.who.id, f->month, "advertiser deactivated: {}",
              *f->deactivate_reason);
  }
}

/// Writes the pending outcome; nothing else happens until it is durable.
void record(self_ptr self) {
  auto& st = self->state;
  st.now = phase::recording;
  self->request(st.cfg->committer, st.cfg->store_timeout, transition_batch{*st.unrecorded})
    .then(
      [=](outcome_batch& out) {
        auto& st = self->state;
        st.store_failures = 0;
        auto t = std::move(*st.unrecorded);
        st.unrecorded.reset();
        st.in_flight.reset();
        st.now = phase::idle;
        if (out.empty() || !out.front().applied) {
          auto why = out.empty() ? std::string{"no outcome"} : out.front().message;
          spdlog::warn("[advertiser={}] outcome not recorded, the claim was taken over: {}",
                       st.who.id, why);
          st.loaded = false;
        } else {
          apply_locally(self, t);
          log_recorded(st, t);
        }
        step(self, false);
        settle(self);
      },
      [=](caf::error& err) { store_trouble(self, from_caf_error(err), "recording an outcome"); });
}

void on_result(self_ptr self, job_result result) {
  auto& st = self->state;
  const auto& cfg = *st.cfg;
  auto a = *st.in_flight;
  auto now = cfg.clk->now();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(now - a.started_at);
  auto* row = find_month(st, a.month);
  if (result.succeeded) {
    log_job(spdlog::level::info, st.who.id, a.month,
            "job end: COMPLETED attempt {} processed={} failed={} in {}ms", a.number,
            result.processed_records, result.failed_records, took.count());
    // What follows once this month counts as done decides cursor and promotion.
    auto after = st.months;
    for (auto& m : after)
      if (m.month == a.month)
        m.status = month_status::completed;
    auto next = decide(context(st, after, false));
    complete_request c{st.who.id, a.month, a.lease_token, result.processed_records,
                       result.failed_records, a.closes_month, std::nullopt, false};
    c.backfill_done = st.who.type == advertiser_type::new_advertiser
                      && next.what == due_decision::kind::promote;
    c.next_cursor = next.month && next.what != due_decision::kind::idle ? next.month
                                                                         : cfg.clk->current_month();
    st.unrecorded = std::move(c);
  } else {
    auto retries_used = row ? row->retry_count : 0;
    auto max_retries = row ? row->max_retries : cfg.retry.max_retries;
    fail_request f{st.who.id, a.month, a.lease_token, result.error, std::nullopt, std::nullopt};
    if (retries_used < max_retries) {
      std::uniform_real_distribution<double> unit{0.0, 1.0};
      f.next_attempt_at = now + cfg.retry.delay(retries_used + 1, unit(st.random));
      log_job(spdlog::level::warn, st.who.id, a.month,
              "job end: FAILED attempt {} in {}ms: {}; retry {} of {} at {}", a.number,
              took.count(), result.error, retries_used + 1, max_retries,
              to_iso8601(*f.next_attempt_at));
    } else {
      f.deactivate_reason = "month " + a.month.to_string() + " failed after "
                            + std::to_string(retries_used) + " retries: " + result.error;
      log_job(spdlog::level::err, st.who.id, a.month,
              "job end: FAILED attempt {} in {}ms: {}; retries exhausted", a.number,
              took.count(), result.error);
    }
    st.unrecorded = std::move(f);
  }
  record(self);
}

void run_job(self_ptr self) {
  auto& st = self->state;
  const auto& a = *st.in_flight;
  st.now = phase::running;
  st.explanation = "running " + a.month.to_string() + " (attempt " + std::to_string(a.number) + ")";
  log_job(spdlog::level::info, st.who.id, a.month, "job start: attempt {} ({})", a.number,
          to_string(a.reason));
  job_request request{st.who.id, a.month, a.number, st.cfg->job_timeout};
  // No deadline here: a job may wait in the queue for long under load, and the
  // pool answers every run, failing a job job.timeout after it started. A dead
  // pool stops the whole daemon (the engine's watchdog).
  self->request(st.cfg->pool, caf::infinite, run_atom_v, a.ticket, request)
    .then([=](job_result& result) { on_result(self, std::move(result)); },
          [=](caf::error& err) {
            on_result(self, job_result{false, 0, 0,
                                       "job runner failed: " + self->system().render(err)});
          });
}

void claim(self_ptr self, due_decision d, uint64_t ticket) {
  auto& st = self->state;
  const auto& cfg = *st.cfg;
  if (st.draining) {
    self->send(cfg.pool, release_atom_v, ticket);
    st.now = phase::idle;
    settle(self);
    return;
  }
  auto* row = find_month(st, *d.month);
  claim_request r;
  r.advertiser_id = st.who.id;
  r.month = *d.month;
  r.owner = cfg.node_id;
  r.lease_token = static_cast<int64_t>(st.random() >> 1);
  r.allow_refresh = row != nullptr && row->status == month_status::completed;
  r.create_if_missing = d.create_row;
  r.max_retries = cfg.retry.max_retries;
  st.now = phase::claiming;
  self->request(cfg.committer, cfg.store_timeout, transition_batch{r})
    .then(
      [=](outcome_batch& out) {
        auto& st = self->state;
        if (out.empty() || !out.front().applied || !out.front().row) {
          self->send(st.cfg->pool, release_atom_v, ticket);
          st.now = phase::idle;
          st.loaded = false;
          auto why = out.empty() ? std::string{"no outcome"} : out.front().message;
          spdlog::info("[advertiser={} month={}] claim lost: {}", st.who.id,
                       d.month->to_string(), why);
          st.explanation = "claim of " + d.month->to_string() + " lost: " + why;
          if (++st.lost_claims <= 3)
            step(self, false);
          settle(self);
          return;
        }
        st.lost_claims = 0;
        st.store_failures = 0;
        const auto& claimed = *out.front().row;
        upsert_month(st, claimed);
        st.in_flight = advertiser_state::attempt{*d.month,         d.reason,
                                                 d.closes_month,   r.lease_token,
                                                 ticket,           claimed.retry_count + 1,
                                                 st.cfg->clk->now()};
        run_job(self);
      },
      [=](caf::error& err) {
        self->send(self->state.cfg->pool, release_atom_v, ticket);
        store_trouble(self, from_caf_error(err), "claiming " + d.month->to_string());
      });
}

void start(self_ptr self, due_decision d, bool on_tick) {
  auto& st = self->state;
  auto lane = st.who.type == advertiser_type::new_advertiser ? job_lane::backfill : job_lane::live;
  st.now = phase::reserving;
  self->request(st.cfg->pool, st.cfg->store_timeout, reserve_atom_v, lane)
    .then([=](uint64_t ticket) { claim(self, d, ticket); },
          [=](caf::error& err) {
            auto& st = self->state;
            st.now = phase::idle;
            auto why = from_caf_error(err);
            if (why.code == errc::queue_full) {
              // The pool sends slot_atom when a place frees up; a deferred
              // refresh must still happen then.
              st.deferred = true;
              st.tick_pending = st.tick_pending || on_tick;
              st.explanation = "queued: every job runner is busy and the queue is full";
            } else {
              spdlog::error("[advertiser={}] job pool did not answer: {}", st.who.id, why.message);
              arm_timer(self, st.cfg->clk->now() + 1s);
            }
            settle(self);
          });
}

void change_activity(self_ptr self, bool active, const std::string& reason) {
  auto& st = self->state;
  st.now = phase::loading;
  self->request(st.cfg->reader, st.cfg->store_timeout, activate_atom_v, st.who.id, active, reason)
    .then(
      [=](advertiser& fresh) {
        auto& st = self->state;
        st.who = std::move(fresh);
        st.now = phase::idle;
        if (!active)
          spdlog::error("[advertiser={}] advertiser deactivated: {}", st.who.id, reason);
        step(self, false);
        settle(self);
      },
      [=](caf::error& err) { store_trouble(self, from_caf_error(err), "deactivating"); });
}

void promote(self_ptr self) {
  auto& st = self->state;
  st.now = phase::loading;
  self->request(st.cfg->reader, st.cfg->store_timeout, promote_atom_v, st.who.id)
    .then(
      [=](advertiser& fresh) {
        auto& st = self->state;
        st.who = std::move(fresh);
        st.now = phase::idle;
        spdlog::info("[advertiser={}] backfill complete: advertiser is now EXISTING", st.who.id);
        step(self, false);
      },
      [=](caf::error& err) { store_trouble(self, from_caf_error(err), "promoting"); });
}

/// A RUNNING month of this node that this actor does not run was orphaned by a
/// crashed predecessor: fail it so its retry starts now.
bool fail_orphan(self_ptr self) {
  auto& st = self->state;
  const auto& cfg = *st.cfg;
  for (const auto& m : st.months) {
    if (m.status != month_status::running || m.owner != cfg.node_id)
      continue;
    fail_request f{st.who.id, m.month, m.lease_token,
                   "interrupted: the advertiser's actor restarted while this month was running",
                   cfg.clk->now(), std::nullopt};
    if (m.retry_count >= m.max_retries) {
      f.next_attempt_at.reset();
      f.deactivate_reason = "month " + m.month.to_string() + " interrupted after "
                            + std::to_string(m.retry_count) + " retries";
    }
    log_job(spdlog::level::warn, st.who.id, m.month, "failing orphaned RUNNING attempt");
    st.unrecorded = std::move(f);
    record(self);
    return true;
  }
  return false;
}

advertiser_activity activity_of(const advertiser_state& st) {
  using shown = advertiser_activity::phase;
  advertiser_activity a;
  if (st.now == phase::idle && st.waiting)
    a = *st.waiting;
  a.advertiser_id = st.who.id;
  a.explanation = st.explanation;
  if (a.max_attempts == 0)
    a.max_attempts = st.cfg->retry.max_retries + 1;
  if (st.in_flight) {
    a.month = st.in_flight->month;
    a.attempt = st.in_flight->number;
    a.since = st.in_flight->started_at;
  }
  switch (st.now) {
    case phase::idle:
      if (st.deferred)
        a.now = shown::queued;
      else if (!st.waiting)
        a.now = st.draining ? shown::draining : st.who.active ? shown::idle : shown::inactive;
      break;
    case phase::loading: a.now = shown::loading; break;
    case phase::reserving: a.now = shown::queued; break;
    case phase::claiming:
    case phase::recording: a.now = shown::recording; break;
    case phase::running: a.now = shown::running; break;
  }
  return a;
}

/// The pool's word on where this advertiser's job waits: a claimed month
/// whose job has no runner yet, or a deferred advertiser, is queued.
caf::result<advertiser_activity> activity_with_position(self_ptr self) {
  using shown = advertiser_activity::phase;
  auto a = activity_of(self->state);
  if (a.now != shown::queued && a.now != shown::running)
    return a;
  auto promise = self->make_response_promise<advertiser_activity>();
  self->request(self->state.cfg->pool, position_timeout, position_atom_v, self->state.who.id)
    .then(
      [=](int64_t ahead) mutable {
        if (ahead >= 0) {
          a.now = shown::queued;
          a.ahead = ahead;
        }
        promise.deliver(std::move(a));
      },
      [=](caf::error&) mutable { promise.deliver(std::move(a)); });
  return promise;
}

/// An operator's manual retry, written by this actor so its copy of the
/// months follows; a backoff timer of the old attempt is void from now on.
caf::result<month_state> operator_retry(self_ptr self, year_month month) {
  auto& st = self->state;
  auto promise = self->make_response_promise<month_state>();
  ++st.changes_in_flight;
  self->request(st.cfg->reader, st.cfg->store_timeout, retry_atom_v, st.who.id, month)
    .then(
      [=](month_state& row) mutable {
        auto& st = self->state;
        --st.changes_in_flight;
        log_job(spdlog::level::info, st.who.id, month, "manual retry: retry count reset, runs now");
        ++st.timer_generation;
        st.loaded = false;
        step(self, true);
        settle(self);
        promise.deliver(std::move(row));
      },
      [=](caf::error& err) mutable {
        --self->state.changes_in_flight;
        settle(self);
        promise.deliver(std::move(err));
      });
  return promise;
}

/// An operator's switch. Deactivating takes effect here at once (no claim
/// after this message), activating once the store has it.
caf::result<advertiser> operator_activate(self_ptr self, bool active, std::string reason) {
  auto& st = self->state;
  auto before = st.who;
  if (!active) {
    st.who.active = false;
    st.who.deactivation_reason = reason;
  }
  auto promise = self->make_response_promise<advertiser>();
  ++st.changes_in_flight;
  self->request(st.cfg->reader, st.cfg->store_timeout, activate_atom_v, st.who.id, active, reason)
    .then(
      [=](advertiser& fresh) mutable {
        auto& st = self->state;
        --st.changes_in_flight;
        st.who.active = fresh.active;
        st.who.deactivation_reason = fresh.deactivation_reason;
        st.who.updated_at = fresh.updated_at;
        spdlog::info("[advertiser={}] {} by an operator{}", st.who.id,
                     active ? "activated" : "deactivated", active ? "" : ": " + reason);
        ++st.timer_generation;
        step(self, true);
        settle(self);
        promise.deliver(std::move(fresh));
      },
      [=](caf::error& err) mutable {
        auto& st = self->state;
        --st.changes_in_flight;
        settle(self);
        st.who.active = before.active;
        st.who.deactivation_reason = before.deactivation_reason;
        promise.deliver(std::move(err));
      });
  return promise;
}

void step(self_ptr self, bool on_tick) {
  auto& st = self->state;
  if (st.now != phase::idle) {
    st.tick_pending = st.tick_pending || on_tick;
    return;
  }
  on_tick = on_tick || std::exchange(st.tick_pending, false);
  st.waiting.reset();
  st.deferred = false;
  if (st.unrecorded) {
    record(self);
    return;
  }
  if (st.draining) {
    st.explanation = "draining: takes no new work";
    settle(self);
    return;
  }
  if (!st.loaded) {
    st.tick_pending = on_tick;
    load(self);
    return;
  }
  if (fail_orphan(self))
    return;
  auto d = decide(context(st, st.months, on_tick));
  st.explanation = d.explanation;
  using kind = due_decision::kind;
  switch (d.what) {
    case kind::run:
      start(self, std::move(d), on_tick);
      break;
    case kind::wait: {
      st.explanation += " at " + to_iso8601(d.wait_until);
      st.waiting = advertiser_activity{};
      st.waiting->now = advertiser_activity::phase::backoff;
      st.waiting->month = d.month;
      if (const auto* row = find_month(st, *d.month)) {
        st.waiting->attempt = row->retry_count + 2;
        st.waiting->max_attempts = row->max_retries + 1;
      }
      arm_timer(self, d.wait_until);
      break;
    }
    case kind::exhausted:
      change_activity(self, false, d.explanation);
      break;
    case kind::promote:
      promote(self);
      break;
    case kind::in_flight:
      // Another node (or a lost reply) holds it: look again on the next tick.
      st.loaded = false;
      break;
    case kind::idle:
    case kind::inactive:
      break;
  }
}

} // namespace

advertiser_actor::behavior_type
advertiser_agent(advertiser_actor::stateful_pointer<advertiser_state> self,
                 std::shared_ptr<const advertiser_settings> cfg, advertiser who) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.who = std::move(who);
  st.random.seed(std::random_device{}());
  return {
    [=](due_atom, const advertiser& fresh) {
      auto& st = self->state;
      // Only the operator's switch comes from the director's snapshot; the
      // rest this actor keeps more current than any snapshot. A snapshot read
      // before an operator's switch reached this actor is older than it.
      if (fresh.updated_at >= st.who.updated_at) {
        st.who.active = fresh.active;
        st.who.deactivation_reason = fresh.deactivation_reason;
      }
      step(self, true);
    },
    [=](slot_atom) {
      auto& st = self->state;
      if (st.now == phase::idle)
        step(self, false);
      // A wake-up this actor does not use (busy, or nothing due) goes back,
      // so the pool wakes the next advertiser instead of leaving the place idle.
      if (self->state.now != phase::reserving)
        self->send(self->state.cfg->pool, release_atom_v, uint64_t{0});
    },
    [=](reload_atom) {
      self->state.loaded = false;
      step(self, false);
    },
    [=](reaped_atom, year_month month) {
      auto& st = self->state;
      if (st.in_flight && st.in_flight->month == month)
        return; // its outcome will find the lease gone and reread
      st.loaded = false;
      step(self, false);
    },
    [=](retry_atom, year_month month) { return operator_retry(self, month); },
    [=](activate_atom, bool active, std::string& reason) {
      return operator_activate(self, active, std::move(reason));
    },
    [=](activity_atom) { return activity_with_position(self); },
    [=](drain_atom) -> caf::result<bool> {
      auto& st = self->state;
      st.draining = true;
      if (st.now == phase::idle && !st.in_flight && !st.unrecorded && st.changes_in_flight == 0)
        return true;
      auto promise = self->make_response_promise<bool>();
      st.drain_waiters.push_back(promise);
      return promise;
    },
    [=](retry_atom, uint64_t generation) {
      if (generation == self->state.timer_generation)
        step(self, false);
    },
  };
}

} // namespace cdp
