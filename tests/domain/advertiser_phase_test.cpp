#include <catch2/catch.hpp>

#include <vector>

#include "domain/advertiser_phase.hpp"

using namespace cdp;
using phase = advertiser_phase;
using input = advertiser_input;
using command = advertiser_command;

namespace {

/// Drives the machine the way the actor does and keeps the last step.
struct driver {
  advertiser_machine m;
  advertiser_step last;

  std::vector<command> on(advertiser_event e) {
    last = advertiser_step{};
    last = advance(m, e);
    m = last.next;
    std::vector<command> out;
    for (auto c : last.commands)
      if (c != command::none)
        out.push_back(c);
    return out;
  }
  std::vector<command> on(input what) { return on(advertiser_event{what}); }
  std::vector<command> decided(due_kind due, bool live = false) {
    return on(advertiser_event{input::decided, due, live});
  }
  std::vector<command> recorded(chained_claim next, bool live = false) {
    return on(advertiser_event{input::recorded, due_kind::nothing, live, next});
  }

  /// Loaded, ticked and idle, as after its first tick with nothing due.
  void settled_idle() {
    on(input::tick);
    on(input::loaded);
    decided(due_kind::nothing);
  }

  /// Its job for a month of the given kind is queued.
  void queued(bool live) {
    settled_idle();
    on(input::tick);
    decided(due_kind::run, live);
    on(input::place);
    on(input::claimed);
  }
};

using cmds = std::vector<command>;

} // namespace

TEST_CASE("a new advertiser's actor reads its months before it decides anything") {
  driver d;
  CHECK(d.on(input::tick) == cmds{command::load});
  CHECK(d.m.phase == phase::loading);
  CHECK(d.on(input::loaded) == cmds{command::decide});
  CHECK(d.last.on_tick);
  CHECK(d.m.phase == phase::idle);
}

TEST_CASE("a due month is claimed only with a place and its job runs only once the claim is durable") {
  driver d;
  d.settled_idle();
  d.on(input::tick);
  CHECK(d.decided(due_kind::run) == cmds{command::admit});
  CHECK(d.m.phase == phase::admitting);
  CHECK(d.on(input::place) == cmds{command::claim});
  CHECK(d.m.phase == phase::claiming);
  CHECK(d.on(input::claimed) == cmds{command::enqueue});
  CHECK(d.m.phase == phase::queued);
  CHECK_FALSE(d.m.holds_place);
}

TEST_CASE("the outcome is written before anything else, and the next month's claim may go with it") {
  driver d;
  d.queued(false);
  CHECK(d.on(input::job_done) == cmds{command::record});
  CHECK(d.last.chain);
  CHECK(d.m.outcome_pending);
  CHECK(d.m.phase == phase::recording);
  d.on(advertiser_event{input::chained, due_kind::nothing, false});
  // Nothing happens until the outcome is durable: a tick waits.
  CHECK(d.on(input::tick).empty());
  CHECK(d.recorded(chained_claim::applied) == cmds{command::enqueue});
  CHECK(d.m.phase == phase::queued);
  CHECK_FALSE(d.m.outcome_pending);
}

TEST_CASE("without a next claim the recorded outcome leads to the next decision") {
  driver d;
  d.queued(false);
  d.on(input::job_done);
  CHECK(d.recorded(chained_claim::none) == cmds{command::decide});
  CHECK_FALSE(d.last.on_tick);
}

TEST_CASE("a refresh asked for while the same refresh is queued or running is coalesced") {
  driver d;
  d.queued(true);
  CHECK(d.on(input::tick) == cmds{command::count_coalesced});
  d.on(input::job_done);
  // The month is fresh: the decision after it is not a tick's.
  CHECK(d.recorded(chained_claim::none) == cmds{command::decide});
  CHECK_FALSE(d.last.on_tick);

  driver waiting;
  waiting.settled_idle();
  waiting.on(input::tick);
  waiting.decided(due_kind::run, true);
  CHECK(waiting.on(input::tick) == cmds{command::count_coalesced});
}

TEST_CASE("a tick while an older month runs is honoured once that month is recorded") {
  driver d;
  d.queued(false);
  CHECK(d.on(input::tick).empty());
  d.on(input::job_done);
  CHECK(d.last.chain);
  CHECK(d.recorded(chained_claim::none) == cmds{command::decide});
  CHECK(d.last.on_tick);
}

TEST_CASE("a full queue leaves the advertiser waiting for a place, a drain gives up the wait") {
  driver d;
  d.settled_idle();
  d.on(input::tick);
  d.decided(due_kind::run);
  CHECK(d.m.phase == phase::admitting);
  CHECK(d.on(input::drain) == cmds{command::cancel_admission, command::settle});
  CHECK(d.m.phase == phase::idle);
  // A place granted before the wait was given up goes back, unused.
  CHECK(d.on(input::place) == cmds{command::release});
  CHECK(d.on(input::tick).empty());
}

TEST_CASE("a lost claim gives the place back and rereads, after three in a row it waits for a tick") {
  driver d;
  d.settled_idle();
  d.on(input::tick);
  for (int lost = 1; lost <= max_lost_claims; ++lost) {
    if (lost > 1) {
      d.on(input::loaded);
    }
    d.decided(due_kind::run);
    d.on(input::place);
    CHECK(d.on(input::claim_lost) == cmds{command::release, command::load});
  }
  d.on(input::loaded);
  d.decided(due_kind::run);
  d.on(input::place);
  CHECK(d.on(input::claim_lost) == cmds{command::release});
  CHECK(d.m.phase == phase::idle);
  CHECK_FALSE(d.m.months_known);
  // The next tick starts afresh.
  CHECK(d.on(input::tick) == cmds{command::load});
  CHECK(d.m.lost_claims == 0);
}

