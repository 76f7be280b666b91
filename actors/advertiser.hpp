#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "actors/job_queue.hpp"
#include "domain/advertiser_phase.hpp"
#include "domain/clock.hpp"
#include "domain/due_plan.hpp"
#include "domain/probe.hpp"
#include "domain/retry_policy.hpp"

namespace cdp {

/// What every advertiser actor shares: configuration and the workers it talks to.
struct advertiser_settings {
  std::shared_ptr<const clock> clk;
  retry_policy retry;
  probe_policy probe;
  int backfill_months = 24;
  /// This daemon's name on its claims.
  std::string node_id;
  /// Cluster mode: an advertiser runs only on the node that leases it, and
  /// its claims and outcomes carry the lease's epoch.
  bool leased = false;
  std::chrono::milliseconds job_timeout = std::chrono::minutes{25};
  /// Limit for a store round trip before it counts as failed.
  std::chrono::milliseconds store_timeout = std::chrono::seconds{60};
  /// Mixed into each actor's random numbers (lease tokens, jitter).
  uint64_t seed = 0;
  std::vector<committer_actor> committers;
  store_reader_actor reader;
  job_pool_actor pool;
  std::shared_ptr<job_queue> queue;
};

struct advertiser_state {
  /// A month due_plan decided to run, until it is claimed.
  struct plan {
    year_month month;
    run_reason reason = run_reason::live;
    bool create_row = false;
    bool closes_month = false;
  };

  /// The attempt this actor has claimed and not yet recorded.
  struct attempt {
    plan what;
    int64_t lease_token = 0;
    int number = 1;
    timestamp started_at{};
    /// The lease epoch the claim was made under; its outcome carries it.
    int64_t epoch = 0;
  };

  advertiser_state() = default;
  advertiser_state(const advertiser_state&) = delete;
  advertiser_state& operator=(const advertiser_state&) = delete;
  /// Gives up whatever it holds in the runners' queue.
  ~advertiser_state();

  std::shared_ptr<const advertiser_settings> cfg;
  caf::actor_id id = 0;
  advertiser who;
  /// Its month rows as the store has them (without the advertiser id).
  std::vector<month_state> months;
  advertiser_machine machine;
  std::optional<plan> planned;
  /// Out of line, as is `unrecorded`: a month runs in few of a million
  /// actors at a time, and inline they would cost every actor ~200 bytes.
  std::unique_ptr<attempt> in_flight;
  /// This node's lease epoch on the advertiser (0: not leased).
  int64_t epoch = 0;
  /// The store refused a transition: another node holds the lease now. No
  /// claim from here on; the supervisor stops this actor.
  bool lease_lost = false;
  /// An outcome not yet durable; written again before anything else.
  std::unique_ptr<transition> unrecorded;
  /// When the month in backoff may run again.
  timestamp retry_at{};
  /// The one wake-up pending, and the generation it carries: an older one is stale.
  std::optional<timestamp> wake_at;
  uint64_t timer_generation = 0;
  uint64_t random = 0;
  /// Operator changes (retry, activate) written but not yet answered: a
  /// drain waits for them, so their caller always gets an answer.
  int changes_in_flight = 0;
  std::vector<caf::typed_response_promise<bool>> drain_waiters;
  /// Who keeps it while it hibernates, and how many of its messages this
  /// actor has handled (see advertiser_rest).
  supervisor_actor keeper;
  uint32_t heard = 0;
  /// Nested `feed` calls under way: it rests only once the outermost ends.
  int feeding = 0;

  static inline const char* name = "advertiser";
};

/// One advertiser: runs its months strictly in order, one at a time, each
/// state change durable before the next step (see domain/advertiser_phase).
/// `months`, when the spawner read them already, spares it the first read;
/// `lease_epoch` is this node's lease on it (0 outside cluster mode). At
/// rest it tells `keeper`, which may let it hibernate (actors/hibernation).
advertiser_actor::behavior_type
advertiser_agent(advertiser_actor::stateful_pointer<advertiser_state> self,
                 std::shared_ptr<const advertiser_settings> cfg, advertiser who,
                 std::optional<month_list> months, int64_t lease_epoch, supervisor_actor keeper);

/// The committer an advertiser's transitions go through, by its id (not its
/// actor's): whatever a crashed actor left there commits before anything its
/// successor, or the supervisor on its behalf, sends.
const committer_actor& committer_for(const advertiser_settings& cfg, const std::string& id);

// What the actor knows, kept apart from how it talks (advertiser_records.cpp).

month_state* find_month(advertiser_state& st, year_month month);
void upsert_month(advertiser_state& st, month_state row);
/// Its rows as the actor keeps them: the advertiser id is its own.
std::vector<month_state> kept_rows(month_list rows);
due_context context(const advertiser_state& st, std::span<const month_state> months,
                    bool on_tick);
/// A RUNNING month of this node that no attempt of this actor holds: its
/// predecessor crashed. The failure to record for it.
std::optional<fail_request> orphan_failure(const advertiser_state& st);
/// The outcome to record for the attempt in flight, logged as the job's end.
transition outcome_of(advertiser_state& st, const job_result& result);
/// What is due once `month` is COMPLETED (not a tick's decision).
due_decision decide_after(advertiser_state& st, year_month month);
/// A recorded outcome, applied to the actor's copy of the store and logged.
void apply_recorded(advertiser_state& st, const transition& t);
/// What it is doing now, for operators.
advertiser_activity activity_of(const advertiser_state& st, int64_t ahead);
/// Whether it may claim here: outside cluster mode always, in it only under
/// a lease the store has not refused.
bool may_claim(const advertiser_state& st);
/// What a hibernated advertiser is doing, as its actor would say if woken
/// (`epoch` is this node's lease on it): a describe does not wake it.
advertiser_activity hibernated_activity(std::shared_ptr<const advertiser_settings> cfg,
                                        advertiser who, std::vector<month_state> months,
                                        int64_t epoch);
/// Nothing in flight and nothing owed: its supervisor may hear of it.
bool at_rest(const advertiser_state& st);
/// At rest, and nothing lives only in the actor (a pending timer, a lost
/// lease, months not known to be the store's): it may hibernate.
bool may_hibernate(const advertiser_state& st);
/// A 63-bit random number from the actor's own stream.
uint64_t next_random(advertiser_state& st);

} // namespace cdp
