// Month reads, the manual retry, the reaper and node recovery.
#include "domain/duration.hpp"
#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

constexpr query select_months{
  "cdp_select_months",
  "SELECT " CDP_PG_MONTH_COLUMNS " FROM advertiser_processing_states s"
  " WHERE s.advertiser_id = $1::text ORDER BY s.processing_month"};

constexpr query select_months_for{
  "cdp_select_months_for",
  "SELECT " CDP_PG_MONTH_COLUMNS " FROM advertiser_processing_states s"
  " WHERE s.advertiser_id = ANY ($1::text[]) ORDER BY s.advertiser_id, s.processing_month"};

constexpr query select_month{
  "cdp_select_month",
  "SELECT " CDP_PG_MONTH_COLUMNS " FROM advertiser_processing_states s"
  " WHERE s.advertiser_id = $1::text AND s.processing_month = $2::text"};

constexpr query advertiser_exists{
  "cdp_advertiser_exists",
  "SELECT EXISTS (SELECT 1 FROM advertisers WHERE advertiser_id = $1::text)"};

constexpr query count_by_status{
  "cdp_count_by_status",
  "SELECT status, count(*) FROM advertiser_processing_states GROUP BY status"};

constexpr query select_running{
  "cdp_select_running",
  "SELECT " CDP_PG_MONTH_COLUMNS " FROM advertiser_processing_states s"
  " WHERE s.status = 'RUNNING' ORDER BY s.started_at, s.advertiser_id, s.processing_month"};

constexpr query reset_for_retry{
  "cdp_reset_for_retry",
  "UPDATE advertiser_processing_states s SET status = 'PENDING', retry_count = 0,"
  " next_attempt_at = NULL, updated_at = cdp_ts($3::bigint)"
  " WHERE s.advertiser_id = $1::text AND s.processing_month = $2::text"
  " AND s.status <> 'RUNNING'"
  " RETURNING " CDP_PG_MONTH_COLUMNS};

// The reaper, in one statement. A month that has used r retries waits
// $4[r + 1] (PostgreSQL arrays count from 1; the last delay repeats) unless
// it has none left. Its open attempt row is closed in the same statement (the
// outcome test is a CASE for the reason given in postgres_transitions.cpp).
constexpr query reap{
  "cdp_reap",
  "WITH reaped AS ("
  " UPDATE advertiser_processing_states s SET status = 'FAILED',"
  "  error_message = $3::text,"
  "  next_attempt_at = CASE WHEN s.retry_count >= s.max_retries THEN NULL"
  "   ELSE cdp_ts($1::bigint + coalesce(($4::bigint[])[least(s.retry_count + 1,"
  "                                       cardinality($4::bigint[]))], 0)) END,"
  "  updated_at = cdp_ts($1::bigint)"
  " WHERE s.status = 'RUNNING' AND s.started_at < cdp_ts($2::bigint)"
  " RETURNING " CDP_PG_MONTH_COLUMNS "),"
  " closed AS ("
  CDP_PG_FAIL_ENDED_ATTEMPTS("reaped", "$1::bigint", "$3::text") ")"
  " SELECT * FROM reaped ORDER BY advertiser_id, processing_month"};

// A restarted node's leftovers: due again at once with their retry counts
// (the node's crash is not the months' failure: a kill -9 can catch every
// claimed job of the queue, started or not); their attempts say FAILED.
constexpr query recover{
  "cdp_recover",
  "WITH recovered AS ("
  " UPDATE advertiser_processing_states s SET status = 'PENDING',"
  "  error_message = $3::text, next_attempt_at = NULL, updated_at = cdp_ts($2::bigint)"
  " WHERE s.status = 'RUNNING' AND s.owner = $1::text"
  " RETURNING " CDP_PG_MONTH_COLUMNS "),"
  " closed AS ("
  CDP_PG_FAIL_ENDED_ATTEMPTS("recovered", "$2::bigint", "$3::text") ")"
  " SELECT * FROM recovered ORDER BY advertiser_id, processing_month"};

constexpr query select_attempts{
  "cdp_select_attempts",
  "SELECT " CDP_PG_ATTEMPT_COLUMNS " FROM month_attempts m"
  " WHERE m.advertiser_id = $1::text AND m.processing_month = $2::text ORDER BY m.attempt"};

expected<std::vector<month_state>> months_or_error(expected<pg::result> r) {
  if (!r)
    return std::move(r).error();
  return pg::months_of(*r);
}

} // namespace

failure postgres_store::missing_month(const std::string& id, year_month month) {
  auto exists = conn_->exec(advertiser_exists, params{}.add(id));
  if (!exists)
    return std::move(exists).error();
  if (!exists->boolean(0, 0))
    return unknown_advertiser(id);
  return make_failure(errc::not_found,
                      "advertiser '" + id + "' has no month " + month.to_string());
}

