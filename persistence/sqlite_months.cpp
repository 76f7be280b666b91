#include <algorithm>
#include <string>
#include <tuple>

#include "domain/duration.hpp"
#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp::sqlite {

namespace {
namespace sql {

constexpr const char* advertiser_exists =
  "SELECT 1 FROM advertisers WHERE advertiser_id = ?1";

constexpr const char* select_month =
  "SELECT " CDP_SQLITE_MONTH_COLUMNS " FROM advertiser_processing_states"
  " WHERE advertiser_id = ?1 AND processing_month = ?2";

constexpr const char* select_months =
  "SELECT " CDP_SQLITE_MONTH_COLUMNS " FROM advertiser_processing_states"
  " WHERE advertiser_id = ?1 ORDER BY processing_month";

constexpr const char* count_by_status =
  "SELECT status, count(*) FROM advertiser_processing_states GROUP BY status";

constexpr const char* select_running =
  "SELECT " CDP_SQLITE_MONTH_COLUMNS " FROM advertiser_processing_states"
  " WHERE status = 'RUNNING' ORDER BY started_at, advertiser_id, processing_month";

constexpr const char* reset_month =
  "UPDATE advertiser_processing_states"
  "   SET status = 'PENDING', retry_count = 0, next_attempt_at = NULL, updated_at = ?3"
  " WHERE advertiser_id = ?1 AND processing_month = ?2 AND status <> 'RUNNING'"
  " RETURNING " CDP_SQLITE_MONTH_COLUMNS;

// The reaper, node recovery and a lease take end RUNNING months and their
// attempts. Every statement here takes ?1 now, ?2 the error message and ?3
// what picks the months: the stale threshold, the node or the advertiser. Closing the attempts is one text with the
// condition on the month row s spliced in, so the two cannot drift apart.
#define CDP_SQLITE_FAIL_ATTEMPTS_OF(picked)                                     \
  "UPDATE month_attempts"                                                       \
  "   SET outcome = 'FAILED', finished_at = ?1, error_message = ?2"             \
  " WHERE outcome = 'RUNNING'"                                                  \
  "   AND EXISTS (SELECT 1 FROM advertiser_processing_states s"                 \
  "                WHERE s.advertiser_id = month_attempts.advertiser_id"        \
  "                  AND s.processing_month = month_attempts.processing_month"  \
  "                  AND s.status = 'RUNNING' AND " picked                      \
  "                  AND s.lease_token = month_attempts.lease_token)"

constexpr const char* fail_stale_attempts = CDP_SQLITE_FAIL_ATTEMPTS_OF("s.started_at < ?3");

// ?4 is the retry delays in ms as a JSON array: retry k+1 waits element k, or
// the last element once the list runs out.
constexpr const char* fail_stale_months = R"sql(
UPDATE advertiser_processing_states
   SET status = 'FAILED', error_message = ?2, updated_at = ?1,
       next_attempt_at = CASE
         WHEN retry_count < max_retries THEN ?1 + COALESCE(
           (SELECT value FROM json_each(?4)
             WHERE key = min(retry_count, json_array_length(?4) - 1)), 0)
       END
 WHERE status = 'RUNNING' AND started_at < ?3
RETURNING )sql" CDP_SQLITE_MONTH_COLUMNS;

constexpr const char* fail_node_attempts = CDP_SQLITE_FAIL_ATTEMPTS_OF("s.owner = ?3");

// A month its node never finished is due again at once and keeps its retry
// count: the node's crash is not the month's failure (a kill -9 can catch
// every claimed job of the queue, started or not). Its attempt says FAILED.
// The same for a dead node's months and a taken lease's.
#define CDP_SQLITE_REQUEUE_MONTHS_OF(picked)                                    \
  "UPDATE advertiser_processing_states AS s"                                    \
  "   SET status = 'PENDING', error_message = ?2, updated_at = ?1,"             \
  "       next_attempt_at = NULL"                                               \
  " WHERE s.status = 'RUNNING' AND " picked                                     \
  " RETURNING " CDP_SQLITE_MONTH_COLUMNS

constexpr const char* requeue_node_months = CDP_SQLITE_REQUEUE_MONTHS_OF("s.owner = ?3");

// ?3: heartbeats before this instant are dead, as are stopped nodes.
#define CDP_SQLITE_DEAD_OWNER                                                    \
  "s.owner IN (SELECT node_id FROM nodes"                                        \
  " WHERE stopped_at IS NOT NULL OR heartbeat_at < ?3)"

constexpr const char* fail_dead_attempts = CDP_SQLITE_FAIL_ATTEMPTS_OF(CDP_SQLITE_DEAD_OWNER);

constexpr const char* requeue_dead_months = CDP_SQLITE_REQUEUE_MONTHS_OF(CDP_SQLITE_DEAD_OWNER);

#undef CDP_SQLITE_DEAD_OWNER

constexpr const char* fail_taken_attempts = CDP_SQLITE_FAIL_ATTEMPTS_OF("s.advertiser_id = ?3");

constexpr const char* requeue_taken_months =
  CDP_SQLITE_REQUEUE_MONTHS_OF("s.advertiser_id = ?3");

constexpr const char* select_attempts =
  "SELECT " CDP_SQLITE_ATTEMPT_COLUMNS " FROM month_attempts"
  " WHERE advertiser_id = ?1 AND processing_month = ?2 ORDER BY attempt";

constexpr const char* select_advertiser_attempts =
  "SELECT " CDP_SQLITE_ATTEMPT_COLUMNS " FROM month_attempts"
  " WHERE advertiser_id = ?1 ORDER BY processing_month, attempt";

#undef CDP_SQLITE_FAIL_ATTEMPTS_OF
#undef CDP_SQLITE_REQUEUE_MONTHS_OF

} // namespace sql

