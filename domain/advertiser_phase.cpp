#include "domain/advertiser_phase.hpp"

#include <utility>

namespace cdp {

namespace {

using phase = advertiser_phase;
using input = advertiser_input;
using command = advertiser_command;

struct builder {
  advertiser_step step;
  size_t count = 0;

  explicit builder(const advertiser_machine& m) { step.next = m; }
  advertiser_machine& m() { return step.next; }
  void add(command c) { step.commands[count++] = c; }
};

/// Nothing is in flight: the next step, in the order the invariants want it
/// (an unrecorded outcome first, then a drain, then fresh months, then what
/// is due).
void proceed(builder& b) {
  auto& m = b.m();
  m.phase = phase::idle;
  if (m.outcome_pending) {
    m.phase = phase::recording;
    b.add(command::record);
    b.step.chain = !m.draining;
    return;
  }
  if (m.draining) {
    b.add(command::settle);
    return;
  }
  if (!m.months_known) {
    m.phase = phase::loading;
    b.add(command::load);
    return;
  }
  b.add(command::decide);
  b.step.on_tick = std::exchange(m.refresh_wanted, false);
}

void give_back_place(builder& b) {
  if (std::exchange(b.m().holds_place, false))
    b.add(command::release);
}

/// The store failed the step in flight: wait, then try again from `proceed`.
void store_trouble(builder& b) {
  auto& m = b.m();
  ++m.store_failures;
  m.phase = phase::backoff;
  b.add(command::arm_store_backoff);
  if (m.draining && !m.outcome_pending)
    b.add(command::settle);
}

void on_tick(builder& b) {
  auto& m = b.m();
  m.lost_claims = 0;
  if (m.draining)
    return;
  switch (m.phase) {
    case phase::idle:
      m.refresh_wanted = true;
      proceed(b);
      return;
    case phase::admitting:
    case phase::claiming:
    case phase::queued:
      // The run this tick asks for is already on its way: its job reads
      // the month's data when it starts, so one run serves both.
      if (m.in_flight_live)
        b.add(command::count_coalesced);
      else
        m.refresh_wanted = true;
      return;
    case phase::recording:
      // The outcome goes out with the claim of the refresh this tick wants.
      if (m.holds_place && m.in_flight_live) {
        b.add(command::count_coalesced);
        return;
      }
      m.refresh_wanted = true;
      return;
    case phase::loading:
    case phase::updating:
    case phase::backoff:
      m.refresh_wanted = true;
      return;
  }
}

void on_decided(builder& b, const advertiser_event& e) {
  auto& m = b.m();
  if (m.phase != phase::idle)
    return;
  switch (e.due) {
    case due_kind::run:
      m.phase = phase::admitting;
      m.in_flight_live = e.live;
      b.add(command::admit);
      return;
    case due_kind::wait:
      b.add(command::arm_retry);
      return;
    case due_kind::exhausted:
      m.phase = phase::updating;
      b.add(command::deactivate);
      return;
    case due_kind::promote:
      m.phase = phase::updating;
      b.add(command::promote);
      return;
    case due_kind::elsewhere:
      m.months_known = false;
      return;
    case due_kind::orphan:
      // Its failure is written alone: the same month is due again right
      // after, and one batch holds a month only once.
      m.outcome_pending = true;
      m.phase = phase::recording;
      b.add(command::record);
      return;
    case due_kind::nothing:
      return;
  }
}

void on_place(builder& b) {
  auto& m = b.m();
  if (m.phase != phase::admitting || m.draining) {
    // Not wanted any more: the next advertiser waiting gets it.
    b.add(command::release);
    if (m.phase == phase::admitting) {
      m.phase = phase::idle;
      b.add(command::settle);
    }
    return;
  }
  m.holds_place = true;
  m.phase = phase::claiming;
  b.add(command::claim);
}

void on_claim_lost(builder& b) {
  auto& m = b.m();
  if (m.phase != phase::claiming)
    return;
  give_back_place(b);
  m.months_known = false;
  m.in_flight_live = false;
  if (++m.lost_claims <= max_lost_claims) {
    proceed(b);
    return;
  }
  m.phase = phase::idle;
  if (m.draining)
    b.add(command::settle);
}

void on_recorded(builder& b, const advertiser_event& e) {
  auto& m = b.m();
  m.outcome_pending = false;
  m.store_failures = 0;
  switch (e.next) {
    case chained_claim::applied:
      m.phase = phase::queued;
      m.holds_place = false;
      b.add(command::enqueue);
      return;
    case chained_claim::lost:
      give_back_place(b);
      m.months_known = false;
      break;
    case chained_claim::none:
      break;
  }
  m.in_flight_live = false;
  proceed(b);
}

void on_store_failed(builder& b) {
  auto& m = b.m();
  switch (m.phase) {
    case phase::claiming:
    case phase::recording:
      // A claim whose fate is unknown: the months tell after a reread.
      if (m.holds_place)
        m.months_known = false;
      give_back_place(b);
      m.in_flight_live = false;
      store_trouble(b);
      return;
    case phase::loading:
    case phase::updating:
      store_trouble(b);
      return;
    case phase::idle:
    case phase::admitting:
    case phase::queued:
    case phase::backoff:
      return;
  }
}

void on_drain(builder& b) {
  auto& m = b.m();
  m.draining = true;
  m.refresh_wanted = false;
  if (m.phase == phase::admitting) {
    m.phase = phase::idle;
    m.in_flight_live = false;
    b.add(command::cancel_admission);
  }
  if (!busy(m))
    b.add(command::settle);
}

} // namespace

std::string_view to_string(advertiser_phase p) {
  switch (p) {
    case phase::idle: return "idle";
    case phase::loading: return "loading";
    case phase::admitting: return "admitting";
    case phase::claiming: return "claiming";
    case phase::queued: return "queued";
    case phase::recording: return "recording";
    case phase::updating: return "updating";
    case phase::backoff: return "backoff";
  }
  return "unknown";
}

bool busy(const advertiser_machine& m) {
  return m.outcome_pending || (m.phase != phase::idle && m.phase != phase::backoff);
}

advertiser_step advance(const advertiser_machine& m, const advertiser_event& e) {
  builder b{m};
  auto& next = b.m();
  switch (e.what) {
    case input::tick:
      on_tick(b);
      break;
    case input::wake:
      if (next.phase == phase::idle || next.phase == phase::backoff)
        proceed(b);
      break;
    case input::loaded:
      if (next.phase != phase::loading)
        break;
      next.months_known = true;
      next.store_failures = 0;
      proceed(b);
      break;
    case input::decided:
      on_decided(b, e);
      break;
    case input::place:
      on_place(b);
      break;
    case input::claimed:
      if (next.phase != phase::claiming)
        break;
      next.holds_place = false;
      next.phase = phase::queued;
      next.lost_claims = 0;
      next.store_failures = 0;
      b.add(command::enqueue);
      break;
    case input::claim_lost:
      on_claim_lost(b);
      break;
    case input::job_done:
      if (next.phase != phase::queued)
        break;
      // The runner freed the place when the job ended.
      next.outcome_pending = true;
      next.phase = phase::recording;
      b.add(command::record);
      b.step.chain = !next.draining;
      break;
    case input::chained:
      next.holds_place = true;
      next.in_flight_live = e.live;
      break;
    case input::recorded:
      if (next.phase == phase::recording)
        on_recorded(b, e);
      break;
    case input::outcome_lost:
      if (next.phase != phase::recording)
        break;
      next.outcome_pending = false;
      next.months_known = false;
      give_back_place(b);
      next.in_flight_live = false;
      proceed(b);
      break;
    case input::updated:
      if (next.phase != phase::updating)
        break;
      next.store_failures = 0;
      proceed(b);
      break;
    case input::store_failed:
      on_store_failed(b);
      break;
    case input::reload:
      next.months_known = false;
      if (next.phase == phase::idle)
        proceed(b);
      break;
    case input::drain:
      on_drain(b);
      break;
  }
  return b.step;
}

} // namespace cdp
