#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "domain/advertiser.hpp"
#include "domain/audit.hpp"
#include "domain/cluster.hpp"
#include "domain/errors.hpp"
#include "domain/import_rules.hpp"
#include "domain/month_state.hpp"
#include "domain/views.hpp"
#include "domain/year_month.hpp"

namespace cdp {

// -- transitions (the batched, group-committed path) --------------------------

/// Start an attempt: PENDING, due FAILED (retries left, next_attempt_at
/// reached or unset) or, with `allow_refresh`, COMPLETED → RUNNING. A
/// conditional update: of two concurrent claims exactly one wins. Claiming a
/// FAILED month counts one retry; refreshing a COMPLETED month starts a new
/// run with retry_count 0. A `probe` claims instead a FAILED month with no
/// retries left of a deactivated advertiser, counting no retry, and marks
/// its attempt as a probe.
struct claim_request {
  std::string advertiser_id;
  year_month month;
  /// Node taking the claim, and a token unique to this claim; only the holder
  /// of the token can record the attempt's outcome.
  std::string owner;
  int64_t lease_token = 0;
  /// A COMPLETED month may be run again (live refresh, month-close run),
  /// unless it is closed: no data can come for it any more.
  bool allow_refresh = false;
  /// Insert the month PENDING first when it has no row (an EXISTING
  /// advertiser's new month), with this `max_retries`.
  bool create_if_missing = false;
  int max_retries = 3;
  /// Applies only if this earlier month of the advertiser is COMPLETED by
  /// then: the claim of m+1 that goes out with the completion of m is
  /// refused when that completion is (months run strictly in order).
  std::optional<year_month> after = std::nullopt;
  /// The epoch of `owner`'s lease on the advertiser (see acquire_leases); 0
  /// when it is not leased (one daemon alone).
  int64_t lease_epoch = 0;
  /// A half-open trial of a deactivated advertiser (domain/probe).
  bool probe = false;
};

/// RUNNING → COMPLETED for the holder of `lease_token`, and the advertiser's
/// progress in the same transaction (with `reactivate`, its activation too).
struct complete_request {
  std::string advertiser_id;
  year_month month;
  int64_t lease_token = 0;
  int64_t processed_records = 0;
  int64_t failed_records = 0;
  /// The run started after the month ended: no more data will come for it.
  bool closes_month = false;
  /// The advertiser's cursor after this month (nullopt: unchanged).
  std::optional<year_month> next_cursor;
  /// This was the last backfill month: the advertiser becomes EXISTING.
  bool backfill_done = false;
  /// The lease epoch the claim carried.
  int64_t lease_epoch = 0;
  /// A probe succeeded: the advertiser is active again (its reason cleared).
  bool reactivate = false;
};

/// RUNNING → FAILED for the holder of `lease_token`.
struct fail_request {
  std::string advertiser_id;
  year_month month;
  int64_t lease_token = 0;
  /// Stored cut to 1000 bytes.
  std::string error_message;
  /// When to try again; nullopt when retries are exhausted.
  std::optional<timestamp> next_attempt_at;
  /// Deactivate the advertiser in the same transaction, with this reason.
  std::optional<std::string> deactivate_reason;
  /// The lease epoch the claim carried.
  int64_t lease_epoch = 0;
};

using transition = std::variant<claim_request, complete_request, fail_request>;

/// What became of one transition of a batch. A claim that lost the race or an
/// outcome whose attempt was taken over is `applied = false` with
/// `errc::conflict`, never an exception. Fencing: once an advertiser has a
/// lease, a claim must come from the lease's node with its current epoch, and
/// an outcome must carry the epoch of the lease its claim was made under;
/// anything else is `errc::lease_lost` (the sender lost the advertiser to
/// another node and must drop it).
struct transition_outcome {
  bool applied = false;
  errc code = errc::conflict;
  std::string message;
  /// For an applied claim: the row as it is now (retry_count, started_at, …).
  std::optional<month_state> row;
};

// -- cluster: nodes and advertiser leases ---------------------------------------

/// A daemon announcing itself.
struct node_registration {
  std::string node_id;
  std::string host;
  int64_t pid = 0;
};

// -- cdp-profile job's tables -----------------------------------------------------

/// One raw event in `customer_events`.
struct customer_event {
  int64_t id = 0;
  std::string advertiser_id;
  std::string customer_id;
  timestamp event_time{};
  /// `view` | `click` | `cart` | `purchase`; anything else is rejected.
  std::string event_type;
  std::optional<int64_t> revenue_cents;
};

/// One row of `customer_monthly_profiles`.
struct customer_profile {
  std::string advertiser_id;
  year_month month;
  std::string customer_id;
  int64_t events = 0;
  int64_t purchases = 0;
  int64_t revenue_cents = 0;
  timestamp first_seen{};
  timestamp last_seen{};
};

/// An event the job refused, with why.
struct rejected_event {
  int64_t event_id = 0;
  std::string reason;
};

struct profile_counts {
  int64_t processed_records = 0;
  int64_t failed_records = 0;
};

// -- bulk import ------------------------------------------------------------------

/// What one transaction of a bulk import did.
struct import_outcome {
  int64_t created = 0;
  int64_t skipped = 0;
  std::vector<import_refusal> refused;
  /// The advertisers created, as stored (none in a dry run): they are
  /// started as created ones are.
  std::vector<advertiser> records;
};

/// Why an imported advertiser is inactive (its deactivation reason).
inline constexpr const char* imported_inactive = "imported inactive";

// -- the contract -------------------------------------------------------------------

/// Everything cdpbatch keeps. Calls block and are thread-compatible: one store
/// object per connection, one thread at a time. Every call that changes data
/// runs in one transaction and takes `now` from the caller so tests set time.
/// A call made for someone (an operator, the engine, the demo) takes their
/// `audit_note` and writes its audit row in that transaction: the change and
/// its row are stored together or not at all.
class store {
public:
  virtual ~store() = default;

