#include <string>

#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp::sqlite {

namespace {
namespace sql {

// ?1 advertiser, ?2 month, ?3 max_retries, ?4 now. Only for a known
// advertiser: the claim's conditional update then reports the rest.
constexpr const char* insert_month_if_missing = R"sql(
INSERT INTO advertiser_processing_states (advertiser_id, processing_month, status,
                                          max_retries, created_at, updated_at)
SELECT ?1, ?2, 'PENDING', ?3, ?4, ?4
 WHERE EXISTS (SELECT 1 FROM advertisers WHERE advertiser_id = ?1)
ON CONFLICT (advertiser_id, processing_month) DO NOTHING)sql";

// ?1 advertiser, ?2 month, ?3 now, ?4 owner, ?5 lease token, ?6 allow refresh,
// ?7 the month that must be COMPLETED first (or NULL), ?8 probe. The WHERE
// clause is the whole claimability rule, so of two concurrent claims exactly
// one matches. A retry counts one; a refresh of a COMPLETED month starts a new
// run with all its retries; a probe (of an inactive advertiser only) counts none.
// A claim starts no earlier than the month's last change: `now` was read
// before the batch waited for the write lock, and a reaper may have ended the
// previous attempt meanwhile, later by its clock.
constexpr const char* claim_month = R"sql(
UPDATE advertiser_processing_states
   SET status = 'RUNNING', started_at = max(?3, updated_at), completed_at = NULL,
       next_attempt_at = NULL, owner = ?4, lease_token = ?5,
       retry_count = CASE WHEN ?8 THEN retry_count
                          WHEN status = 'FAILED' THEN retry_count + 1
                          WHEN status = 'COMPLETED' THEN 0 ELSE retry_count END,
       updated_at = max(?3, updated_at)
 WHERE advertiser_id = ?1 AND processing_month = ?2
   AND CASE WHEN ?8 THEN status = 'FAILED' AND retry_count >= max_retries
       ELSE (status = 'PENDING'
             OR (status = 'FAILED' AND retry_count < max_retries
                 AND (next_attempt_at IS NULL OR next_attempt_at <= ?3))
             OR (status = 'COMPLETED' AND ?6 AND NOT closed)) END
   AND EXISTS (SELECT 1 FROM advertisers a
                WHERE a.advertiser_id = ?1 AND a.active = (CASE WHEN ?8 THEN 0 ELSE 1 END))
   AND (?7 IS NULL
        OR EXISTS (SELECT 1 FROM advertiser_processing_states p
                    WHERE p.advertiser_id = ?1 AND p.processing_month = ?7
                      AND p.status = 'COMPLETED'))
RETURNING )sql" CDP_SQLITE_MONTH_COLUMNS;

// ?1 advertiser, ?2 month, ?3 now, ?4 owner, ?5 lease token, ?6 probe.
constexpr const char* insert_attempt = R"sql(
INSERT INTO month_attempts (advertiser_id, processing_month, attempt, started_at, outcome,
                            owner, lease_token, probe)
SELECT ?1, ?2, COALESCE(MAX(attempt), 0) + 1, ?3, 'RUNNING', ?4, ?5, ?6
  FROM month_attempts WHERE advertiser_id = ?1 AND processing_month = ?2)sql";

// ?1 advertiser, ?2 month, ?3 now, ?4 lease token, ?5 processed, ?6 failed,
// ?7 closes the month.
constexpr const char* complete_month = R"sql(
UPDATE advertiser_processing_states
   SET status = 'COMPLETED', completed_at = ?3, processed_records = ?5,
       failed_records = ?6, error_message = NULL, next_attempt_at = NULL,
       closed = (closed OR ?7), updated_at = ?3
 WHERE advertiser_id = ?1 AND processing_month = ?2
   AND status = 'RUNNING' AND lease_token = ?4
RETURNING )sql" CDP_SQLITE_MONTH_COLUMNS;

// ?1 advertiser, ?2 month, ?3 next cursor or NULL, ?4 backfill done, ?5 now.
constexpr const char* advance_advertiser = R"sql(
UPDATE advertisers
   SET last_completed_month = CASE
         WHEN last_completed_month IS NULL OR last_completed_month < ?2 THEN ?2
         ELSE last_completed_month END,
       current_processing_month = COALESCE(?3, current_processing_month),
       advertiser_type = CASE WHEN ?4 THEN 'EXISTING' ELSE advertiser_type END,
       backfill_completed = (backfill_completed OR ?4),
       updated_at = ?5
 WHERE advertiser_id = ?1)sql";

// ?1 advertiser, ?2 month, ?3 now, ?4 lease token, ?5 error, ?6 next attempt.
constexpr const char* fail_month = R"sql(
UPDATE advertiser_processing_states
   SET status = 'FAILED', error_message = ?5, next_attempt_at = ?6, updated_at = ?3
 WHERE advertiser_id = ?1 AND processing_month = ?2
   AND status = 'RUNNING' AND lease_token = ?4
