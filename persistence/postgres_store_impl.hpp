#pragma once

// Private to the PostgreSQL store: the class behind open_postgres_store. Its
// members are defined by topic in postgres_store.cpp (advertisers, schema),
// postgres_months.cpp (month reads, retry, reaper), postgres_views.cpp (the
// operator's pages and counts), postgres_import.cpp (bulk import),
// postgres_transitions.cpp (the batched apply) and postgres_profiles.cpp (the
// cdp-profile tables).

#include <memory>
#include <optional>

#include "persistence/pg_connection.hpp"
#include "persistence/store.hpp"

namespace cdp {

class postgres_store final : public store {
public:
  explicit postgres_store(std::unique_ptr<pg::connection> conn) : conn_(std::move(conn)) {}

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
  expected<std::vector<month_state>>
  list_months_for(std::span<const std::string> ids) override;
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
  /// Takes the session lock on the registered node id unless this session
  /// holds it already, trying for up to `patience`; errc::conflict naming the
  /// live holder. When `renewing` after a reconnect, a lock still held by
  /// this very daemon's old session is store_unavailable (wait), not a rival.
  status lock_node(timestamp now, std::chrono::milliseconds patience, bool renewing);
  /// One statement's worth of a bulk creation, inside the caller's transaction.
  status insert_advertiser_chunk(std::span<const new_advertiser> chunk, year_month current,
                                 int backfill_months, int max_retries, timestamp now);
  /// Audit rows in one statement, inside the caller's transaction.
  status insert_audits(std::span<const audit_entry> entries);
  /// Raw events, inside the caller's transaction.
  status insert_event_rows(std::span<const customer_event> events);
  /// Has the lease table analyzed once the leases taken have doubled since.
  void analyze_grown_leases(int64_t just_taken);
  /// errc::not_found naming what is missing: the advertiser, or its month.
  failure missing_month(const std::string& id, year_month month);
  /// ready() then `body`, outside a transaction (single-statement reads).
  template <class F>
  auto call(F&& body) -> decltype(body()) {
    if (auto r = conn_->ready(); !r)
      return std::move(r).error();
    return body();
  }

  std::unique_ptr<pg::connection> conn_;
  /// The node registered on this connection, and the session that holds its lock.
  std::optional<node_registration> node_;
  uint64_t locked_session_ = 0;
  /// Where this node's next pick of leases goes on in advertiser id order
  /// (empty: the first pick, in an order of this node's own).
  std::string lease_cursor_;
  /// Leases this store took in all, and when it last had their table analyzed.
  int64_t leases_taken_ = 0;
  int64_t leases_analyzed_at_ = 0;
};

/// errc::not_found for an advertiser id.
failure unknown_advertiser(const std::string& id);

} // namespace cdp
