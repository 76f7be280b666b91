#pragma once

// Private to the PostgreSQL store: the column lists that queries select and
// the functions that turn those columns into domain types. A list and its
// reader change together, so they live side by side.

#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"
#include "persistence/pg_connection.hpp"
#include "persistence/store.hpp"

// Macros only so string-literal concatenation builds each query at compile
// time; no SQL is ever assembled at run time.

/// Columns of advertiser_processing_states, aliased `s`; read by month_at().
// The audit row's columns, for an INSERT … SELECT in the statement of the
// change it records.
#define CDP_PG_INSERT_AUDIT                                                          \
  "INSERT INTO audit (at, who, action, advertiser_id, processing_month, node, reason," \
  " outcome, error)"

#define CDP_PG_MONTH_COLUMNS                                                          \
  "s.id, s.advertiser_id, s.processing_month, s.status, "                             \
  "cdp_ms(s.started_at) AS started_ms, cdp_ms(s.completed_at) AS completed_ms, "     \
  "s.processed_records, s.failed_records, "                                           \
  "coalesce(s.error_message, '') AS error_message, s.retry_count, s.max_retries, "   \
  "cdp_ms(s.created_at) AS created_ms, cdp_ms(s.updated_at) AS updated_ms, "         \
  "cdp_ms(s.next_attempt_at) AS next_attempt_ms, s.closed, "                          \
  "coalesce(s.owner, '') AS owner, coalesce(s.lease_token, 0) AS lease_token"

// Closes, as FAILED at `at` with `message` (SQL expressions), the open
// attempt of each month the CTE `ended` returned (aliased r, with its
// lease_token): the reaper, node recovery and a lease take end RUNNING months
// this way. The outcome test is a CASE for the reason given in
// postgres_transitions.cpp.
#define CDP_PG_FAIL_ENDED_ATTEMPTS(ended, at, message)                                  \
  " UPDATE month_attempts m SET finished_at = cdp_ts(" at "), outcome = 'FAILED',"       \
  "  error_message = " message                                                         \
  " FROM " ended " r WHERE m.advertiser_id = r.advertiser_id"                           \
  "  AND m.processing_month = r.processing_month"                                       \
  "  AND CASE m.outcome WHEN 'RUNNING' THEN m.lease_token = r.lease_token ELSE false END"

/// Columns of advertisers, aliased `a`; read by advertiser_at().
#define CDP_PG_ADVERTISER_COLUMNS                                                     \
  "a.advertiser_id, a.name, a.active, a.advertiser_type, "                            \
  "a.current_processing_month, a.backfill_start_month, a.backfill_completed, "        \
  "a.last_completed_month, a.deactivation_reason, "                                   \
  "cdp_ms(a.created_at) AS created_ms, cdp_ms(a.updated_at) AS updated_ms"

/// Columns of month_attempts, aliased `m`; read by attempt_at().
#define CDP_PG_ATTEMPT_COLUMNS                                                        \
  "m.advertiser_id, m.processing_month, m.attempt, cdp_ms(m.started_at), "            \
  "cdp_ms(m.finished_at), m.outcome, coalesce(m.error_message, ''), "                 \
  "coalesce(m.owner, ''), m.probe"

namespace cdp::pg {

/// Columns CDP_PG_MONTH_COLUMNS selects.
inline constexpr int month_column_count = 17;

/// The month row whose CDP_PG_MONTH_COLUMNS start at column `first`.
month_state month_at(const result& r, int row, int first = 0);
std::vector<month_state> months_of(const result& r, int first = 0);

/// The advertiser whose CDP_PG_ADVERTISER_COLUMNS start at column 0.
advertiser advertiser_at(const result& r, int row);

/// The attempt whose CDP_PG_ATTEMPT_COLUMNS start at column 0.
attempt_record attempt_at(const result& r, int row);

/// Every row of `r` as `at(r, row)` reads it, or the query's error.
template <class At>
auto rows_of(expected<result> r, At at)
  -> expected<std::vector<std::invoke_result_t<At, const result&, int>>> {
  if (!r)
    return std::move(r).error();
  std::vector<std::invoke_result_t<At, const result&, int>> out;
  out.reserve(static_cast<size_t>(r->rows()));
  for (int row = 0; row < r->rows(); ++row)
    out.push_back(at(*r, row));
  return out;
}

/// Ids as one text[] parameter.
std::string text_array(std::span<const std::string> ids);

/// A month column as stored; the schema's CHECK keeps it `YYYY-MM`.
year_month month_of(const result& r, int row, int col);
std::optional<year_month> opt_month_of(const result& r, int row, int col);

} // namespace cdp::pg