TEST_CASE("a store failure backs off and the unrecorded outcome is written again before anything else") {
  driver d;
  d.queued(false);
  d.on(input::job_done);
  CHECK(d.on(input::store_failed) == cmds{command::arm_store_backoff});
  CHECK(d.m.phase == phase::backoff);
  CHECK(d.m.store_failures == 1);
  CHECK(d.m.outcome_pending);
  // A tick while backing off waits for the timer.
  CHECK(d.on(input::tick).empty());
  CHECK(d.on(input::wake) == cmds{command::record});
  CHECK(d.on(input::store_failed) == cmds{command::arm_store_backoff});
  CHECK(d.m.store_failures == 2);
  d.on(input::wake);
  CHECK(d.recorded(chained_claim::none) == cmds{command::decide});
  CHECK(d.last.on_tick);
  CHECK(d.m.store_failures == 0);
}

TEST_CASE("a failed write with a next claim in it gives the place back and rereads the months") {
  driver d;
  d.queued(false);
  d.on(input::job_done);
  d.on(advertiser_event{input::chained, due_kind::nothing, false});
  CHECK(d.on(input::store_failed) == cmds{command::release, command::arm_store_backoff});
  CHECK_FALSE(d.m.months_known);
  CHECK(d.on(input::wake) == cmds{command::record});
  CHECK(d.last.chain);
}

TEST_CASE("a claim the store failed gives the place back, its fate is read from the months") {
  driver d;
  d.settled_idle();
  d.on(input::tick);
  d.decided(due_kind::run);
  d.on(input::place);
  CHECK(d.on(input::store_failed) == cmds{command::release, command::arm_store_backoff});
  CHECK(d.on(input::wake) == cmds{command::load});
}

TEST_CASE("a drain is answered only once nothing is in flight and every outcome is durable") {
  driver d;
  d.queued(false);
  CHECK(d.on(input::drain).empty());
  CHECK(busy(d.m));
  CHECK(d.on(input::job_done) == cmds{command::record});
  CHECK_FALSE(d.last.chain);
  CHECK(d.recorded(chained_claim::none) == cmds{command::settle});
  CHECK_FALSE(busy(d.m));
  // Drained: ticks and timers start nothing.
  CHECK(d.on(input::tick).empty());
  CHECK(d.on(input::wake) == cmds{command::settle});

  driver idle;
  idle.settled_idle();
  CHECK(idle.on(input::drain) == cmds{command::settle});
}

TEST_CASE("an orphaned RUNNING month's failure is written alone, then the advertiser decides again") {
  driver d;
  d.on(input::tick);
  d.on(input::loaded);
  CHECK(d.decided(due_kind::orphan) == cmds{command::record});
  CHECK_FALSE(d.last.chain);
  CHECK(d.recorded(chained_claim::none) == cmds{command::decide});
}

TEST_CASE("exhausted retries deactivate, a finished backfill promotes, then it decides again") {
  driver d;
  d.settled_idle();
  d.on(input::tick);
  CHECK(d.decided(due_kind::exhausted) == cmds{command::deactivate});
  CHECK(d.m.phase == phase::updating);
  CHECK(d.on(input::updated) == cmds{command::decide});
  CHECK(d.decided(due_kind::promote) == cmds{command::promote});
  CHECK(d.on(input::store_failed) == cmds{command::arm_store_backoff});
  CHECK(d.on(input::wake) == cmds{command::decide});
}

TEST_CASE("a month in backoff arms the timer and its wake-up decides again") {
  driver d;
  d.settled_idle();
  d.on(input::tick);
  CHECK(d.decided(due_kind::wait) == cmds{command::arm_retry});
  CHECK(d.m.phase == phase::idle);
  CHECK(d.on(input::wake) == cmds{command::decide});
  CHECK_FALSE(d.last.on_tick);
}

TEST_CASE("a month running elsewhere is looked at again after the next tick") {
  driver d;
  d.settled_idle();
  d.on(input::tick);
  CHECK(d.decided(due_kind::elsewhere).empty());
  CHECK(d.on(input::tick) == cmds{command::load});
}

TEST_CASE("an outcome refused because the claim was taken over rereads the months") {
  driver d;
  d.queued(false);
  d.on(input::job_done);
  CHECK(d.on(input::outcome_lost) == cmds{command::load});
  CHECK_FALSE(d.m.outcome_pending);
}

TEST_CASE("months changed behind the actor are reread when it is idle, after its work when busy") {
  driver idle;
  idle.settled_idle();
  CHECK(idle.on(input::reload) == cmds{command::load});

  driver busy_one;
  busy_one.queued(false);
  CHECK(busy_one.on(input::reload).empty());
  busy_one.on(input::job_done);
  CHECK(busy_one.recorded(chained_claim::none) == cmds{command::load});
}

TEST_CASE("late or stale replies change nothing") {
  driver d;
  d.settled_idle();
  auto before = d.m;
  for (auto late : {input::loaded, input::claimed, input::claim_lost, input::job_done,
                    input::recorded, input::outcome_lost, input::updated, input::store_failed}) {
    INFO(static_cast<int>(late));
    CHECK(d.on(late).empty());
    CHECK(d.m.phase == before.phase);
    CHECK(d.m.months_known == before.months_known);
  }
  // A place nobody waits for goes back at once.
  CHECK(d.on(input::place) == cmds{command::release});
}
