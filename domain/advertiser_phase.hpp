#pragma once

// The advertiser actor's life as one pure transition function: where it is,
// what just happened, where it goes and what it must do. Which month is due
// is `due_plan`'s question; this is the order of the steps around it (claim
// durable before the job, outcome durable before the next step), so the
// actor carries out commands and re-checks no flags of its own.

#include <array>
#include <cstdint>
#include <string_view>

namespace cdp {

/// Where an advertiser's actor is.
enum class advertiser_phase : uint8_t {
  /// Nothing in flight: waits for a tick, its timer or an operator.
  idle,
  /// Reading its months from the store.
  loading,
  /// Waiting for a place in the job runners' queue, which was full.
  admitting,
  /// Writing its claim of the due month (it holds a place).
  claiming,
  /// Claimed: its job waits for a runner or runs.
  queued,
  /// Writing the attempt's outcome (with the next month's claim, when one is due).
  recording,
  /// Writing a deactivation or a promotion.
  updating,
  /// The store failed the last step: waits for its timer to try again.
  backoff,
};

std::string_view to_string(advertiser_phase phase);

/// What due_plan decided, as far as the phases care.
enum class due_kind : uint8_t {
  /// Run a month now.
  run,
  /// A month is in backoff: wait for its next attempt.
  wait,
  /// A month exhausted its retries: deactivate.
  exhausted,
  /// Every backfill month is done: promote to EXISTING.
  promote,
  /// A month is RUNNING elsewhere (another node, a lost reply): look again
  /// after the next tick.
  elsewhere,
  /// A RUNNING month of this node that no actor runs any more (its
  /// predecessor crashed): record its failure first.
  orphan,
  /// Nothing to do, or deactivated.
  nothing,
};

/// What happened to the advertiser.
enum class advertiser_input : uint8_t {
  /// The director's tick or an operator's trigger: run what is due, the
  /// current month of an EXISTING advertiser included.
  tick,
  /// Its timer fired (a month's backoff, or the store's).
  wake,
  /// Its months were read.
  loaded,
  /// The decision `decide` asked for (see `advertiser_event::due`).
  decided,
  /// A place in the runners' queue is its own now.
  place,
  /// The claim is durable: the job may run.
  claimed,
  /// The claim was refused (another node took the month, its state changed).
  claim_lost,
  /// The job ended (the runner freed its place); its outcome is to be written.
  job_done,
  /// The outcome goes out with the next month's claim, on a place admitted
  /// for it (`advertiser_event::live` as with `decided`).
  chained,
  /// The outcome is durable (`advertiser_event::next` says what became of a
  /// next claim written with it).
  recorded,
  /// The outcome was refused: the claim had been taken over (reaper, node).
  outcome_lost,
  /// A deactivation or promotion is durable.
  updated,
  /// The store failed the step in flight (unreachable, timed out).
  store_failed,
  /// Its months changed behind it (operator, reaper): read them again.
  reload,
  /// The daemon drains: take no new work.
  drain,
};

/// What became of the next month's claim written with an outcome.
enum class chained_claim : uint8_t { none, applied, lost };

struct advertiser_event {
  advertiser_input what = advertiser_input::tick;
  /// With `decided`: the decision; `live` when it runs the current month of
  /// an EXISTING advertiser (a refresh), which a tick then coalesces with.
  due_kind due = due_kind::nothing;
  bool live = false;
  /// With `recorded`.
  chained_claim next = chained_claim::none;
};

/// What the actor must do, in order.
enum class advertiser_command : uint8_t {
  none,
  /// Read the months.
  load,
  /// Ask due_plan (on a tick when `advertiser_step::on_tick`) and feed the
  /// answer back as `decided`.
  decide,
  /// Ask for a place in the runners' queue; `place` follows at once or when
  /// one frees up.
  admit,
  /// Stop waiting for a place (draining).
  cancel_admission,
  /// Give back the place it holds, unused.
  release,
  /// Write the claim of the decided month.
  claim,
  /// Hand the claimed job to the runners.
  enqueue,
  /// Write the pending outcome, and the next month's claim with it when one
  /// is due and `advertiser_step::chain` allows.
  record,
  /// Write the deactivation the decision asked for.
  deactivate,
  /// Write the promotion to EXISTING.
  promote,
  /// Arm its timer for the due month's next attempt.
  arm_retry,
  /// Arm its timer for the store's backoff (`advertiser_machine::store_failures`).
  arm_store_backoff,
  /// Count a tick that asked for the refresh already queued or running.
  count_coalesced,
  /// Answer whoever waits for the drain: nothing is in flight.
  settle,
};

/// Everything the phases remember between two events.
struct advertiser_machine {
  advertiser_phase phase = advertiser_phase::idle;
  /// The months in the actor are the store's (false at start, after a lost
  /// claim or a reload): read them before deciding.
  bool months_known = false;
  /// An outcome is not durable yet: nothing else happens before it is.
  bool outcome_pending = false;
  /// A tick came while busy with other work: decide as on a tick once idle.
  bool refresh_wanted = false;
  /// The month admitted, claimed or in flight is a live refresh.
  bool in_flight_live = false;
  /// It holds a place in the runners' queue that no job uses yet.
  bool holds_place = false;
  bool draining = false;
  /// Consecutive failed store steps, for the backoff.
  int store_failures = 0;
  /// Consecutive lost claims: after a few, wait for the next tick.
  int lost_claims = 0;
};

/// Lost claims in a row after which the actor waits for the next tick
/// instead of rereading and claiming again.
inline constexpr int max_lost_claims = 3;

struct advertiser_step {
  advertiser_machine next;
  std::array<advertiser_command, 3> commands{};
  /// With `decide`: decide as on a tick.
  bool on_tick = false;
  /// With `record`: a next claim may be written with the outcome.
  bool chain = false;
};

/// The one transition: `m` and `event` → the next machine and the commands.
advertiser_step advance(const advertiser_machine& m, const advertiser_event& event);

/// True while a drain must wait: something is in flight or not yet durable.
bool busy(const advertiser_machine& m);

} // namespace cdp
