#include "actors/advertiser.hpp"

#include <algorithm>
#include <exception>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "actors/hibernation.hpp"
#include "domain/duration.hpp"
#include "runtime/logging.hpp"

namespace cdp {

namespace {

using self_ptr = advertiser_actor::stateful_pointer<advertiser_state>;
using input = advertiser_input;
using command = advertiser_command;

job_lane lane_of(const advertiser_state& st) {
  return st.who.type == advertiser_type::new_advertiser ? job_lane::backfill : job_lane::live;
}

/// How long a claim or an outcome waits for its committer: until it answers.
/// The committer always does, within the store's statement timeout (or it
/// dies, which stops the daemon), and giving up earlier would let a claim
/// commit after its advertiser counted it as failed. CAF 0.17 also keeps a
/// request's timeout in its clock until it expires, answered or not: at
/// thousands of commits a second those piled up to 100 MB for 60 s.
constexpr auto commit_wait = caf::infinite;

const committer_actor& committer_of(const advertiser_state& st) {
  return committer_for(*st.cfg, st.who.id);
}

advertiser_actor handle_of(self_ptr self) {
  return caf::actor_cast<advertiser_actor>(self);
}

void feed(self_ptr self, advertiser_event e);
void feed(self_ptr self, input what) { feed(self, advertiser_event{what}); }

/// The one wake-up: a later one than already pending is not armed, since
/// the earlier one decides again anyway.
void arm_timer(self_ptr self, timestamp at) {
  auto& st = self->state;
  if (st.wake_at && *st.wake_at <= at)
    return;
  st.wake_at = at;
  auto gen = ++st.timer_generation;
  auto delay = std::max(std::chrono::milliseconds{0}, at - st.cfg->clk->now());
  self->delayed_send(self, delay, retry_atom_v, gen);
}

/// The store failed a step: say so, and let the phases back off.
void store_trouble(self_ptr self, const caf::error& err, std::string_view doing) {
  auto& st = self->state;
  auto delay = reconnect_delay(st.machine.store_failures + 1);
  spdlog::warn("[advertiser={}] {} failed: {}; trying again in {}", st.who.id, doing,
               from_caf_error(err).message, format_duration(delay));
  feed(self, input::store_failed);
}

/// Answers drain requests once nothing is in flight any more.
void settle(self_ptr self) {
  auto& st = self->state;
  if (!st.machine.draining || busy(st.machine) || st.changes_in_flight > 0)
    return;
  for (auto& waiter : st.drain_waiters)
    waiter.deliver(true);
  st.drain_waiters.clear();
}

claim_request claim_for(advertiser_state& st, const advertiser_state::plan& p) {
  claim_request r;
  r.advertiser_id = st.who.id;
  r.month = p.month;
  r.owner = st.cfg->node_id;
  r.lease_token = static_cast<int64_t>(next_random(st));
  const auto* row = find_month(st, p.month);
  r.allow_refresh = row != nullptr && row->status == month_status::completed;
  r.create_if_missing = p.create_row;
  r.max_retries = st.cfg->retry.max_retries;
  r.lease_epoch = st.epoch;
  r.probe = p.reason == run_reason::probe;
  return r;
}

/// The claim came back applied: the attempt is this actor's.
void claimed(advertiser_state& st, const claim_request& r, month_state row) {
  auto number = row.retry_count + 1;
  upsert_month(st, std::move(row));
  st.in_flight = std::make_unique<advertiser_state::attempt>(advertiser_state::attempt{
    *st.planned, r.lease_token, number, st.cfg->clk->now(), r.lease_epoch});
  st.planned.reset();
}

/// A refused claim or outcome; refused for the lease, this node runs the
/// advertiser no more.
void note_refusal(advertiser_state& st, const outcome_batch& out, size_t at) {
  if (out.size() > at && out[at].code == errc::lease_lost && !out[at].applied)
    st.lease_lost = true;
}

void log_lost_claim(const advertiser_state& st, year_month month, const std::string& why) {
  spdlog::info("[advertiser={} month={}] claim lost: {}", st.who.id, month.to_string(), why);
}

void load(self_ptr self) {
  auto& st = self->state;
  self->request(st.cfg->reader, st.cfg->store_timeout, months_atom_v, st.who.id)
    .then(
      [=](month_list& rows) {
        self->state.months = kept_rows(std::move(rows));
        feed(self, input::loaded);
      },
      [=](caf::error& err) { store_trouble(self, err, "loading months"); });
}

void decide_now(self_ptr self, bool on_tick) {
  auto& st = self->state;
  if (!may_claim(st)) {
    feed(self, advertiser_event{input::decided, due_kind::nothing});
    return;
  }
  if (auto orphan = orphan_failure(st)) {
    st.unrecorded = std::make_unique<transition>(std::move(*orphan));
    feed(self, advertiser_event{input::decided, due_kind::orphan});
    return;
  }
  auto d = decide(context(st, st.months, on_tick));
  using kind = due_decision::kind;
  advertiser_event e{input::decided};
  switch (d.what) {
    case kind::run:
      st.planned = advertiser_state::plan{*d.month, d.reason, d.create_row, d.closes_month};
      e.due = due_kind::run;
      e.live = d.reason == run_reason::live;
      break;
    case kind::wait:
      st.retry_at = d.wait_until;
      e.due = due_kind::wait;
      break;
    case kind::exhausted: e.due = due_kind::exhausted; break;
    case kind::promote: e.due = due_kind::promote; break;
    case kind::in_flight: e.due = due_kind::elsewhere; break;
    case kind::idle:
    case kind::inactive: e.due = due_kind::nothing; break;
  }
  feed(self, e);
}

void claim(self_ptr self) {
  auto& st = self->state;
  if (!st.planned || st.who.active == (st.planned->reason == run_reason::probe)) {
    // Deactivated while it waited for its place (or, for a probe,
    // activated): no claim after that.
    feed(self, input::claim_lost);
    return;
  }
  auto r = claim_for(st, *st.planned);
  self->request(committer_of(st), commit_wait, transition_batch{r})
    .then(
      [=](outcome_batch& out) {
        auto& st = self->state;
        if (out.empty() || !out.front().applied || !out.front().row) {
          note_refusal(st, out, 0);
          log_lost_claim(st, r.month, out.empty() ? "no outcome" : out.front().message);
          st.planned.reset();
          feed(self, input::claim_lost);
          return;
        }
        claimed(st, r, std::move(*out.front().row));
        feed(self, input::claimed);
      },
      [=](caf::error& err) {
        self->state.planned.reset();
        store_trouble(self, err, "claiming " + r.month.to_string());
      });
}

void enqueue(self_ptr self) {
  auto& st = self->state;
  const auto& a = *st.in_flight;
  log_job(spdlog::level::info, st.who.id, a.what.month, "job start: attempt {} ({})", a.number,
          to_string(a.what.reason));
  st.cfg->queue->push(queued_job{job_request{st.who.id, a.what.month, a.number, st.cfg->job_timeout},
                                 handle_of(self), st.id, a.lease_token, lane_of(st)});
  if (st.cfg->queue->wants_runner())
    self->send(st.cfg->pool, grow_atom_v);
}

/// The next month's claim to write with a completion, when one is due now
/// and a place is free without overtaking anyone.
std::optional<claim_request> chained_claim_of(self_ptr self, const complete_request& done) {
  auto& st = self->state;
  if (!may_claim(st))
    return std::nullopt;
  // A refresh of the current month is a tick's to ask for, never chained.
  auto d = decide_after(st, done.month);
  if (d.what != due_decision::kind::run || *d.month == done.month)
    return std::nullopt;
  if (!st.cfg->queue->admit_now(lane_of(st), st.id))
    return std::nullopt;
  st.planned = advertiser_state::plan{*d.month, d.reason, d.create_row, d.closes_month};
  auto r = claim_for(st, *st.planned);
  r.after = done.month;
  feed(self, advertiser_event{input::chained, due_kind::run, d.reason == run_reason::live});
  return r;
}

void record(self_ptr self, bool chain) {
  auto& st = self->state;
  transition_batch batch{*st.unrecorded};
  std::optional<claim_request> next;
  if (const auto* done = std::get_if<complete_request>(&*st.unrecorded); done && chain)
    next = chained_claim_of(self, *done);
  if (next)
    batch.push_back(*next);
  self->request(committer_of(st), commit_wait, std::move(batch))
    .then(
      [=](outcome_batch& out) {
        auto& st = self->state;
        st.in_flight.reset();
        if (out.empty() || !out.front().applied) {
          spdlog::warn("[advertiser={}] outcome not recorded, the claim was taken over: {}",
                       st.who.id, out.empty() ? std::string{"no outcome"} : out.front().message);
          note_refusal(st, out, 0);
          st.unrecorded.reset();
          st.planned.reset();
          feed(self, input::outcome_lost);
          return;
        }
        apply_recorded(st, *st.unrecorded);
        st.unrecorded.reset();
        advertiser_event e{input::recorded};
        if (next) {
          bool live = st.planned && st.planned->reason == run_reason::live;
          if (out.size() > 1 && out[1].applied && out[1].row) {
            claimed(st, *next, std::move(*out[1].row));
            e.next = chained_claim::applied;
            e.live = live;
          } else {
            note_refusal(st, out, 1);
            log_lost_claim(st, next->month, out.size() > 1 ? out[1].message : "no outcome");
            st.planned.reset();
            e.next = chained_claim::lost;
          }
        }
        feed(self, e);
      },
      [=](caf::error& err) {
        self->state.in_flight.reset();
        self->state.planned.reset();
        store_trouble(self, err, "recording an outcome");
      });
}

/// Writes what decide asked for: a deactivation or the promotion.
void update(self_ptr self, bool deactivate) {
  auto& st = self->state;
  auto done = [=](advertiser& fresh) {
    auto& st = self->state;
    st.who = std::move(fresh);
    if (deactivate)
      spdlog::error("[advertiser={}] advertiser deactivated: {}", st.who.id,
                    st.who.deactivation_reason);
    else
      spdlog::info("[advertiser={}] backfill complete: advertiser is now EXISTING", st.who.id);
    feed(self, input::updated);
  };
  auto failed = [=](caf::error& err) {
    store_trouble(self, err, deactivate ? "deactivating" : "promoting");
  };
  if (deactivate) {
    auto reason = decide(context(st, st.months, false)).explanation;
    self->request(st.cfg->reader, st.cfg->store_timeout, activate_atom_v, st.who.id, false,
                  reason, audit_note{engine_caller, reason, st.cfg->node_id})
      .then(done, failed);
  } else {
    self->request(st.cfg->reader, st.cfg->store_timeout, promote_atom_v, st.who.id)
      .then(done, failed);
  }
}

void carry_out(self_ptr self, const advertiser_step& step, command c) {
  auto& st = self->state;
  auto& queue = *st.cfg->queue;
  switch (c) {
    case command::none: break;
    case command::load: load(self); break;
    case command::decide: decide_now(self, step.on_tick); break;
    case command::admit:
      if (queue.admit(lane_of(st), handle_of(self)))
        feed(self, input::place);
      break;
    case command::cancel_admission:
      queue.cancel(st.id);
      st.planned.reset();
      break;
    case command::release: queue.release(st.id); break;
    case command::claim: claim(self); break;
    case command::enqueue: enqueue(self); break;
    case command::record: record(self, step.chain); break;
    case command::deactivate: update(self, true); break;
    case command::promote: update(self, false); break;
    case command::arm_retry: arm_timer(self, st.retry_at); break;
    case command::arm_store_backoff:
      arm_timer(self, st.cfg->clk->now() + reconnect_delay(st.machine.store_failures));
      break;
    case command::count_coalesced: queue.count_coalesced(); break;
    case command::settle: settle(self); break;
  }
}

/// At rest, tells the supervisor, with what it needs to start this actor
/// again when it may hibernate.
void rest(self_ptr self) {
  auto& st = self->state;
  if (!st.keeper || !at_rest(st))
    return;
  advertiser_rest r{st.heard, {}};
  if (may_hibernate(st))
    r.dormant = pack_dormant(st.who, st.months);
  self->send(st.keeper, hibernate_atom_v, std::move(r));
}

void feed(self_ptr self, advertiser_event e) {
  auto step = advance(self->state.machine, e);
  self->state.machine = step.next;
  ++self->state.feeding;
  for (auto c : step.commands)
    if (c != command::none)
      carry_out(self, step, c);
  if (--self->state.feeding == 0)
    rest(self);
}

/// An operator's manual retry, written by this actor so its copy of the
/// months follows; a backoff timer of the old attempt is void from now on.
caf::result<month_state> operator_retry(self_ptr self, year_month month,
                                        const audit_note& note) {
  auto& st = self->state;
  auto promise = self->make_response_promise<month_state>();
  ++st.changes_in_flight;
  self->request(st.cfg->reader, st.cfg->store_timeout, retry_atom_v, st.who.id, month, note)
    .then(
      [=](month_state& row) mutable {
        auto& st = self->state;
        --st.changes_in_flight;
        log_job(spdlog::level::info, st.who.id, month, "manual retry: retry count reset, runs now");
        ++st.timer_generation;
        st.wake_at.reset();
        feed(self, input::reload);
        feed(self, input::tick);
        settle(self);
        promise.deliver(std::move(row));
      },
      [=](caf::error& err) mutable {
        --self->state.changes_in_flight;
        settle(self);
        rest(self);
        promise.deliver(std::move(err));
      });
  return promise;
}

/// An operator's switch. Deactivating takes effect here at once (no claim
/// after this message), activating once the store has it.
caf::result<advertiser> operator_activate(self_ptr self, bool active, std::string reason,
                                          const audit_note& note) {
  auto& st = self->state;
  auto before = st.who;
  if (!active) {
    st.who.active = false;
    st.who.deactivation_reason = reason;
  }
  auto promise = self->make_response_promise<advertiser>();
  ++st.changes_in_flight;
  self->request(st.cfg->reader, st.cfg->store_timeout, activate_atom_v, st.who.id, active, reason,
                note)
    .then(
      [=](advertiser& fresh) mutable {
        auto& st = self->state;
        --st.changes_in_flight;
        st.who.active = fresh.active;
        st.who.deactivation_reason = fresh.deactivation_reason;
        st.who.updated_at = fresh.updated_at;
        spdlog::info("[advertiser={}] {} by {}{}", st.who.id,
                     active ? "activated" : "deactivated", note.who,
                     note.reason.empty() ? "" : ": " + note.reason);
        ++st.timer_generation;
        st.wake_at.reset();
        feed(self, input::tick);
        settle(self);
        promise.deliver(std::move(fresh));
      },
      [=](caf::error& err) mutable {
        auto& st = self->state;
        --st.changes_in_flight;
        st.who.active = before.active;
        st.who.deactivation_reason = before.deactivation_reason;
        settle(self);
        rest(self);
        promise.deliver(std::move(err));
      });
  return promise;
}

/// An exception out of a handler ends the actor (its supervisor restarts it,
/// or deactivates the advertiser): the reason it ends with says what was thrown.
caf::error exit_reason_of(caf::scheduled_actor*, std::exception_ptr& thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    return caf::make_error(caf::sec::runtime_error, std::string{"exception: "} + e.what());
  } catch (...) {
    return caf::make_error(caf::sec::runtime_error, std::string{"exception of unknown type"});
  }
}

} // namespace

