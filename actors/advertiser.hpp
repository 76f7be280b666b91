#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "domain/clock.hpp"
#include "domain/due_plan.hpp"
#include "domain/retry_policy.hpp"

namespace cdp {

/// What every advertiser actor shares: configuration and the workers it talks to.
struct advertiser_settings {
  std::shared_ptr<const clock> clk;
  retry_policy retry;
  int backfill_months = 24;
  /// This daemon's name on its claims.
  std::string node_id;
  std::chrono::milliseconds job_timeout = std::chrono::minutes{25};
  /// Limit for a store round trip before it counts as failed.
  std::chrono::milliseconds store_timeout = std::chrono::seconds{60};
  committer_actor committer;
  store_reader_actor reader;
  job_pool_actor pool;
};

struct advertiser_state {
  enum class phase { idle, loading, reserving, claiming, running, recording };

  /// The attempt this actor has claimed and not yet recorded.
  struct attempt {
    year_month month;
    run_reason reason = run_reason::live;
    bool closes_month = false;
    int64_t lease_token = 0;
    uint64_t ticket = 0;
    int number = 1;
    timestamp started_at{};
  };

  std::shared_ptr<const advertiser_settings> cfg;
  advertiser who;
  std::vector<month_state> months;
  bool loaded = false;
  phase now = phase::idle;
  std::optional<attempt> in_flight;
  /// An outcome whose recording failed; written again before anything else.
  std::optional<transition> unrecorded;
  /// Timers carry this; a timer with an older number is stale.
  uint64_t timer_generation = 0;
  /// Consecutive store failures, for the reconnect backoff.
  int store_failures = 0;
  /// Consecutive lost claims: stop re-reading after a few until the next tick.
  int lost_claims = 0;
  /// A tick arrived while busy: refresh once the current work is done.
  bool tick_pending = false;
  bool draining = false;
  /// Operator changes (retry, activate) written but not yet answered: a
  /// drain waits for them, so their caller always gets an answer.
  int changes_in_flight = 0;
  /// The pool said "queue full": it waits for `slot_atom`.
  bool deferred = false;
  std::vector<caf::typed_response_promise<bool>> drain_waiters;
  std::string explanation = "starting";
  /// While idle on a timer: what it waits for (backoff or store trouble).
  std::optional<advertiser_activity> waiting;
  std::mt19937_64 random;

  static inline const char* name = "advertiser";
};

/// One advertiser: runs its months strictly in order, one at a time, each
/// state change durable before the next step.
advertiser_actor::behavior_type
advertiser_agent(advertiser_actor::stateful_pointer<advertiser_state> self,
                 std::shared_ptr<const advertiser_settings> cfg, advertiser who);

} // namespace cdp