const std::string interrupted_message =
  "interrupted: cdpbatchd stopped while this month was running";

// The old owner's outcome will be refused (its epoch is gone), so the month
// is due again at once, before a reaper round, even if that node comes back.
const std::string lease_taken_message =
  "interrupted: another node took this advertiser's lease while this month was running";

/// Ends the RUNNING months that `months_sql` picks with `picker`, their
/// attempts FAILED through `attempts_sql`, in the caller's transaction;
/// returns the months.
template <class Picker>
std::vector<month_state> end_running_in(connection& db, const char* attempts_sql,
                                         const char* months_sql, timestamp now,
                                         const std::string& message, const Picker& picker,
                                         const std::optional<std::string>& delays = std::nullopt) {
  db.prepare(attempts_sql).bind(1, now).bind(2, message).bind(3, picker).run();
  auto q = db.prepare(months_sql);
  q.bind(1, now).bind(2, message).bind(3, picker);
  if (delays)
    q.bind(4, *delays);
  return read_all(q, read_month_state);
}

/// end_running_in in a transaction of its own; the months by advertiser and
/// month.
template <class Picker>
std::vector<month_state> end_running(connection& db, const char* attempts_sql,
                                      const char* months_sql, timestamp now,
                                      const std::string& message, const Picker& picker,
                                      const std::optional<std::string>& delays = std::nullopt) {
  write_transaction tx{db};
  auto failed = end_running_in(db, attempts_sql, months_sql, now, message, picker, delays);
  tx.commit();
  std::sort(failed.begin(), failed.end(), [](const month_state& a, const month_state& b) {
    return std::tie(a.advertiser_id, a.month) < std::tie(b.advertiser_id, b.month);
  });
  return failed;
}

} // namespace

void sqlite_store::requeue_taken(const std::string& id, timestamp now) {
  end_running_in(*db_, sql::fail_taken_attempts, sql::requeue_taken_months, now,
                 lease_taken_message, id);
}

bool sqlite_store::advertiser_exists(const std::string& id) {
  auto q = db_->prepare(sql::advertiser_exists);
  return q.bind(1, id).step();
}

std::optional<month_state> sqlite_store::find_month(const std::string& id, year_month month) {
  auto q = db_->prepare(sql::select_month);
  q.bind(1, id).bind(2, month);
  if (!q.step())
    return std::nullopt;
  return read_month_state(q);
}

failure sqlite_store::missing(const std::string& id, std::optional<year_month> month) {
  if (month && advertiser_exists(id))
    return make_failure(errc::not_found, "advertiser '" + id + "' has no month "
                                           + month->to_string());
  return make_failure(errc::not_found, "unknown advertiser '" + id + "'");
}

expected<std::vector<month_state>> sqlite_store::list_months(const std::string& id) {
  return guarded([&]() -> expected<std::vector<month_state>> {
    read_transaction snapshot{*db_};
    if (!advertiser_exists(id))
      return missing(id, std::nullopt);
    auto q = db_->prepare(sql::select_months);
    q.bind(1, id);
    return read_all(q, read_month_state);
  });
}