  /// Applies the versioned migrations the database lacks, in one transaction.
  /// Refuses (errc::schema_too_new) a database migrated by a newer binary.
  virtual status migrate() = 0;
  /// Schema version recorded in the database (0 before migrations).
  virtual expected<int> schema_version() = 0;
  /// A cheap round trip: is the database reachable?
  virtual status ping() = 0;

  // advertisers
  /// A NEW advertiser gets `backfill_months` PENDING rows ending at `current`
  /// (backfill_start_month = current − (backfill_months − 1)); an EXISTING one
  /// gets none. One transaction; errc::conflict if the id exists. Audited
  /// as `create`.
  virtual expected<advertiser> create_advertiser(const new_advertiser& request,
                                                 year_month current, int backfill_months,
                                                 int max_retries, timestamp now,
                                                 const audit_note& note) = 0;
  /// Many advertisers at once, each as create_advertiser makes it, and
  /// `events` (their raw customer events, e.g. a demo's data) with them, all in
  /// one transaction: everything is stored or nothing is. An invalid request is
  /// errc::invalid_argument, an id that exists or repeats errc::conflict, and
  /// then nothing changes. How many advertisers were created; each is
  /// audited as `create`.
  virtual expected<int64_t> create_advertisers(std::span<const new_advertiser> requests,
                                               year_month current, int backfill_months,
                                               int max_retries, timestamp now,
                                               std::span<const customer_event> events,
                                               const audit_note& note) = 0;
  /// One transaction of a bulk import, at most `import_chunk_rows` rows
  /// (each valid as check_import_line makes it): the rows' ids are looked up
  /// and plan_import decides each row; the new advertisers are created as
  /// create_advertiser makes them, those whose row says so inactive (reason
  /// `imported_inactive`). A dry run decides alike and writes nothing. An
  /// id another writer created meanwhile is errc::conflict and nothing of
  /// the part is stored (importing again skips it). Each advertiser created
  /// is audited as `import` done, each row refused as `import` refused.
  virtual expected<import_outcome> import_advertisers(std::span<const import_row> rows,
                                                      year_month current, int backfill_months,
                                                      int max_retries, timestamp now,
                                                      bool dry_run, const audit_note& note) = 0;
  virtual expected<advertiser> get_advertiser(const std::string& id) = 0;
  virtual expected<std::vector<advertiser>> list_advertisers(bool active_only) = 0;
  /// Many advertisers by id in one round trip, in id order; unknown ids
  /// are left out.
  virtual expected<std::vector<advertiser>>
  list_advertisers_for(std::span<const std::string> ids) = 0;
  /// Activating clears the deactivation reason; deactivating an advertiser
  /// that is already inactive keeps the reason it was first deactivated for.
  /// Audited as `activate` or `deactivate`.
  virtual status set_active(const std::string& id, bool active, const std::string& reason,
                            timestamp now, const audit_note& note) = 0;
  /// Repairs type/cursor/last-completed when they drifted from the months.
  virtual status update_advertiser_progress(const std::string& id,
                                            advertiser_type type,
                                            std::optional<year_month> cursor,
                                            std::optional<year_month> last_completed,
                                            bool backfill_completed,
                                            timestamp now) = 0;
  virtual expected<advertiser_counts> count_advertisers() = 0;

  // months
  /// errc::not_found for an unknown advertiser. Oldest month first.
  virtual expected<std::vector<month_state>> list_months(const std::string& id) = 0;
  /// Many advertisers' months in one round trip, grouped by advertiser.
  virtual expected<std::vector<month_state>>
  list_months_for(std::span<const std::string> ids) = 0;
  virtual expected<month_state> get_month(const std::string& id, year_month month) = 0;
  virtual expected<status_counts> count_months_by_status() = 0;
  virtual expected<std::vector<month_state>> running_months() = 0;

