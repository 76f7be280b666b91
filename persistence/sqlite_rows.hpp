#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"
#include "persistence/sqlite_db.hpp"
#include "persistence/store.hpp"

// Rows to domain values. The column lists are macros so that they splice into
// the SQL constants as literals; each reader expects its list's order.

#define CDP_SQLITE_ADVERTISER_COLUMNS                                                     \
  "advertiser_id, name, active, advertiser_type, current_processing_month, "            \
  "backfill_start_month, backfill_completed, last_completed_month, deactivation_reason, " \
  "created_at, updated_at"

#define CDP_SQLITE_MONTH_COLUMNS                                                          \
  "id, advertiser_id, processing_month, status, started_at, completed_at, "              \
  "processed_records, failed_records, error_message, retry_count, max_retries, "         \
  "created_at, updated_at, next_attempt_at, closed, owner, lease_token"

#define CDP_SQLITE_ATTEMPT_COLUMNS                                                        \
  "advertiser_id, processing_month, attempt, started_at, finished_at, outcome, "         \
  "error_message, owner, probe"

#define CDP_SQLITE_PROFILE_COLUMNS                                                        \
  "advertiser_id, processing_month, customer_id, events, purchases, revenue_cents, "     \
  "first_seen, last_seen"

namespace cdp::sqlite {

advertiser read_advertiser(const statement& row);
month_state read_month_state(const statement& row);
attempt_record read_attempt(const statement& row);
customer_profile read_profile(const statement& row);

/// Every remaining row of `q`, read by `read`.
template <class Read>
auto read_all(statement& q, Read read) {
  std::vector<decltype(read(q))> rows;
  while (q.step())
    rows.push_back(read(q));
  return rows;
}

/// The rows `sql` reads for one advertiser id (?1), for each distinct one of
/// `ids` in id order, all from one snapshot.
template <class Read>
auto read_for_each(connection& db, std::span<const std::string> ids, const char* sql, Read read) {
  std::vector<std::string> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  read_transaction snapshot{db};
  std::vector<std::invoke_result_t<Read, const statement&>> rows;
  for (const auto& id : sorted) {
    auto q = db.prepare(sql);
    q.bind(1, id);
    while (q.step())
      rows.push_back(read(q));
  }
  return rows;
}

} // namespace cdp::sqlite