RETURNING )sql" CDP_SQLITE_MONTH_COLUMNS;

constexpr const char* reactivate_advertiser = R"sql(
UPDATE advertisers SET active = 1, deactivation_reason = '', updated_at = ?2
 WHERE advertiser_id = ?1)sql";

constexpr const char* deactivate_advertiser = R"sql(
UPDATE advertisers SET active = 0, deactivation_reason = ?2, updated_at = ?3
 WHERE advertiser_id = ?1)sql";

// ?1 advertiser, ?2 month, ?3 lease token, ?4 outcome, ?5 now, ?6 error.
constexpr const char* finish_attempt = R"sql(
UPDATE month_attempts SET outcome = ?4, finished_at = ?5, error_message = ?6
 WHERE advertiser_id = ?1 AND processing_month = ?2 AND lease_token = ?3
   AND outcome = 'RUNNING')sql";

} // namespace sql

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};

transition_outcome applied(month_state row) {
  transition_outcome out;
  out.applied = true;
  out.message.clear();
  out.row = std::move(row);
  return out;
}

transition_outcome lost(errc code, std::string message) {
  transition_outcome out;
  out.code = code;
  out.message = std::move(message);
  return out;
}

/// Why the claimability rule refused a month that exists.
std::string claim_refusal(const month_state& row, timestamp now) {
  switch (row.status) {
    case month_status::running:
      return "is RUNNING (owner '" + row.owner + "')";
    case month_status::completed:
      return row.closed ? "is COMPLETED and closed (run after the month ended)"
                        : "is COMPLETED and a refresh was not asked for";
    case month_status::failed:
      if (row.retry_count >= row.max_retries)
        return "is FAILED with no retries left (" + std::to_string(row.retry_count) + " of "
               + std::to_string(row.max_retries) + " used)";
      if (row.next_attempt_at && *row.next_attempt_at > now)
        return "is FAILED and in backoff until " + to_iso8601(*row.next_attempt_at);
      break;
    case month_status::pending: break;
  }
  return "is " + std::string{to_string(row.status)} + " and could not be claimed";
}

} // namespace

expected<std::vector<transition_outcome>> sqlite_store::apply(std::span<const transition> batch,
                                                              timestamp now) {
  return guarded([&]() -> expected<std::vector<transition_outcome>> {
    std::vector<transition_outcome> outcomes;
    outcomes.reserve(batch.size());
    write_transaction tx{*db_};
    auto leases = any_lease();
    for (const auto& item : batch)
      outcomes.push_back(std::visit(
        overloaded{
          [&](const claim_request& r) { return claim_one(r, now, leases); },
          [&](const complete_request& r) { return complete_one(r, now, leases); },
          [&](const fail_request& r) { return fail_one(r, now, leases); },
        },
        item));
    tx.commit();
    return outcomes;
  });
}

transition_outcome sqlite_store::claim_one(const claim_request& r, timestamp now, bool leases) {
  if (auto refused = fence(r.advertiser_id, r.owner, r.lease_epoch, leases))
    return *refused;
  if (r.create_if_missing)
    db_->prepare(sql::insert_month_if_missing)
      .bind(1, r.advertiser_id)
      .bind(2, r.month)
      .bind(3, r.max_retries)
      .bind(4, now)
      .run();
  std::optional<month_state> row;
  {
    auto q = db_->prepare(sql::claim_month);
    q.bind(1, r.advertiser_id).bind(2, r.month).bind(3, now).bind(4, r.owner);
    q.bind(5, r.lease_token).bind(6, r.allow_refresh).bind(7, r.after).bind(8, r.probe);
    if (q.step())
      row = read_month_state(q);
  }
  if (!row)
    return explain_loss(r.advertiser_id, r.month, &r, now);
  db_->prepare(sql::insert_attempt)
    .bind(1, r.advertiser_id)
    .bind(2, r.month)
    .bind(3, row->started_at.value_or(now))
    .bind(4, r.owner)
    .bind(5, r.lease_token)
    .bind(6, r.probe)
    .run();
  if (r.probe)
    insert_audit(audit_of(audit_action::probe, {engine_caller, probe_reason, r.owner},
                          r.advertiser_id, r.month, now));
  return applied(std::move(*row));
}