expected<std::vector<month_state>>
sqlite_store::list_months_for(std::span<const std::string> ids) {
  return guarded([&]() -> expected<std::vector<month_state>> {
    return read_for_each(*db_, ids, sql::select_months, read_month_state);
  });
}

expected<month_state> sqlite_store::get_month(const std::string& id, year_month month) {
  return guarded([&]() -> expected<month_state> {
    if (auto row = find_month(id, month))
      return *row;
    return missing(id, month);
  });
}

expected<status_counts> sqlite_store::count_months_by_status() {
  return guarded([&]() -> expected<status_counts> {
    status_counts counts;
    auto q = db_->prepare(sql::count_by_status);
    while (q.step()) {
      auto n = q.int64(1);
      switch (parse_month_status(q.text(0)).value_or(month_status::pending)) {
        case month_status::pending: counts.pending += n; break;
        case month_status::running: counts.running += n; break;
        case month_status::completed: counts.completed += n; break;
        case month_status::failed: counts.failed += n; break;
      }
    }
    return counts;
  });
}

expected<std::vector<month_state>> sqlite_store::running_months() {
  return guarded([&]() -> expected<std::vector<month_state>> {
    auto q = db_->prepare(sql::select_running);
    return read_all(q, read_month_state);
  });
}

expected<month_state> sqlite_store::manual_retry(const std::string& id, year_month month,
                                                 timestamp now, const audit_note& note) {
  return guarded([&]() -> expected<month_state> {
    write_transaction tx{*db_};
    std::optional<month_state> reset;
    {
      auto q = db_->prepare(sql::reset_month);
      q.bind(1, id).bind(2, month).bind(3, now);
      if (q.step())
        reset = read_month_state(q);
    }
    if (!reset) {
      if (!find_month(id, month))
        return missing(id, month);
      return make_failure(errc::conflict,
                          "advertiser '" + id + "' month " + month.to_string()
                            + " is RUNNING: wait for the attempt to end before retrying it");
    }
    insert_audit(audit_of(audit_action::retry, note, id, month, now));
    tx.commit();
    return *reset;
  });
}

expected<std::vector<month_state>>
sqlite_store::reap_stale(timestamp now, std::chrono::milliseconds stale_after,
                         std::span<const std::chrono::milliseconds> retry_delays) {
  return guarded([&]() -> expected<std::vector<month_state>> {
    std::string delays = "[";
    for (auto d : retry_delays)
      delays += (delays.size() > 1 ? "," : "") + std::to_string(d.count());
    delays += "]";
    auto message = "reaped: RUNNING for more than " + format_duration(stale_after)
                   + " (the job hung or its node stopped)";
    return end_running(*db_, sql::fail_stale_attempts, sql::fail_stale_months, now, message,
                        now - stale_after, delays);
  });
}

expected<std::vector<month_state>> sqlite_store::recover_node(const std::string& owner,
                                                              timestamp now) {
  return guarded([&]() -> expected<std::vector<month_state>> {
    return end_running(*db_, sql::fail_node_attempts, sql::requeue_node_months, now,
                        interrupted_message, owner);
  });
}

expected<std::vector<month_state>>
sqlite_store::reap_dead_nodes(timestamp now, std::chrono::milliseconds lease_ttl) {
  return guarded([&]() -> expected<std::vector<month_state>> {
    return end_running(*db_, sql::fail_dead_attempts, sql::requeue_dead_months, now,
                        "interrupted: its node stopped renewing its lease while this month was "
                        "running",
                        now - lease_ttl);
  });
}

expected<std::vector<attempt_record>> sqlite_store::list_attempts(const std::string& id,
                                                                  year_month month) {
  return guarded([&]() -> expected<std::vector<attempt_record>> {
    read_transaction snapshot{*db_};
    if (!find_month(id, month))
      return missing(id, month);
    auto q = db_->prepare(sql::select_attempts);
    q.bind(1, id).bind(2, month);
    return read_all(q, read_attempt);
  });
}

expected<std::vector<attempt_record>>
sqlite_store::list_attempts_for(std::span<const std::string> ids) {
  return guarded([&]() -> expected<std::vector<attempt_record>> {
    return read_for_each(*db_, ids, sql::select_advertiser_attempts, read_attempt);
  });
}

} // namespace cdp::sqlite