  /// Applies the batch in one transaction, in order, and reports each item.
  /// The same (advertiser, month) appears at most once per batch; a claim
  /// whose `after` names a month completed earlier in the batch sees that
  /// completion. The engine's own actions are audited as `engine_caller`: a
  /// probe's claim (`probe`), a failure that deactivates (`deactivate`) and a
  /// probe's completion that reactivates (`activate`).
  virtual expected<std::vector<transition_outcome>>
  apply(std::span<const transition> batch, timestamp now) = 0;

  /// FAILED/COMPLETED/PENDING → PENDING with retry_count 0 and no backoff.
  /// errc::conflict for a RUNNING month, errc::not_found for an unknown one.
  /// Audited as `retry`.
  virtual expected<month_state> manual_retry(const std::string& id, year_month month,
                                             timestamp now, const audit_note& note) = 0;

  // audit trail
  /// An action that changes no stored state (a trigger) or was refused, in
  /// its own transaction.
  virtual status record_audit(const audit_entry& entry) = 0;
  /// Newest first, keyset on seq; `next` when older rows follow.
  virtual expected<audit_page> page_audit(const audit_filter& filter) = 0;
  /// Deletes the rows older than `before` (the retention); how many.
  virtual expected<int64_t> prune_audit(timestamp before) = 0;

  /// One statement: every month RUNNING since before `now − stale_after`
  /// becomes FAILED (an attempt used). `retry_delays[k]` is the delay before
  /// retry k+1; a month with no retries left gets no next attempt.
  virtual expected<std::vector<month_state>>
  reap_stale(timestamp now, std::chrono::milliseconds stale_after,
             std::span<const std::chrono::milliseconds> retry_delays) = 0;

  /// At start: months left RUNNING by an earlier process of node `owner`
  /// go back to PENDING, due at once, their retry count unchanged (a crash
  /// is not the month's failure); their attempts end FAILED "interrupted".
  virtual expected<std::vector<month_state>> recover_node(const std::string& owner,
                                                          timestamp now) = 0;

  virtual expected<std::vector<attempt_record>> list_attempts(const std::string& id,
                                                             year_month month) = 0;
  /// Many advertisers' attempts in one round trip, by advertiser, month and
  /// attempt; unknown ids have none.
  virtual expected<std::vector<attempt_record>>
  list_attempts_for(std::span<const std::string> ids) = 0;

  // operator views: one statement each, never one query per advertiser
  /// Advertisers after `filter.after` in id order, at most `filter.limit`,
  /// each with its lifecycle (as `lifecycle_of` decides it) and its
  /// completed/total months; `next` is the last id when more follow.
  virtual expected<advertiser_page> page_advertisers(const advertiser_filter& filter) = 0;
  /// Every advertiser counted once, by lifecycle.
  virtual expected<lifecycle_counts> count_lifecycles() = 0;
  /// One advertiser's latest attempts, newest first; errc::not_found for an
  /// unknown advertiser.
  virtual expected<std::vector<attempt_record>> recent_attempts(const std::string& id,
                                                               int limit) = 0;
  /// The latest failed attempts of all advertisers, newest first.
  virtual expected<std::vector<attempt_record>> recent_failures(int limit) = 0;

