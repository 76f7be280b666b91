#pragma once

// The one type-ID block of cdpbatch: every atom and message type the actors
// exchange. Types that only ever travel inside the daemon are whitelisted as
// local (never serialised); everything the admin console may see has an
// `inspect` overload (actors/wire.hpp) and a type ID, whose name is what a
// peer must register too.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "actors/hibernation.hpp"
#include "actors/wire.hpp"
#include "domain/advertiser.hpp"
#include "domain/errors.hpp"
#include "domain/month_state.hpp"
#include "domain/views.hpp"
#include "jobs/month_job.hpp"
#include "persistence/store.hpp"

namespace cdp {

/// Which queue of the job runners a month waits in: live (EXISTING
/// advertisers' catch-up and current month) is served before backfill.
enum class job_lane : uint8_t { live, backfill };

/// A batch of store transitions and its per-item outcomes (group commit).
using transition_batch = std::vector<transition>;
using outcome_batch = std::vector<transition_outcome>;
using advertiser_list = std::vector<advertiser>;
using month_list = std::vector<month_state>;
using attempt_list = std::vector<attempt_record>;
/// Advertiser ids, for reads of many advertisers at once.
using id_list = std::vector<std::string>;
using new_advertiser_list = std::vector<new_advertiser>;
using advertiser_request_list = std::vector<advertiser_request>;
using running_job_list = std::vector<running_job>;
using node_list = std::vector<node_view>;
/// Valid rows of one import transaction, and what it did (inside the daemon).
using import_row_list = std::vector<import_row>;
using audit_list = std::vector<audit_entry>;
/// The leases this node holds now (cluster mode), by advertiser.
using lease_list = std::vector<advertiser_lease>;

} // namespace cdp

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::transition_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::outcome_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::job_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::job_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::job_lane)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::lease_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::import_row_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::import_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::audit_note)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::audit_filter)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cdp::advertiser_rest)

CAF_BEGIN_TYPE_ID_BLOCK(cdpbatch, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::year_month))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_list))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::new_advertiser))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::month_state))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::month_list))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::status_counts))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_counts))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::lifecycle_counts))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::attempt_record))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::attempt_list))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::pool_stats))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_activity))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_query))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_request))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_progress))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_page))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_detail))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::running_job))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::running_job_list))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::system_status))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::health_report))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::watch_frame))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::tick_schedule))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_filter))
  CAF_ADD_ATOM(cdpbatch, cdp, tick_atom, "tick")
  CAF_ADD_ATOM(cdpbatch, cdp, due_atom, "due")
  CAF_ADD_ATOM(cdpbatch, cdp, retry_atom, "retry")
  CAF_ADD_ATOM(cdpbatch, cdp, run_atom, "run")
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
  CAF_ADD_ATOM(cdpbatch, cdp, status_atom, "status")
  CAF_ADD_ATOM(cdpbatch, cdp, describe_atom, "describe")
  CAF_ADD_ATOM(cdpbatch, cdp, progress_atom, "progress")
  CAF_ADD_ATOM(cdpbatch, cdp, attempts_atom, "attempts")
  CAF_ADD_ATOM(cdpbatch, cdp, deactivate_atom, "deactivate")
  CAF_ADD_ATOM(cdpbatch, cdp, health_atom, "health")
  CAF_ADD_ATOM(cdpbatch, cdp, watch_atom, "watch")
  CAF_ADD_ATOM(cdpbatch, cdp, position_atom, "position")
  CAF_ADD_ATOM(cdpbatch, cdp, schedule_atom, "schedule")
  CAF_ADD_ATOM(cdpbatch, cdp, failures_atom, "failures")
  CAF_ADD_ATOM(cdpbatch, cdp, backfilling_atom, "backfills")
  CAF_ADD_ATOM(cdpbatch, cdp, done_atom, "done")
  CAF_ADD_ATOM(cdpbatch, cdp, grow_atom, "grow")
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::node_view))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::node_list))
  CAF_ADD_ATOM(cdpbatch, cdp, nodes_atom, "nodes")
  CAF_ADD_ATOM(cdpbatch, cdp, lease_atom, "lease")
  CAF_ADD_ATOM(cdpbatch, cdp, leave_atom, "leave")
  CAF_ADD_ATOM(cdpbatch, cdp, hello_atom, "hello")
  CAF_ADD_ATOM(cdpbatch, cdp, subscribe_atom, "subscribe")
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::id_list))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::new_advertiser_list))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::advertiser_request_list))
  CAF_ADD_ATOM(cdpbatch, cdp, import_atom, "import")
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::import_batch))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::import_report))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::audit_entry))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::audit_list))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::audit_page))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::audit_query))
  CAF_ADD_TYPE_ID(cdpbatch, (cdp::operator_call))
  CAF_ADD_ATOM(cdpbatch, cdp, audit_atom, "audit")
  CAF_ADD_ATOM(cdpbatch, cdp, prune_atom, "prune")
  CAF_ADD_ATOM(cdpbatch, cdp, hibernate_atom, "hibernate")
CAF_END_TYPE_ID_BLOCK(cdpbatch)

CAF_ERROR_CODE_ENUM(cdp::errc, "cdp")
