#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp::sqlite {

namespace {

// Why an event of customer_events is refused, or NULL for a valid one. The one
// definition of validity: rejected events and profiles both splice it in.
#define CDP_SQLITE_REJECT_REASON                                                 \
  "CASE"                                                                         \
  " WHEN customer_id = '' THEN 'empty customer_id'"                              \
  " WHEN event_type NOT IN ('view', 'click', 'cart', 'purchase')"                \
  "  THEN 'unknown event_type'"                                                  \
  " WHEN revenue_cents < 0 THEN 'negative revenue'"                              \
  " WHEN event_type = 'purchase' AND COALESCE(revenue_cents, 0) = 0"             \
  "  THEN 'purchase without revenue'"                                            \
  " END"

// The month's events: ?1 advertiser, ?3 and ?4 the month's first instant and
// the next month's, in ms (months are [start, next start), UTC).
#define CDP_SQLITE_MONTH_EVENTS \
  " FROM customer_events WHERE advertiser_id = ?1 AND event_time >= ?3 AND event_time < ?4"

namespace sql {

constexpr const char* insert_event = R"sql(
INSERT INTO customer_events (id, advertiser_id, customer_id, event_time, event_type,
                             revenue_cents)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql";

constexpr const char* delete_profiles =
  "DELETE FROM customer_monthly_profiles WHERE advertiser_id = ?1 AND processing_month = ?2";

constexpr const char* delete_rejected =
  "DELETE FROM rejected_events WHERE advertiser_id = ?1 AND processing_month = ?2";

constexpr const char* insert_rejected =
  "INSERT INTO rejected_events (advertiser_id, processing_month, event_id, reason)"
  " SELECT ?1, ?2, id, reason FROM (SELECT id, " CDP_SQLITE_REJECT_REASON " AS reason"
  CDP_SQLITE_MONTH_EVENTS ") WHERE reason IS NOT NULL";

// Revenue is what purchases brought; a cart's or view's amount is not revenue.
constexpr const char* insert_profiles =
  "INSERT INTO customer_monthly_profiles (" CDP_SQLITE_PROFILE_COLUMNS ")"
  " SELECT ?1, ?2, customer_id, count(*), sum(event_type = 'purchase'),"
  "        sum(CASE WHEN event_type = 'purchase' THEN revenue_cents ELSE 0 END),"
  "        min(event_time), max(event_time)"
  CDP_SQLITE_MONTH_EVENTS " AND (" CDP_SQLITE_REJECT_REASON ") IS NULL"
  " GROUP BY customer_id";

constexpr const char* sum_profile_events =
  "SELECT COALESCE(sum(events), 0) FROM customer_monthly_profiles"
  " WHERE advertiser_id = ?1 AND processing_month = ?2";

constexpr const char* select_profiles =
  "SELECT " CDP_SQLITE_PROFILE_COLUMNS " FROM customer_monthly_profiles"
  " WHERE advertiser_id = ?1 AND processing_month = ?2 ORDER BY customer_id";

constexpr const char* select_rejected =
  "SELECT event_id, reason FROM rejected_events"
  " WHERE advertiser_id = ?1 AND processing_month = ?2 ORDER BY event_id";

} // namespace sql

/// The first instant after `month`, even for the last representable month.
timestamp end_of(year_month month) {
  using namespace std::chrono;
  auto first = sys_days{std::chrono::year{month.year()}
                        / std::chrono::month{static_cast<unsigned>(month.month())} / 1};
  auto next = std::chrono::year_month_day{first} + months{1};
  return time_point_cast<milliseconds>(sys_days{next});
}

} // namespace

status sqlite_store::insert_events(std::span<const customer_event> events) {
  return guarded([&]() -> status {
    write_transaction tx{*db_};
    insert_event_rows(events);
    tx.commit();
    return ok;
  });
}

void sqlite_store::insert_event_rows(std::span<const customer_event> events) {
  for (const auto& e : events) {
    auto q = db_->prepare(sql::insert_event);
    // Id 0 asks the store to number the event.
    if (e.id == 0)
      q.bind_null(1);
    else
      q.bind(1, e.id);
    q.bind(2, e.advertiser_id).bind(3, e.customer_id).bind(4, e.event_time);
    q.bind(5, e.event_type).bind(6, e.revenue_cents).run();
  }
}

expected<profile_counts> sqlite_store::build_monthly_profiles(const std::string& id,
                                                              year_month month) {
  return guarded([&]() -> expected<profile_counts> {
    auto start = month.start_utc();
    auto end = end_of(month);
    profile_counts counts;
    write_transaction tx{*db_};
    db_->prepare(sql::delete_profiles).bind(1, id).bind(2, month).run();
    db_->prepare(sql::delete_rejected).bind(1, id).bind(2, month).run();
    {
      auto q = db_->prepare(sql::insert_rejected);
      q.bind(1, id).bind(2, month).bind(3, start).bind(4, end).run();
      counts.failed_records = q.changes();
    }
    db_->prepare(sql::insert_profiles).bind(1, id).bind(2, month).bind(3, start).bind(4, end).run();
    {
      auto q = db_->prepare(sql::sum_profile_events);
      q.bind(1, id).bind(2, month).step();
      counts.processed_records = q.int64(0);
    }
    tx.commit();
    return counts;
  });
}

expected<std::vector<customer_profile>> sqlite_store::list_profiles(const std::string& id,
                                                                    year_month month) {
  return guarded([&]() -> expected<std::vector<customer_profile>> {
    auto q = db_->prepare(sql::select_profiles);
    q.bind(1, id).bind(2, month);
    return read_all(q, read_profile);
  });
}

expected<std::vector<rejected_event>> sqlite_store::list_rejected(const std::string& id,
                                                                  year_month month) {
  return guarded([&]() -> expected<std::vector<rejected_event>> {
    auto q = db_->prepare(sql::select_rejected);
    q.bind(1, id).bind(2, month);
    return read_all(q, [](const statement& row) {
      return rejected_event{row.int64(0), row.text(1)};
    });
  });
}

} // namespace cdp::sqlite
