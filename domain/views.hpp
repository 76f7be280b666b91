#pragma once

// What operators see: the read models of the store and the answers of the
// operator actor, shared by the REST API and the admin console. Plain values;
// their JSON lives in api/, their wire encoding in actors/wire.hpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/audit.hpp"
#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"
#include "domain/progress.hpp"
#include "domain/year_month.hpp"

namespace cdp {

// -- read models of the store ----------------------------------------------------

struct status_counts {
  int64_t pending = 0;
  int64_t running = 0;
  int64_t completed = 0;
  int64_t failed = 0;
};

struct advertiser_counts {
  int64_t new_active = 0;
  int64_t new_inactive = 0;
  int64_t existing_active = 0;
  int64_t existing_inactive = 0;
};

/// Advertisers by lifecycle (see `lifecycle_of`).
struct lifecycle_counts {
  int64_t new_advertisers = 0;
  int64_t backfilling = 0;
  int64_t live = 0;
  int64_t degraded = 0;
  int64_t deactivated = 0;
};

/// Adds `n` advertisers of `stage` to `counts`.
void count_in(lifecycle_counts& counts, lifecycle stage, int64_t n);

/// One attempt of one month (attempt history).
struct attempt_record {
  std::string advertiser_id;
  year_month month;
  /// 1-based, counting every attempt the month ever had.
  int attempt = 0;
  timestamp started_at{};
  std::optional<timestamp> finished_at;
  /// RUNNING while the attempt is in flight, then COMPLETED or FAILED.
  month_status outcome = month_status::running;
  std::string error_message;
  /// The node that ran it.
  std::string owner;
  /// A half-open trial of a deactivated advertiser (domain/probe).
  bool probe = false;
};

// -- the engine's own state ------------------------------------------------------

/// The job runners' load, for status and metrics.
struct pool_stats {
  int core_size = 0;
  int max_size = 0;
  int queue_capacity = 0;
  int runners = 0;
  int busy = 0;
  int queued_live = 0;
  int queued_backfill = 0;
  /// Places held by advertisers whose claim is not queued yet.
  int reserved = 0;
  int64_t jobs_done = 0;
  /// Times an advertiser found no free place and waited in line.
  int64_t deferrals = 0;
  /// Advertisers waiting in line for a place, per lane.
  int waiting_live = 0;
  int waiting_backfill = 0;
  /// Runners on backfill jobs (batch.backfill_share guards their number).
  int busy_backfill = 0;
  int64_t jobs_done_backfill = 0;
  /// Refreshes asked for while the same month was queued or running.
  int64_t coalesced = 0;
};

/// What one advertiser's actor is doing now: the engine's half of "why is it
/// not running?" (the store's rows are the other half).
struct advertiser_activity {
  enum class phase : uint8_t {
    /// No actor: inactive, or not handed out by a tick yet.
    not_loaded,
    /// Nothing due until the next tick.
    idle,
    /// Reading its months from the store.
    loading,
    /// Waiting for a runner; `ahead` jobs are before it in its lane.
    queued,
    /// Writing a claim or an outcome.
    recording,
    /// Its job runs: `month`, attempt `attempt` of `max_attempts`, since `since`.
    running,
    /// `month` failed; its next attempt (`attempt` of `max_attempts`) is at `until`.
    backoff,
    /// The store failed it; it tries again at `until`.
    store_trouble,
    /// The daemon drains: it takes no new work.
    draining,
    /// Deactivated; it runs nothing.
    inactive,
  };
  std::string advertiser_id;
  phase now = phase::not_loaded;
  std::optional<year_month> month;
  int attempt = 0;
  int max_attempts = 0;
  std::optional<timestamp> since;
  std::optional<timestamp> until;
  /// Jobs ahead of it in its lane while queued; -1 when unknown.
  int64_t ahead = -1;
  /// One line as the actor sees it.
  std::string explanation;
  /// The running attempt is a half-open probe of a deactivated advertiser.
  bool probe = false;
};

std::string_view to_string(advertiser_activity::phase p);

/// The director's schedule: "idle until the next tick at …".
struct tick_schedule {
  /// nullopt while draining, or before the first tick was handed out.
  std::optional<timestamp> next_tick;
  std::chrono::milliseconds interval{0};
};

// -- the operator's questions and answers ------------------------------------------

/// A page request as the operator typed it; the operator actor validates
/// every field, so REST and console refuse alike.
struct advertiser_query {
  /// "" for any, else NEW, BACKFILLING, LIVE, DEGRADED or DEACTIVATED.
  std::string lifecycle;
  /// "" for any, "true" or "false".
  std::string active;
  /// "" for 100, else 1–1000.
  std::string limit;
  /// Keyset: only ids after this one; "" from the start.
  std::string after;
};

/// A new advertiser as the operator typed it (`type` is NEW or EXISTING).
struct advertiser_request {
  std::string advertiser_id;
  std::string name;
  std::string type;
};

/// An advertiser with its month counts: the backfill-progress answer.
struct advertiser_progress {
  advertiser who;
  backfill_progress progress;
};

/// One row of the advertiser list.
struct advertiser_summary {
  advertiser who;
  lifecycle stage = lifecycle::new_advertiser;
  int completed_months = 0;
  int total_months = 0;
};

/// A checked page query (see `parse_query`): keyset on id.
struct advertiser_filter {
  std::optional<lifecycle> stage;
  std::optional<bool> active;
  /// Only ids after this one; "" from the start.
  std::string after;
  int limit = 100;
};

struct advertiser_page {
  std::vector<advertiser_summary> advertisers;
  /// The id to pass as `after` for the next page; nullopt on the last one.
  std::optional<std::string> next;
};

/// Everything about one advertiser an operator asks at 3 a.m.
struct advertiser_detail {
  advertiser_progress progress;
  lifecycle stage = lifecycle::new_advertiser;
  /// When a backfilling advertiser should finish; nullopt until a month is
  /// done or when it is not backfilling.
  std::optional<timestamp> eta;
  /// The one reason it is not running now, or what it runs.
  std::string why;
  /// Its latest attempts, newest first.
  std::vector<attempt_record> recent_attempts;
  /// Its latest audited actions, newest first.
  std::vector<audit_entry> recent_actions;
};

/// A month whose attempt runs now.
struct running_job {
  std::string advertiser_id;
  year_month month;
  timestamp started_at{};
  int attempt = 0;
  int64_t running_seconds = 0;
  std::string node;
};

/// The whole system at a glance.
struct system_status {
  advertiser_counts advertisers;
  lifecycle_counts lifecycles;
  status_counts months;
  int64_t running_jobs = 0;
  pool_stats pool;
  std::string node;
  timestamp now{};
  /// The director's next schedule tick; nullopt while draining.
  std::optional<timestamp> next_tick;
};

struct component_health {
  std::string name;
  bool up = false;
  std::string detail;
};

/// UP only when every component is.
struct health_report {
  bool up = false;
  std::vector<component_health> components;
  timestamp checked_at{};
  /// The daemon's resident memory.
  int64_t resident_bytes = 0;
  /// Advertisers with a live actor, and those kept packed without one
  /// (actors/hibernation.hpp); -1 when the supervisor did not answer.
  int64_t advertiser_actors = -1;
  int64_t advertisers_hibernated = -1;
};

/// One frame of the console's live view.
struct watch_frame {
  system_status status;
  std::vector<running_job> running;
  /// Backfilling advertisers with their progress and ETA.
  std::vector<advertiser_detail> backfilling;
  /// The latest failed attempts, newest first.
  std::vector<attempt_record> recent_failures;
};

} // namespace cdp
