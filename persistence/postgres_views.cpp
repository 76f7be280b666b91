// The operator's reads: advertiser pages with their lifecycle, lifecycle
// counts, latest attempts.
#include "domain/operator_input.hpp"
#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

// Each advertiser's month counts through the index on advertiser_id, and its
// lifecycle as lifecycle_of (domain/progress.cpp) decides it; a contract test
// holds the two together.
#define CDP_PG_MONTH_COUNTS                                                               \
  " CROSS JOIN LATERAL (SELECT count(*) AS total,"                                        \
  "   count(*) FILTER (WHERE s.status = 'COMPLETED') AS completed,"                       \
  "   count(*) FILTER (WHERE s.status = 'FAILED' AND s.retry_count < s.max_retries)"      \
  "     AS retrying,"                                                                     \
  "   count(*) FILTER (WHERE s.status <> 'PENDING') AS started"                           \
  "  FROM advertiser_processing_states s WHERE s.advertiser_id = a.advertiser_id) c"

#define CDP_PG_STAGE                                                                      \
  "(CASE WHEN NOT a.active THEN 'DEACTIVATED' WHEN c.retrying > 0 THEN 'DEGRADED'"        \
  " WHEN a.advertiser_type = 'EXISTING' THEN 'LIVE' WHEN c.started > 0 THEN 'BACKFILLING'" \
  " ELSE 'NEW' END)"

constexpr query page_advertisers_query{
  "cdp_page_advertisers",
  "SELECT " CDP_PG_ADVERTISER_COLUMNS ", c.total, c.completed, " CDP_PG_STAGE
  " FROM advertisers a" CDP_PG_MONTH_COUNTS
  " WHERE a.advertiser_id > $1::text AND ($2::boolean IS NULL OR a.active = $2::boolean)"
  " AND ($3::text IS NULL OR " CDP_PG_STAGE " = $3::text)"
  " ORDER BY a.advertiser_id LIMIT $4::int"};

constexpr query count_lifecycles_query{
  "cdp_count_lifecycles",
  "SELECT " CDP_PG_STAGE ", count(*) FROM advertisers a" CDP_PG_MONTH_COUNTS " GROUP BY 1"};

constexpr query advertiser_exists{
  "cdp_views_advertiser_exists",
  "SELECT EXISTS (SELECT 1 FROM advertisers WHERE advertiser_id = $1::text)"};

constexpr query recent_attempts_query{
  "cdp_recent_attempts",
  "SELECT " CDP_PG_ATTEMPT_COLUMNS " FROM month_attempts m WHERE m.advertiser_id = $1::text"
  " ORDER BY m.started_at DESC, m.id DESC LIMIT $2::int"};

constexpr query attempts_for_query{
  "cdp_attempts_for",
  "SELECT " CDP_PG_ATTEMPT_COLUMNS " FROM month_attempts m WHERE m.advertiser_id = ANY ($1::text[])"
  " ORDER BY m.advertiser_id, m.processing_month, m.attempt"};

constexpr query recent_failures_query{
  "cdp_recent_failures",
  "SELECT " CDP_PG_ATTEMPT_COLUMNS " FROM month_attempts m WHERE m.outcome = 'FAILED'"
  " ORDER BY m.finished_at DESC, m.id DESC LIMIT $1::int"};

#undef CDP_PG_STAGE
#undef CDP_PG_MONTH_COUNTS

/// Columns after CDP_PG_ADVERTISER_COLUMNS in the page query.
constexpr int total_column = 11;

} // namespace

expected<advertiser_page> postgres_store::page_advertisers(const advertiser_filter& filter) {
  return call([&]() -> expected<advertiser_page> {
    params p;
    p.add(filter.after).add(filter.active);
    if (filter.stage)
      p.add(to_string(*filter.stage));
    else
      p.add_null();
    // One row more than asked tells whether another page follows.
    p.add(filter.limit + 1);
    auto r = conn_->exec(page_advertisers_query, p);
    if (!r)
      return std::move(r).error();
    advertiser_page page;
    for (int row = 0; row < r->rows(); ++row) {
      if (row == filter.limit) {
        page.next = page.advertisers.back().who.id;
        break;
      }
      advertiser_summary s;
      s.who = pg::advertiser_at(*r, row);
      s.total_months = r->int32(row, total_column);
      s.completed_months = r->int32(row, total_column + 1);
      s.stage = parse_lifecycle(r->text(row, total_column + 2)).value_or(lifecycle::new_advertiser);
      page.advertisers.push_back(std::move(s));
    }
    return page;
  });
}

expected<lifecycle_counts> postgres_store::count_lifecycles() {
  return call([&]() -> expected<lifecycle_counts> {
    auto r = conn_->exec(count_lifecycles_query, params{});
    if (!r)
      return std::move(r).error();
    lifecycle_counts counts;
    for (int row = 0; row < r->rows(); ++row) {
      count_in(counts, parse_lifecycle(r->text(row, 0)).value_or(lifecycle::new_advertiser),
               r->int64(row, 1));
    }
    return counts;
  });
}

expected<std::vector<attempt_record>> postgres_store::recent_attempts(const std::string& id,
                                                                      int limit) {
  return call([&]() -> expected<std::vector<attempt_record>> {
    auto exists = conn_->exec(advertiser_exists, params{}.add(id));
    if (!exists)
      return std::move(exists).error();
    if (!exists->boolean(0, 0))
      return unknown_advertiser(id);
    return pg::rows_of(conn_->exec(recent_attempts_query, params{}.add(id).add(limit)),
                       pg::attempt_at);
  });
}

expected<std::vector<attempt_record>> postgres_store::recent_failures(int limit) {
  return call([&]() -> expected<std::vector<attempt_record>> {
    return pg::rows_of(conn_->exec(recent_failures_query, params{}.add(limit)),
                       pg::attempt_at);
  });
}

expected<std::vector<attempt_record>>
postgres_store::list_attempts_for(std::span<const std::string> ids) {
  if (ids.empty())
    return std::vector<attempt_record>{};
  return call([&] {
    return pg::rows_of(conn_->exec(attempts_for_query, params{}.add(pg::text_array(ids))),
                       pg::attempt_at);
  });
}

} // namespace cdp
