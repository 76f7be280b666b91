#pragma once

#include <memory>
#include <optional>
#include <string>

#include "persistence/sqlite_db.hpp"
#include "persistence/store.hpp"

namespace cdp::sqlite {

/// The store on one SQLite connection. Its methods live in sqlite_store.cpp
/// (advertisers, schema), sqlite_months.cpp (month reads, retry, reaper),
/// sqlite_views.cpp (the operator's pages and counts), sqlite_audit.cpp (the
/// audit trail), sqlite_import.cpp
/// (bulk import), sqlite_transitions.cpp (the batched claims and outcomes)
/// and sqlite_profiles.cpp (the cdp-profile job's tables).
class sqlite_store final : public store {
public:
  explicit sqlite_store(std::unique_ptr<connection> db) : db_(std::move(db)) {}
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  status migrate() override;
  expected<int> schema_version() override;
  status ping() override;

  expected<advertiser> create_advertiser(const new_advertiser& request, year_month current,
                                         int backfill_months, int max_retries, timestamp now,
                                         const audit_note& note) override;
  expected<int64_t> create_advertisers(std::span<const new_advertiser> requests,
                                       year_month current, int backfill_months, int max_retries,
                                       timestamp now, std::span<const customer_event> events,
                                       const audit_note& note) override;
  expected<import_outcome> import_advertisers(std::span<const import_row> rows,
                                              year_month current, int backfill_months,
                                              int max_retries, timestamp now, bool dry_run,
                                              const audit_note& note) override;
  expected<advertiser> get_advertiser(const std::string& id) override;
  expected<std::vector<advertiser>> list_advertisers(bool active_only) override;
  expected<std::vector<advertiser>>
  list_advertisers_for(std::span<const std::string> ids) override;
  status set_active(const std::string& id, bool active, const std::string& reason,
                    timestamp now, const audit_note& note) override;
  status update_advertiser_progress(const std::string& id, advertiser_type type,
                                    std::optional<year_month> cursor,
                                    std::optional<year_month> last_completed,
                                    bool backfill_completed, timestamp now) override;
  expected<advertiser_counts> count_advertisers() override;

  expected<std::vector<month_state>> list_months(const std::string& id) override;
  expected<std::vector<month_state>> list_months_for(std::span<const std::string> ids) override;
  expected<month_state> get_month(const std::string& id, year_month month) override;
  expected<status_counts> count_months_by_status() override;
  expected<std::vector<month_state>> running_months() override;

  expected<std::vector<transition_outcome>> apply(std::span<const transition> batch,
                                                  timestamp now) override;
  expected<month_state> manual_retry(const std::string& id, year_month month, timestamp now,
                                     const audit_note& note) override;
  status record_audit(const audit_entry& entry) override;
  expected<audit_page> page_audit(const audit_filter& filter) override;
  expected<int64_t> prune_audit(timestamp before) override;
  expected<std::vector<month_state>>
  reap_stale(timestamp now, std::chrono::milliseconds stale_after,
             std::span<const std::chrono::milliseconds> retry_delays) override;
  expected<std::vector<month_state>> recover_node(const std::string& owner,
                                                  timestamp now) override;
  expected<std::vector<attempt_record>> list_attempts(const std::string& id,
                                                      year_month month) override;
  expected<std::vector<attempt_record>>
  list_attempts_for(std::span<const std::string> ids) override;

  expected<advertiser_page> page_advertisers(const advertiser_filter& filter) override;
  expected<lifecycle_counts> count_lifecycles() override;
  expected<std::vector<attempt_record>> recent_attempts(const std::string& id,
                                                       int limit) override;
  expected<std::vector<attempt_record>> recent_failures(int limit) override;

  status insert_events(std::span<const customer_event> events) override;
  expected<profile_counts> build_monthly_profiles(const std::string& id,
                                                  year_month month) override;
  expected<std::vector<customer_profile>> list_profiles(const std::string& id,
                                                        year_month month) override;
  expected<std::vector<rejected_event>> list_rejected(const std::string& id,
                                                      year_month month) override;

  status register_node(const node_registration& me, timestamp now) override;
  status heartbeat(timestamp now) override;
  status leave_node(timestamp now) override;
  expected<std::vector<node_view>> list_nodes(timestamp now,
                                              std::chrono::milliseconds lease_ttl) override;
  expected<lease_census> count_leases(const std::string& node_id, timestamp now,
                                      std::chrono::milliseconds lease_ttl) override;
  expected<std::vector<advertiser_lease>> acquire_leases(const std::string& node_id,
                                                         int64_t limit, timestamp now,
                                                         std::chrono::milliseconds lease_ttl) override;
  expected<std::vector<std::string>> release_leases(const std::string& node_id,
                                                    std::span<const std::string> advertiser_ids,
                                                    timestamp now) override;
  expected<std::vector<advertiser_lease>> list_leases(const std::string& node_id) override;
  expected<std::vector<month_state>> reap_dead_nodes(timestamp now,
                                                     std::chrono::milliseconds lease_ttl) override;

private:
  /// The lock file that keeps a second daemon off this database; throws
  /// errc::conflict naming the daemon that holds it.
  void lock_database_file();
  /// The fencing refusal for a transition from `node` under `epoch`, if the
  /// advertiser's lease forbids it. `leases` says whether the database holds
  /// any lease at all (read once a batch): without one, epoch 0 is always
  /// allowed and the per-advertiser lookups are skipped.
  std::optional<transition_outcome> fence(const std::string& id, const std::string& node,
                                          int64_t epoch, bool leases);
  /// The same for an outcome, whose claim's node is the month's owner.
  std::optional<transition_outcome> fence_outcome(const std::string& id, year_month month,
                                                  int64_t epoch, bool leases);
  /// Whether any advertiser has a lease (a single daemon never leases).
  bool any_lease();
  /// The advertiser and its backfill months, inside the caller's transaction;
  /// throws errc::conflict when the id exists.
  void insert_advertiser(const new_advertiser& request, year_month current, int backfill_months,
                         int max_retries, timestamp now);
  /// One audit row, inside the caller's transaction.
  void insert_audit(const audit_entry& entry);
  /// Raw events, inside the caller's transaction.
  void insert_event_rows(std::span<const customer_event> events);
  transition_outcome claim_one(const claim_request& r, timestamp now, bool leases);
  transition_outcome complete_one(const complete_request& r, timestamp now, bool leases);
  transition_outcome fail_one(const fail_request& r, timestamp now, bool leases);
  /// Why a claim or an outcome did not apply: not_found or conflict, in words.
  transition_outcome explain_loss(const std::string& id, year_month month,
                                  const claim_request* claim, timestamp now);

  /// A lease just taken (inside the caller's transaction): the months still
  /// RUNNING under its earlier epoch are due again, their attempts FAILED.
  void requeue_taken(const std::string& id, timestamp now);
  bool advertiser_exists(const std::string& id);
  std::optional<month_state> find_month(const std::string& id, year_month month);
  /// The not_found failure for `id` (and `month`, when the advertiser exists).
  failure missing(const std::string& id, std::optional<year_month> month);
  /// Marks the RUNNING attempt of a month holding `lease_token` as finished.
  void close_attempt(const std::string& id, year_month month, int64_t lease_token,
                     month_status outcome, const std::string& error, timestamp now);

  std::unique_ptr<connection> db_;
  /// The node registered on this store object, and its lock file (-1: none).
  std::optional<node_registration> node_;
  int lock_fd_ = -1;
};

} // namespace cdp::sqlite