  // cluster: several daemons, one database. Liveness is judged from the
  // heartbeats the nodes write with their own clocks (keep them in sync).
  /// Claims `me.node_id` for this store object's lifetime and records the node
  /// as started and alive now; the leases it held before (a restart) get a
  /// new epoch, so nothing of its previous process records any more.
  /// errc::conflict when a live daemon holds the id: on PostgreSQL a session
  /// lock per node id, which ends with its holder's connection (so a daemon
  /// killed with -9 restarts at once); on SQLite, which is single-node, a lock
  /// on the database file itself, whatever the id.
  virtual status register_node(const node_registration& me, timestamp now) = 0;
  /// Renews the heartbeat of the node registered on this store object; after
  /// a reconnect it takes the node's lock again (errc::conflict when another
  /// daemon took the id meanwhile).
  virtual status heartbeat(timestamp now) = 0;
  /// A clean stop: the node is marked stopped and its leases are freed, so
  /// the other nodes take its advertisers over at once.
  virtual status leave_node(timestamp now) = 0;
  /// Every node that ever registered, by id, with the advertisers it leases
  /// (SQLite: the live node runs them all) and the months it runs; `live`
  /// judged with `lease_ttl`.
  virtual expected<std::vector<node_view>> list_nodes(timestamp now,
                                                      std::chrono::milliseconds lease_ttl) = 0;
  /// What `node_id` sees before balancing: advertisers, live nodes, its
  /// leases, and the leases free or held by nodes that are not live.
  virtual expected<lease_census> count_leases(const std::string& node_id, timestamp now,
                                              std::chrono::milliseconds lease_ttl) = 0;
  /// Takes up to `limit` leases that are free or held by a node that is not
  /// live, each with its epoch raised by one; of two nodes taking the same
  /// advertiser exactly one gets it. The leases taken.
  virtual expected<std::vector<advertiser_lease>>
  acquire_leases(const std::string& node_id, int64_t limit, timestamp now,
                 std::chrono::milliseconds lease_ttl) = 0;
  /// Frees those of `advertiser_ids` that `node_id` leases and that have no
  /// RUNNING month (a claim made under one cannot slip past); the advertisers
  /// freed. A node gives back its surplus this way once their actors drained.
  virtual expected<std::vector<std::string>>
  release_leases(const std::string& node_id, std::span<const std::string> advertiser_ids,
                 timestamp now) = 0;
  /// Every lease `node_id` holds, by advertiser.
  virtual expected<std::vector<advertiser_lease>> list_leases(const std::string& node_id) = 0;
  /// Months RUNNING under a node that stopped or whose heartbeat is older than
  /// `lease_ttl` go back to PENDING, due now, their retry count unchanged, as
  /// in recover_node; months of ids that never registered are left to
  /// reap_stale.
  virtual expected<std::vector<month_state>> reap_dead_nodes(timestamp now,
                                                             std::chrono::milliseconds lease_ttl) = 0;

  // cdp-profile
  virtual status insert_events(std::span<const customer_event> events) = 0;
  /// Rebuilds the month's profiles and rejected events from its raw events in
  /// one transaction (replace, never add), so a rerun never double counts.
  virtual expected<profile_counts> build_monthly_profiles(const std::string& id,
                                                          year_month month) = 0;
  virtual expected<std::vector<customer_profile>> list_profiles(const std::string& id,
                                                                year_month month) = 0;
  virtual expected<std::vector<rejected_event>> list_rejected(const std::string& id,
                                                              year_month month) = 0;

  // conveniences over apply()
  expected<transition_outcome> claim(claim_request r, timestamp now);
  expected<transition_outcome> complete(complete_request r, timestamp now);
  expected<transition_outcome> fail(fail_request r, timestamp now);
};

/// What every backend checks before creating advertisers: each request valid,
/// no id twice, at least one backfill month, no negative retries.
status validate_creation(std::span<const new_advertiser> requests, int backfill_months,
                         int max_retries);

/// What every backend checks before an import's transaction: at most
/// `import_chunk_rows` rows, each valid, and the creation limits.
status validate_import(std::span<const import_row> rows, int backfill_months, int max_retries);

/// What an import transaction reports of its plan (its refusals move into it).
import_outcome outcome_of(import_plan& plan);

/// The page of `rows`, read with one row more than `limit` asked for: that
/// extra row says an older page follows (from the last seq shown).
audit_page audit_page_of(std::vector<audit_entry> rows, int limit);

/// A refused import row as its audit row's error: the row and the reason.
failure import_refusal_failure(const import_refusal& r);

/// The fencing rule both backends apply: a transition from `node` under
/// `epoch` may change an advertiser whose lease is `holder` at `held_epoch`
/// (-1: never leased) only when it is that lease, or epoch 0 for an
/// advertiser that was never leased.
bool lease_allows(const std::string& holder, int64_t held_epoch, const std::string& node,
                  int64_t epoch);
/// Why lease_allows refused, in the words both backends use.
std::string lease_refusal(const std::string& id, const std::string& holder, int64_t held_epoch,
                          const std::string& node, int64_t epoch);

/// Limits every backend honours, so no call blocks forever.
struct store_options {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{5};
  std::chrono::milliseconds statement_timeout = std::chrono::minutes{30};
  /// PostgreSQL: the server ends a session that sits inside a transaction
  /// this long without a statement (0: never). A daemon frozen mid-commit
  /// (stopped, a paused VM) answers TCP keepalives, so without it its row
  /// locks would outlive its lease and block the node that takes over.
  std::chrono::milliseconds idle_in_transaction{0};
  /// SQLite: how long a writer waits for the lock.
  std::chrono::milliseconds busy_timeout = std::chrono::seconds{10};
};

/// Whether several daemons may share the store of `url` (PostgreSQL); SQLite
/// is single-node.
bool store_is_shared(const std::string& url);

/// Opens `sqlite://PATH` or `postgresql://…` (see config's store.url). Does not
/// migrate. errc::store_unavailable when the database cannot be reached,
/// errc::invalid_argument for a URL of another scheme.
expected<std::unique_ptr<store>> open_store(const std::string& url,
                                            const store_options& options = {});

} // namespace cdp