transition_outcome sqlite_store::complete_one(const complete_request& r, timestamp now,
                                              bool leases) {
  if (auto refused = fence_outcome(r.advertiser_id, r.month, r.lease_epoch, leases))
    return *refused;
  std::optional<month_state> row;
  {
    auto q = db_->prepare(sql::complete_month);
    q.bind(1, r.advertiser_id).bind(2, r.month).bind(3, now).bind(4, r.lease_token);
    q.bind(5, r.processed_records).bind(6, r.failed_records).bind(7, r.closes_month);
    if (q.step())
      row = read_month_state(q);
  }
  if (!row)
    return explain_loss(r.advertiser_id, r.month, nullptr, now);
  close_attempt(r.advertiser_id, r.month, r.lease_token, month_status::completed, "", now);
  db_->prepare(sql::advance_advertiser)
    .bind(1, r.advertiser_id)
    .bind(2, r.month)
    .bind(3, r.next_cursor)
    .bind(4, r.backfill_done)
    .bind(5, now)
    .run();
  if (r.reactivate) {
    db_->prepare(sql::reactivate_advertiser).bind(1, r.advertiser_id).bind(2, now).run();
    insert_audit(audit_of(audit_action::activate, {engine_caller, probe_success_reason, row->owner},
                          r.advertiser_id, r.month, now));
  }
  return applied(std::move(*row));
}

transition_outcome sqlite_store::fail_one(const fail_request& r, timestamp now, bool leases) {
  if (auto refused = fence_outcome(r.advertiser_id, r.month, r.lease_epoch, leases))
    return *refused;
  auto error = truncate_error_message(r.error_message);
  std::optional<month_state> row;
  {
    auto q = db_->prepare(sql::fail_month);
    q.bind(1, r.advertiser_id).bind(2, r.month).bind(3, now).bind(4, r.lease_token);
    q.bind(5, error).bind(6, r.next_attempt_at);
    if (q.step())
      row = read_month_state(q);
  }
  if (!row)
    return explain_loss(r.advertiser_id, r.month, nullptr, now);
  close_attempt(r.advertiser_id, r.month, r.lease_token, month_status::failed, error, now);
  if (r.deactivate_reason) {
    db_->prepare(sql::deactivate_advertiser)
      .bind(1, r.advertiser_id)
      .bind(2, *r.deactivate_reason)
      .bind(3, now)
      .run();
    insert_audit(audit_of(audit_action::deactivate,
                          {engine_caller, *r.deactivate_reason, row->owner}, r.advertiser_id,
                          r.month, now));
  }
  return applied(std::move(*row));
}

std::optional<transition_outcome> sqlite_store::fence_outcome(const std::string& id,
                                                              year_month month, int64_t epoch,
                                                              bool leases) {
  if (!leases && epoch == 0)
    return std::nullopt;
  // The month's owner made the claim; without a month row the outcome is
  // refused for that reason instead.
  auto row = find_month(id, month);
  if (!row)
    return std::nullopt;
  return fence(id, row->owner, epoch, leases);
}

void sqlite_store::close_attempt(const std::string& id, year_month month, int64_t lease_token,
                                 month_status outcome, const std::string& error,
                                 timestamp now) {
  auto q = db_->prepare(sql::finish_attempt);
  q.bind(1, id).bind(2, month).bind(3, lease_token).bind(4, to_string(outcome)).bind(5, now);
  if (error.empty())
    q.bind_null(6);
  else
    q.bind(6, error);
  q.run();
}

transition_outcome sqlite_store::explain_loss(const std::string& id, year_month month,
                                              const claim_request* claim, timestamp now) {
  auto row = find_month(id, month);
  if (!row)
    return lost(errc::not_found, missing(id, month).message);
  auto subject = "advertiser '" + id + "' month " + month.to_string() + " ";
  if (claim == nullptr) {
    if (row->status == month_status::running)
      return lost(errc::conflict, subject + "is RUNNING under another lease (owner '"
                                    + row->owner + "'): this attempt's outcome is not recorded");
    return lost(errc::conflict, subject + "is " + std::string{to_string(row->status)}
                                  + ", not RUNNING: this attempt's outcome is not recorded");
  }
  if (claim->after) {
    auto before = find_month(id, *claim->after);
    if (!before || before->status != month_status::completed)
      return lost(errc::conflict, subject + "waits for " + claim->after->to_string()
                                    + ", which is not COMPLETED");
  }
  auto who = get_advertiser(id);
  if (who && who->active && claim->probe)
    return lost(errc::conflict, "advertiser '" + id + "' is active again: its month "
                                  + month.to_string() + " is not probed");
  if (claim->probe)
    return lost(errc::conflict, subject + "is " + std::string{to_string(row->status)}
                                  + ": only a FAILED month with no retries left is probed");
  if (who && !who->active)
    return lost(errc::conflict, "advertiser '" + id + "' is deactivated ("
                                  + who->deactivation_reason + "): its month "
                                  + month.to_string() + " (" + std::string{to_string(row->status)}
                                  + ") cannot be claimed until it is activated");
  return lost(errc::conflict, subject + claim_refusal(*row, now));
}

} // namespace cdp::sqlite
