#pragma once

// The one type-ID block of cdpbatch: every atom and message type the actors
// exchange. Types that only ever travel inside the daemon are whitelisted as
// local (never serialised); anything the console sends over the wire gets an
// `inspect` overload instead.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "domain/advertiser.hpp"
#include "domain/errors.hpp"
#include "domain/month_state.hpp"
#include "jobs/month_job.hpp"
#include "persistence/store.hpp"

namespace cdp {

/// Which queue of the job runners a month waits in: live (EXISTING
/// advertisers' catch-up and current month) is served before backfill.
enum class job_lane : uint8_t { live, backfill };

/// The job runners' load, for status and metrics.
struct pool_stats {
  int core_size = 0;
  int max_size = 0;
  int queue_capacity = 0;
  int runners = 0;
  int busy = 0;
  int queued_live = 0;
  int queued_backfill = 0;
  int reserved = 0;
  int64_t jobs_done = 0;
  int64_t deferrals = 0;
};

/// What one advertiser actor is doing, and why it is not running when it is
/// not.
struct advertiser_activity {
  std::string advertiser_id;
  std::string phase;
  std::string explanation;
};

/// A batch of store transitions and its per-item outcomes (group commit).
using transition_batch = std::vector<transition>;
using outcome_batch = std::vector<transition_outcome>;
using advertiser_list = std::vector<advertiser>;
using month_list = std::vector<month_state>;

} // namespace cdp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::advertiser)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::advertiser_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::month_state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::month_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::new_advertiser)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::year_month)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::transition_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::outcome_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::job_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::job_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::job_lane)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::pool_stats)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::advertiser_activity)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::status_counts)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::advertiser_counts)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::timestamp)

CAF_BEGIN_TYPE_ID_BLOCK(cdpbatch, caf::first_custom_type_id)
  CAF_ADD_ATOM(cdpbatch, cdp, tick_atom, "tick")
  CAF_ADD_ATOM(cdpbatch, cdp, due_atom, "due")
  CAF_ADD_ATOM(cdpbatch, cdp, retry_atom, "retry")
  CAF_ADD_ATOM(cdpbatch, cdp, reserve_atom, "reserve")
  CAF_ADD_ATOM(cdpbatch, cdp, run_atom, "run")
  CAF_ADD_ATOM(cdpbatch, cdp, release_atom, "release")
  CAF_ADD_ATOM(cdpbatch, cdp, slot_atom, "slot")
  CAF_ADD_ATOM(cdpbatch, cdp, stats_atom, "stats")
  CAF_ADD_ATOM(cdpbatch, cdp, sync_atom, "sync")
  CAF_ADD_ATOM(cdpbatch, cdp, trigger_atom, "trigger")
  CAF_ADD_ATOM(cdpbatch, cdp, reaped_atom, "reaped")
  CAF_ADD_ATOM(cdpbatch, cdp, lookup_atom, "lookup")
  CAF_ADD_ATOM(cdpbatch, cdp, drain_atom, "drain")
  CAF_ADD_ATOM(cdpbatch, cdp, flush_atom, "flush")
  CAF_ADD_ATOM(cdpbatch, cdp, restart_atom, "restart")
  CAF_ADD_ATOM(cdpbatch, cdp, reload_atom, "reload")
  CAF_ADD_ATOM(cdpbatch, cdp, activity_atom, "activity")
  CAF_ADD_ATOM(cdpbatch, cdp, list_atom, "list")
  CAF_ADD_ATOM(cdpbatch, cdp, get_atom, "get")
  CAF_ADD_ATOM(cdpbatch, cdp, months_atom, "months")
  CAF_ADD_ATOM(cdpbatch, cdp, activate_atom, "activate")
  CAF_ADD_ATOM(cdpbatch, cdp, promote_atom, "promote")
  CAF_ADD_ATOM(cdpbatch, cdp, reap_atom, "reap")
  CAF_ADD_ATOM(cdpbatch, cdp, running_atom, "running")
  CAF_ADD_ATOM(cdpbatch, cdp, counts_atom, "counts")
  CAF_ADD_ATOM(cdpbatch, cdp, create_atom, "create")
  CAF_ADD_ATOM(cdpbatch, cdp, ping_atom, "ping")
  CAF_ADD_ATOM(cdpbatch, cdp, alive_atom, "alive")
CAF_END_TYPE_ID_BLOCK(cdpbatch)

CAF_ERROR_CODE_ENUM(cdp::errc, "cdp")