expected<std::vector<month_state>> postgres_store::list_months(const std::string& id) {
  return call([&]() -> expected<std::vector<month_state>> {
    auto months = months_or_error(conn_->exec(select_months, params{}.add(id)));
    if (!months || !months->empty())
      return months;
    // No rows: an EXISTING advertiser before its first run, or no advertiser.
    auto exists = conn_->exec(advertiser_exists, params{}.add(id));
    if (!exists)
      return std::move(exists).error();
    if (!exists->boolean(0, 0))
      return unknown_advertiser(id);
    return months;
  });
}

expected<std::vector<month_state>>
postgres_store::list_months_for(std::span<const std::string> ids) {
  if (ids.empty())
    return std::vector<month_state>{};
  return call([&] {
    return months_or_error(conn_->exec(select_months_for, params{}.add(pg::text_array(ids))));
  });
}

expected<month_state> postgres_store::get_month(const std::string& id, year_month month) {
  return call([&]() -> expected<month_state> {
    auto r = conn_->exec(select_month, params{}.add(id).add(month));
    if (!r)
      return std::move(r).error();
    if (r->rows() == 0)
      return missing_month(id, month);
    return pg::month_at(*r, 0);
  });
}

expected<status_counts> postgres_store::count_months_by_status() {
  return call([&]() -> expected<status_counts> {
    auto r = conn_->exec(count_by_status, params{});
    if (!r)
      return std::move(r).error();
    status_counts counts;
    for (int row = 0; row < r->rows(); ++row) {
      auto n = r->int64(row, 1);
      switch (parse_month_status(r->text(row, 0)).value_or(month_status::pending)) {
        case month_status::pending: counts.pending += n; break;
        case month_status::running: counts.running += n; break;
        case month_status::completed: counts.completed += n; break;
        case month_status::failed: counts.failed += n; break;
      }
    }
    return counts;
  });
}

expected<std::vector<month_state>> postgres_store::running_months() {
  return call([&] { return months_or_error(conn_->exec(select_running, params{})); });
}

expected<month_state> postgres_store::manual_retry(const std::string& id, year_month month,
                                                   timestamp now, const audit_note& note) {
  return conn_->transact([&]() -> expected<month_state> {
    auto r = conn_->exec(reset_for_retry, params{}.add(id).add(month).add(now));
    if (!r)
      return std::move(r).error();
    if (r->rows() == 1) {
      auto row = audit_of(audit_action::retry, note, id, month, now);
      if (auto audited = insert_audits({&row, 1}); !audited)
        return std::move(audited).error();
      return pg::month_at(*r, 0);
    }
    auto current = conn_->exec(select_month, params{}.add(id).add(month));
    if (!current)
      return std::move(current).error();
    if (current->rows() == 0)
      return missing_month(id, month);
    return make_failure(errc::conflict,
                        "advertiser '" + id + "' month " + month.to_string()
                          + " is RUNNING; retry it after the attempt ends (or the reaper "
                            "fails it)");
  });
}

expected<std::vector<month_state>>
postgres_store::reap_stale(timestamp now, std::chrono::milliseconds stale_after,
                           std::span<const std::chrono::milliseconds> retry_delays) {
  pg::array delays;
  for (auto d : retry_delays)
    delays.add(static_cast<int64_t>(d.count()));
  params p;
  p.add(now).add(now - stale_after);
  p.add("reaped: RUNNING for more than " + format_duration(stale_after));
  p.add(delays.take());
  return call([&] { return months_or_error(conn_->exec(reap, p)); });
}

expected<std::vector<month_state>> postgres_store::recover_node(const std::string& owner,
                                                                timestamp now) {
  params p;
  p.add(owner).add(now).add("interrupted: cdpbatchd stopped while this month was running");
  return call([&] { return months_or_error(conn_->exec(recover, p)); });
}

expected<std::vector<attempt_record>> postgres_store::list_attempts(const std::string& id,
                                                                    year_month month) {
  return call([&]() -> expected<std::vector<attempt_record>> {
    auto r = conn_->exec(select_attempts, params{}.add(id).add(month));
    if (!r)
      return std::move(r).error();
    if (r->rows() == 0) {
      // No attempts yet, or no such month: only the month row can tell.
      auto month_row = conn_->exec(select_month, params{}.add(id).add(month));
      if (!month_row)
        return std::move(month_row).error();
      if (month_row->rows() == 0)
        return missing_month(id, month);
    }
    std::vector<attempt_record> out;
    for (int row = 0; row < r->rows(); ++row)
      out.push_back(pg::attempt_at(*r, row));
    return out;
  });
}

} // namespace cdp
