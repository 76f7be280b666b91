// The operator's reads: advertiser pages with their lifecycle, lifecycle
// counts, latest attempts.
#include "domain/operator_input.hpp"
#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp::sqlite {

namespace {
namespace sql {

// Each advertiser with its month counts, looked up through the index on
// advertiser_id; `stage` follows lifecycle_of (domain/progress.cpp), which a
// contract test holds it to.
#define CDP_SQLITE_MONTH_COUNT(condition)                                          \
  "(SELECT count(*) FROM advertiser_processing_states s"                           \
  "  WHERE s.advertiser_id = advertisers.advertiser_id" condition ")"

#define CDP_SQLITE_ADVERTISERS_WITH_STAGE                                              \
  "SELECT *, CASE WHEN NOT active THEN 'DEACTIVATED'"                                  \
  "               WHEN retrying > 0 THEN 'DEGRADED'"                                   \
  "               WHEN advertiser_type = 'EXISTING' THEN 'LIVE'"                       \
  "               WHEN started > 0 THEN 'BACKFILLING'"                                 \
  "               ELSE 'NEW' END AS stage FROM ("                                      \
  " SELECT " CDP_SQLITE_ADVERTISER_COLUMNS ","                                         \
  CDP_SQLITE_MONTH_COUNT("") " AS total,"                                              \
  CDP_SQLITE_MONTH_COUNT(" AND s.status = 'COMPLETED'") " AS completed,"               \
  CDP_SQLITE_MONTH_COUNT(" AND s.status = 'FAILED' AND s.retry_count < s.max_retries") \
  " AS retrying,"                                                                      \
  CDP_SQLITE_MONTH_COUNT(" AND s.status <> 'PENDING'") " AS started"                   \
  " FROM advertisers"

constexpr const char* page_advertisers =
  "SELECT " CDP_SQLITE_ADVERTISER_COLUMNS ", total, completed, stage FROM ("
  CDP_SQLITE_ADVERTISERS_WITH_STAGE
  " WHERE advertiser_id > ?1 AND (?2 IS NULL OR active = ?2)))"
  " WHERE ?3 IS NULL OR stage = ?3 ORDER BY advertiser_id LIMIT ?4";

constexpr const char* count_lifecycles =
  "SELECT stage, count(*) FROM (" CDP_SQLITE_ADVERTISERS_WITH_STAGE ")) GROUP BY stage";

constexpr const char* recent_attempts =
  "SELECT " CDP_SQLITE_ATTEMPT_COLUMNS " FROM month_attempts WHERE advertiser_id = ?1"
  " ORDER BY started_at DESC, id DESC LIMIT ?2";

constexpr const char* recent_failures =
  "SELECT " CDP_SQLITE_ATTEMPT_COLUMNS " FROM month_attempts WHERE outcome = 'FAILED'"
  " ORDER BY finished_at DESC, id DESC LIMIT ?1";

#undef CDP_SQLITE_ADVERTISERS_WITH_STAGE
#undef CDP_SQLITE_MONTH_COUNT

} // namespace sql

/// Columns after CDP_SQLITE_ADVERTISER_COLUMNS in the page query.
constexpr int total_column = 11;

} // namespace

expected<advertiser_page> sqlite_store::page_advertisers(const advertiser_filter& filter) {
  return guarded([&]() -> expected<advertiser_page> {
    auto q = db_->prepare(sql::page_advertisers);
    q.bind(1, filter.after).bind(2, filter.active);
    if (filter.stage)
      q.bind(3, to_string(*filter.stage));
    else
      q.bind_null(3);
    // One row more than asked tells whether another page follows.
    q.bind(4, filter.limit + 1);
    advertiser_page page;
    while (q.step()) {
      if (static_cast<int>(page.advertisers.size()) == filter.limit) {
        page.next = page.advertisers.back().who.id;
        break;
      }
      advertiser_summary row;
      row.who = read_advertiser(q);
      row.total_months = q.int32(total_column);
      row.completed_months = q.int32(total_column + 1);
      row.stage = parse_lifecycle(q.text(total_column + 2)).value_or(lifecycle::new_advertiser);
      page.advertisers.push_back(std::move(row));
    }
    return page;
  });
}

expected<lifecycle_counts> sqlite_store::count_lifecycles() {
  return guarded([&]() -> expected<lifecycle_counts> {
    lifecycle_counts counts;
    auto q = db_->prepare(sql::count_lifecycles);
    while (q.step()) {
      count_in(counts, parse_lifecycle(q.text(0)).value_or(lifecycle::new_advertiser),
               q.int64(1));
    }
    return counts;
  });
}

expected<std::vector<attempt_record>> sqlite_store::recent_attempts(const std::string& id,
                                                                    int limit) {
  return guarded([&]() -> expected<std::vector<attempt_record>> {
    read_transaction snapshot{*db_};
    if (!advertiser_exists(id))
      return missing(id, std::nullopt);
    auto q = db_->prepare(sql::recent_attempts);
    q.bind(1, id).bind(2, limit);
    return read_all(q, read_attempt);
  });
}

expected<std::vector<attempt_record>> sqlite_store::recent_failures(int limit) {
  return guarded([&]() -> expected<std::vector<attempt_record>> {
    auto q = db_->prepare(sql::recent_failures);
    q.bind(1, limit);
    return read_all(q, read_attempt);
  });
}

} // namespace cdp::sqlite
