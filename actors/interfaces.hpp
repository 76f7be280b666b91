#pragma once

// Every actor interface of cdpbatch in one place. Handlers marked "internal"
// are messages an actor sends itself (timers); nobody else should.

#include <cstdint>
#include <string>

#include "caf/all.hpp"

#include "actors/type_ids.hpp"

namespace cdp {

/// Persistence worker that applies transitions in group commits: requests that
/// arrive while a transaction runs are applied together in the next one.
using committer_actor = caf::typed_actor<
  /// Applies the transitions; one outcome per item, in order.
  caf::replies_to<transition_batch>::with<outcome_batch>,
  /// Internal: commit what has accumulated.
  caf::reacts_to<flush_atom>>;

/// Persistence worker for reads and operator changes, on its own connection.
using store_reader_actor = caf::typed_actor<
  /// Advertisers, only the active ones when the flag is set.
  caf::replies_to<list_atom, bool>::with<advertiser_list>,
  /// One advertiser (errc::not_found).
  caf::replies_to<get_atom, std::string>::with<advertiser>,
  /// Many advertisers by id, in id order; unknown ids are left out.
  caf::replies_to<get_atom, id_list>::with<advertiser_list>,
  /// One advertiser's months, oldest first.
  caf::replies_to<months_atom, std::string>::with<month_list>,
  /// Many advertisers' months in one read, grouped by advertiser.
  caf::replies_to<months_atom, id_list>::with<month_list>,
  /// Many advertisers' attempts in one read, by advertiser, month, attempt.
  caf::replies_to<attempts_atom, id_list>::with<attempt_list>,
  /// Activates (true) or deactivates (false, with a reason), audited as the
  /// note says; the new record.
  caf::replies_to<activate_atom, std::string, bool, std::string, audit_note>::with<advertiser>,
  /// Records that a NEW advertiser finished its backfill.
  caf::replies_to<promote_atom, std::string>::with<advertiser>,
  /// Fails months RUNNING for too long (the reaper's statement).
  caf::replies_to<reap_atom>::with<month_list>,
  /// Months RUNNING now, anywhere.
  caf::replies_to<running_atom>::with<month_list>,
  /// Resets one month for a manual retry, audited as the note says.
  caf::replies_to<retry_atom, std::string, year_month, audit_note>::with<month_state>,
  /// Creates an advertiser (with its backfill months when NEW), audited.
  caf::replies_to<create_atom, new_advertiser, audit_note>::with<advertiser>,
  /// Creates many in one transaction, all or none, audited; the records as
  /// stored.
  caf::replies_to<create_atom, new_advertiser_list, audit_note>::with<advertiser_list>,
  /// One import transaction (rows, dry run), audited: store::import_advertisers.
  caf::replies_to<import_atom, import_row_list, bool, audit_note>::with<import_outcome>,
  /// Records an action that changed nothing stored (a trigger, a refusal).
  caf::replies_to<audit_atom, audit_entry>::with<bool>,
  /// One page of the audit trail, newest first.
  caf::replies_to<audit_atom, audit_filter>::with<audit_page>,
  /// Deletes the audit rows older than the instant (the retention); how many.
  caf::replies_to<prune_atom, timestamp>::with<int64_t>,
  /// Is the store reachable?
  caf::replies_to<ping_atom>::with<bool>,
  /// One page of advertisers with their lifecycle (one query).
  caf::replies_to<list_atom, advertiser_filter>::with<advertiser_page>,
  /// Months by status, advertisers by type/activity and by lifecycle.
  caf::replies_to<status_atom>::with<status_counts, advertiser_counts, lifecycle_counts>,
  /// One advertiser, its months, its latest `n` attempts and its latest `n`
  /// audited actions (errc::not_found).
  caf::replies_to<describe_atom, std::string,
                  int32_t>::with<advertiser, month_list, attempt_list, audit_list>,
  /// One month of one advertiser (errc::not_found naming what is missing).
  caf::replies_to<get_atom, std::string, year_month>::with<month_state>,
  /// One month's attempt history, oldest first.
  caf::replies_to<attempts_atom, std::string, year_month>::with<attempt_list>,
  /// The latest `n` failed attempts of all advertisers, newest first.
  caf::replies_to<failures_atom, int32_t>::with<attempt_list>,
  /// Up to `n` backfilling advertisers and their months (two queries).
  caf::replies_to<backfilling_atom, int32_t>::with<advertiser_list, month_list>,
  /// The daemons sharing the store (the cluster view).
  caf::replies_to<nodes_atom>::with<node_list>>;

/// Runs one job at a time on its own thread: it pulls the next job from the
/// runners' queue (actors/job_queue.hpp) and tells the job's advertiser the
/// result itself.
using job_runner_actor = caf::typed_actor<
  /// Internal: take the next job (or look at the mailbox after an idle wait).
  caf::reacts_to<run_atom>>;

/// Owns the job runners: starts `core-size`, adds one while jobs wait and
/// every runner is busy (up to `max-size`), and gives up on a runner whose
/// job outlived its timeout. Jobs never pass through it.
using job_pool_actor = caf::typed_actor<
  /// Every runner is busy and jobs wait: one more runner, up to max-size.
  caf::reacts_to<grow_atom>,
  caf::replies_to<stats_atom>::with<pool_stats>,
  /// While the sender (the advertiser with this id) waits, how many jobs and
  /// waiting advertisers are ahead of it in its lane; -1 when its job is on a
  /// runner or it waits for nothing here.
  caf::replies_to<position_atom, std::string>::with<int64_t>,
  /// Internal: look for runners stuck past their job's timeout (generation).
  caf::reacts_to<tick_atom, uint64_t>>;

/// One advertiser: its cursor, its in-flight attempt, its retry timer.
using advertiser_actor = caf::typed_actor<
  /// Run what is due now; carries the advertiser's current record.
  caf::reacts_to<due_atom, advertiser>,
  /// A place in the runners' queue is its own now (it waited in line).
  caf::reacts_to<slot_atom>,
  /// Its job ended (lease token of the attempt, result), from the runner.
  caf::reacts_to<done_atom, int64_t, job_result>,
  /// Reread the months from the store (an operator changed them).
  caf::reacts_to<reload_atom>,
  /// The reaper failed one of this advertiser's months.
  caf::reacts_to<reaped_atom, year_month>,
  /// An operator's manual retry: resets the month in the store (its retry
  /// count too, audited as the note says) and runs what is due now; the
  /// month's new row.
  caf::replies_to<retry_atom, year_month, audit_note>::with<month_state>,
  /// An operator activates (true) or deactivates (false, with a reason),
  /// audited as the note says: no new claim from now on when false, what is
  /// due runs now when true; a running attempt finishes and is recorded
  /// either way. The new record.
  caf::replies_to<activate_atom, bool, std::string, audit_note>::with<advertiser>,
  /// What it is doing, or why it is not running.
  caf::replies_to<activity_atom>::with<advertiser_activity>,
  /// Take no new work; answers once nothing is in flight.
  caf::replies_to<drain_atom>::with<bool>,
  /// This node's lease on the advertiser has a new epoch: claims carry it.
  caf::reacts_to<lease_atom, int64_t>,
  /// Internal: a retry or backoff timer fired (generation number).
  caf::reacts_to<retry_atom, uint64_t>>;

/// Owns the advertiser actors: spawns, monitors and restarts them.
using supervisor_actor = caf::typed_actor<
  /// Tells every listed advertiser what is due, starting actors for those
  /// without one; answers (with how many were listed) once all are told or,
  /// hibernated, in line to be woken (a bounded number at a time).
  caf::replies_to<sync_atom, advertiser_list>::with<int64_t>,
  /// The same for one advertiser (manual trigger).
  caf::reacts_to<due_atom, advertiser>,
  /// The same for some advertisers outside a tick (leases just taken): none
  /// of the others is retired.
  caf::reacts_to<due_atom, advertiser_list>,
  /// Creates an advertiser and gives it its actor at once, so it is picked up
  /// now rather than at the next tick. errc::conflict when it exists. Every
  /// change here is audited as its note says.
  caf::replies_to<create_atom, new_advertiser, audit_note>::with<advertiser>,
  /// Creates many in one transaction (refused while draining) and gives
  /// them their actors at once, their months read in bulk; how many.
  caf::replies_to<create_atom, new_advertiser_list, audit_note>::with<int64_t>,
  /// One import transaction (rows, dry run; refused while draining); the
  /// active advertisers it created get their actors at once, as created ones.
  caf::replies_to<import_atom, import_row_list, bool, audit_note>::with<import_outcome>,
  /// A manual retry of one month (id, month), through the advertiser's actor
  /// when it has one so that actor never works from a stale copy.
  caf::replies_to<retry_atom, std::string, year_month, audit_note>::with<month_state>,
  /// Activates or deactivates one advertiser (id, active, reason), through
  /// its actor when it has one; an activated advertiser without one gets one.
  caf::replies_to<activate_atom, std::string, bool, std::string, audit_note>::with<advertiser>,
  /// Tells the owners of reaped months.
  caf::reacts_to<reaped_atom, month_list>,
  /// Tells one advertiser to reread its months.
  caf::reacts_to<reload_atom, std::string>,
  /// The actor of one advertiser (errc::not_found when it has none).
  caf::replies_to<lookup_atom, std::string>::with<advertiser_actor>,
  /// What one advertiser is doing.
  caf::replies_to<activity_atom, std::string>::with<advertiser_activity>,
  /// Drains every advertiser; answers with how many there were.
  caf::replies_to<drain_atom>::with<int64_t>,
  /// How many advertiser actors are alive (hibernated advertisers have none).
  /// Advertisers with a live actor, and those without one.
  caf::replies_to<alive_atom>::with<int64_t, int64_t>,
  /// Cluster mode: the leases this node holds now. Only leased advertisers
  /// get an actor; one whose lease went elsewhere is drained and stopped.
  /// Answers whether it holds leases of advertisers that have no actor yet
  /// (the director's next tick gives them one).
  caf::replies_to<lease_atom, lease_list>::with<bool>,
  /// Cluster mode: what changed since the last list, leases taken (with
  /// their epochs) and leases gone; the others stand. Answers the taken
  /// ones that have no actor yet, for the director to hand out.
  caf::replies_to<lease_atom, lease_list, id_list>::with<id_list>,
  /// Internal: restart a crashed advertiser after its backoff.
  caf::reacts_to<restart_atom, std::string>,
  /// Internal: an advertiser's actor is at rest (actors/hibernation.hpp).
  caf::reacts_to<hibernate_atom, advertiser_rest>>;

/// Fires the schedule tick and routes manual triggers.
using director_actor = caf::typed_actor<
  /// Internal: the schedule tick (generation number).
  caf::reacts_to<tick_atom, uint64_t>,
  /// Runs what is due for one advertiser now.
  caf::replies_to<trigger_atom, std::string>::with<advertiser>,
  /// When the next schedule tick fires.
  caf::replies_to<schedule_atom>::with<tick_schedule>,
  /// Ticks now (this node's leases were listed anew).
  caf::reacts_to<sync_atom>,
  /// Hands out these advertisers now, outside the tick (this node took
  /// their leases).
  caf::reacts_to<sync_atom, id_list>,
  /// Stops ticking and drains the advertisers.
  caf::replies_to<drain_atom>::with<int64_t>>;

/// Fails jobs stuck in RUNNING.
using reaper_actor = caf::typed_actor<
  /// Internal: the reaper's period (generation number).
  caf::reacts_to<tick_atom, uint64_t>,
  /// Reaps now; the months it failed.
  caf::replies_to<reap_atom>::with<month_list>>;

/// This daemon's membership: heartbeat and, when several daemons share the
/// store, lease balancing. Spawned detached with the store connection the
/// node registered on (on PostgreSQL its session holds the node id).
using node_actor = caf::typed_actor<
  /// Internal: the heartbeat period (generation number).
  caf::reacts_to<tick_atom, uint64_t>,
  /// Leaves the cluster (after a drain): marked stopped, leases freed.
  caf::replies_to<leave_atom>::with<bool>>;

/// Every operation an operator has, for the REST API and the admin console
/// alike, so the two can never disagree. It validates what the operator typed
/// (ids, months, query fields), checks the API token on mutations, asks the
/// engine's actors (never writing the store behind their back) and answers a
/// view or an error: errc::invalid_argument, unauthorized, not_found,
/// conflict, or timeout / store_unavailable / shutting_down when it cannot
/// answer now. Mutations take the caller's `operator_call` first (token and
/// reason) and are audited, refused ones too.
using operator_actor = caf::typed_actor<
  /// The whole system: advertisers, lifecycles, months, running jobs, runners.
  caf::replies_to<status_atom>::with<system_status>,
  /// One page of advertisers with their lifecycle.
  caf::replies_to<list_atom, advertiser_query>::with<advertiser_page>,
  /// One advertiser: progress, lifecycle, ETA, why, latest attempts and
  /// actions.
  caf::replies_to<describe_atom, std::string>::with<advertiser_detail>,
  /// One page of the audit trail, newest first.
  caf::replies_to<audit_atom, audit_query>::with<audit_page>,
  /// One advertiser's backfill progress.
  caf::replies_to<progress_atom, std::string>::with<advertiser_progress>,
  /// One advertiser's month rows, oldest first.
  caf::replies_to<months_atom, std::string>::with<month_list>,
  /// Attempts running now, anywhere.
  caf::replies_to<running_atom>::with<running_job_list>,
  /// One month's attempt history (id, month), oldest first.
  caf::replies_to<attempts_atom, std::string, std::string>::with<attempt_list>,
  /// Creates an advertiser (call, request); it is picked up at once.
  caf::replies_to<create_atom, operator_call, advertiser_request>::with<advertiser_progress>,
  /// Creates many advertisers in one transaction, all or none (call, at most
  /// `max_bulk_create` requests); how many. They are picked up at once.
  caf::replies_to<create_atom, operator_call, advertiser_request_list>::with<int64_t>,
  /// One part of a bulk import (call, at most `import_chunk_rows` lines):
  /// each line checked, then one store transaction; what it did. A dry run
  /// decides alike and writes nothing.
  caf::replies_to<import_atom, operator_call, import_batch>::with<import_report>,
  /// Many advertisers' month rows (at most `max_ids_per_read` ids), grouped
  /// by advertiser, oldest first; unknown ids have none.
  caf::replies_to<months_atom, id_list>::with<month_list>,
  /// Many advertisers' attempts (at most `max_ids_per_read` ids), by
  /// advertiser, month and attempt: what a load tester measures a run by.
  caf::replies_to<attempts_atom, id_list>::with<attempt_list>,
  /// Runs what is due for one advertiser now (call, id).
  caf::replies_to<trigger_atom, operator_call, std::string>::with<advertiser_progress>,
  /// Resets one month's retries and runs it now (call, id, month).
  caf::replies_to<retry_atom, operator_call, std::string, std::string>::with<month_state>,
  /// Activates an advertiser (call, id): it resumes at its stored cursor.
  caf::replies_to<activate_atom, operator_call, std::string>::with<advertiser_progress>,
  /// Deactivates an advertiser (call with a reason, id): no new claims; a
  /// running attempt finishes and is recorded.
  caf::replies_to<deactivate_atom, operator_call, std::string>::with<advertiser_progress>,
  /// Store, director, supervisor and runners, each reported.
  caf::replies_to<health_atom>::with<health_report>,
  /// One frame of the console's live view.
  caf::replies_to<watch_atom>::with<watch_frame>,
  /// The daemons sharing the store: heartbeat age, advertisers, running jobs.
  caf::replies_to<nodes_atom>::with<node_list>>;

/// The admin console's protocol: `admin_actor`, the wire layout of every
/// value it carries (actors/wire.hpp) and their type names. Any change to
/// one of them is a new version.
inline constexpr uint32_t admin_protocol_version = 7;

/// A watching console, as the admin actor sees it: what it pushes.
using watch_console_actor = caf::typed_actor<
  /// The next frame.
  caf::reacts_to<watch_atom, watch_frame>,
  /// Why there is no frame this time; the watch goes on.
  caf::reacts_to<watch_atom, caf::error>>;

/// The endpoint cdpctl talks to, published on `admin.listen`: the operator's
/// operations, forwarded to the operator actor so the console and the REST
/// API answer alike, plus the console's hello and its watch subscription.
/// Anyone who reaches the port can send it anything, so it holds no handle
/// but the operator's and keeps no state a peer could grow without bound.
using admin_actor = operator_actor::extend<
  /// The console's first request, with the protocol version it speaks: the
  /// daemon's version, or errc::incompatible_protocol naming both. Consoles
  /// connect untyped and say hello first, because CAF refuses a typed
  /// remote_actor whose interface differs without saying which side is older.
  caf::replies_to<hello_atom, uint32_t>::with<uint32_t>,
  /// Subscribes the sender (a `watch_console_actor`) to a frame every
  /// interval (ms) until it disconnects. Answers with the first frame.
  caf::replies_to<subscribe_atom, int64_t>::with<watch_frame>,
  /// Internal: the next frame of one subscription (its id, its generation).
  caf::reacts_to<tick_atom, uint64_t, uint64_t>>;

/// Watches the admin port's connections for handshake deadlines.
using admin_guard_actor = caf::typed_actor<
  /// Internal: time to look again.
  caf::reacts_to<tick_atom>>;

} // namespace cdp