advertiser_state::~advertiser_state() {
  if (cfg && cfg->queue)
    cfg->queue->forget(id);
}

advertiser_actor::behavior_type
advertiser_agent(advertiser_actor::stateful_pointer<advertiser_state> self,
                 std::shared_ptr<const advertiser_settings> cfg, advertiser who,
                 std::optional<month_list> months, int64_t lease_epoch, supervisor_actor keeper) {
  self->set_exception_handler(exit_reason_of);
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.keeper = std::move(keeper);
  st.epoch = lease_epoch;
  st.id = self->id();
  st.who = std::move(who);
  // Only the id and the switch matter here; the name is the store's.
  std::string{}.swap(st.who.name);
  st.random = st.cfg->seed ^ (st.id * 0x9e3779b97f4a7c15ULL);
  if (months) {
    st.months = kept_rows(std::move(*months));
    st.machine.months_known = true;
  }
  return {
    [=](due_atom, const advertiser& fresh) {
      auto& st = self->state;
      ++st.heard;
      // Only the operator's switch comes from the director's snapshot; the
      // rest this actor keeps more current than any snapshot. A snapshot read
      // before an operator's switch reached this actor is older than it.
      if (fresh.updated_at >= st.who.updated_at) {
        st.who.active = fresh.active;
        st.who.deactivation_reason = fresh.deactivation_reason;
      }
      feed(self, input::tick);
    },
    [=](slot_atom) { feed(self, input::place); },
    [=](done_atom, int64_t lease_token, job_result& result) {
      auto& st = self->state;
      // A result for an attempt this actor no longer holds (given up on,
      // recorded already) is nobody's.
      if (!st.in_flight || st.in_flight->lease_token != lease_token
          || st.machine.phase != advertiser_phase::queued)
        return;
      st.unrecorded = std::make_unique<transition>(outcome_of(st, result));
      feed(self, input::job_done);
    },
    [=](reload_atom) {
      ++self->state.heard;
      feed(self, input::reload);
    },
    [=](reaped_atom, year_month month) {
      auto& st = self->state;
      ++st.heard;
      if (st.in_flight && st.in_flight->what.month == month)
        return; // its outcome will find the lease gone and reread
      feed(self, input::reload);
    },
    [=](retry_atom, year_month month, const audit_note& note) {
      ++self->state.heard;
      return operator_retry(self, month, note);
    },
    [=](activate_atom, bool active, std::string& reason, const audit_note& note) {
      ++self->state.heard;
      return operator_activate(self, active, std::move(reason), note);
    },
    [=](activity_atom) {
      auto& st = self->state;
      ++st.heard;
      auto now = activity_of(st, st.cfg->queue->ahead(st.id));
      rest(self);
      return now;
    },
    [=](drain_atom) -> caf::result<bool> {
      ++self->state.heard;
      feed(self, input::drain);
      auto& st = self->state;
      if (!busy(st.machine) && st.changes_in_flight == 0)
        return true;
      auto promise = self->make_response_promise<bool>();
      st.drain_waiters.push_back(promise);
      return promise;
    },
    [=](lease_atom, int64_t epoch) {
      // Taken again after it was lost or given back: it runs under the new
      // epoch, from the months as the store has them now.
      auto& st = self->state;
      ++st.heard;
      st.epoch = epoch;
      st.lease_lost = false;
      feed(self, input::reload);
    },
    [=](retry_atom, uint64_t generation) {
      auto& st = self->state;
      if (generation != st.timer_generation)
        return;
      st.wake_at.reset();
      feed(self, input::wake);
    },
  };
}

const committer_actor& committer_for(const advertiser_settings& cfg, const std::string& id) {
  return cfg.committers[std::hash<std::string>{}(id) % cfg.committers.size()];
}

} // namespace cdp
