#include "persistence/sqlite_store.hpp"

#include "domain/due_plan.hpp"
#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_schema.hpp"
#include "persistence/sqlite_store_impl.hpp"

namespace cdp {

namespace sqlite {
namespace {
namespace sql {

constexpr const char* ping = "SELECT 1";

constexpr const char* insert_advertiser = R"sql(
INSERT INTO advertisers (advertiser_id, name, active, advertiser_type,
                         current_processing_month, backfill_start_month,
                         backfill_completed, last_completed_month,
                         deactivation_reason, created_at, updated_at)
VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, NULL, '', ?7, ?7)
ON CONFLICT (advertiser_id) DO NOTHING)sql";

constexpr const char* insert_pending_month = R"sql(
INSERT INTO advertiser_processing_states (advertiser_id, processing_month, status,
                                          max_retries, created_at, updated_at)
VALUES (?1, ?2, 'PENDING', ?3, ?4, ?4))sql";

constexpr const char* select_advertiser =
  "SELECT " CDP_SQLITE_ADVERTISER_COLUMNS " FROM advertisers WHERE advertiser_id = ?1";

constexpr const char* select_advertisers =
  "SELECT " CDP_SQLITE_ADVERTISER_COLUMNS " FROM advertisers"
  " WHERE ?1 = 0 OR active ORDER BY advertiser_id";

constexpr const char* update_active = R"sql(
UPDATE advertisers
   SET active = ?2,
       deactivation_reason = CASE WHEN ?2 THEN ''
                                  WHEN NOT active AND deactivation_reason <> '' THEN deactivation_reason
                                  ELSE ?3 END,
       updated_at = ?4
 WHERE advertiser_id = ?1)sql";

constexpr const char* update_progress = R"sql(
UPDATE advertisers
   SET advertiser_type = ?2, current_processing_month = ?3,
       last_completed_month = ?4, backfill_completed = ?5, updated_at = ?6
 WHERE advertiser_id = ?1)sql";

constexpr const char* count_advertisers =
  "SELECT advertiser_type, active, count(*) FROM advertisers GROUP BY 1, 2";

} // namespace sql
} // namespace
} // namespace sqlite

expected<std::unique_ptr<store>> open_sqlite_store(const std::string& path,
                                                   const store_options& options) {
  return sqlite::guarded([&]() -> expected<std::unique_ptr<store>> {
    return std::unique_ptr<store>{
      std::make_unique<sqlite::sqlite_store>(sqlite::connection::open(path, options))};
  });
}

namespace sqlite {

status sqlite_store::migrate() {
  return guarded([&]() -> status {
    auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now());
    sqlite::migrate(*db_, now);
    return ok;
  });
}

expected<int> sqlite_store::schema_version() {
  return guarded([&]() -> expected<int> { return recorded_schema_version(*db_); });
}

status sqlite_store::ping() {
  return guarded([&]() -> status {
    db_->prepare(sql::ping).run();
    return ok;
  });
}

void sqlite_store::insert_advertiser(const new_advertiser& request, year_month current,
                                     int backfill_months, int max_retries, timestamp now) {
  bool is_new = request.type == advertiser_type::new_advertiser;
  auto plan = is_new ? backfill_plan(current, backfill_months) : std::vector<year_month>{};
  // A NEW advertiser's cursor starts at its oldest month; an EXISTING one
  // has nothing to backfill and starts at the current month.
  std::optional<year_month> start;
  if (is_new)
    start = plan.front();
  auto insert = db_->prepare(sql::insert_advertiser);
  insert.bind(1, request.id).bind(2, request.name).bind(3, to_string(request.type));
  insert.bind(4, is_new ? plan.front() : current).bind(5, start).bind(6, !is_new).bind(7, now);
  insert.run();
  if (insert.changes() == 0)
    throw error{make_failure(errc::conflict, "advertiser '" + request.id + "' already exists")};
  for (auto month : plan) {
    db_->prepare(sql::insert_pending_month)
      .bind(1, request.id)
      .bind(2, month)
      .bind(3, max_retries)
      .bind(4, now)
      .run();
  }
}

expected<advertiser> sqlite_store::create_advertiser(const new_advertiser& request,
                                                     year_month current, int backfill_months,
                                                     int max_retries, timestamp now,
                                                     const audit_note& note) {
  if (auto valid = validate_creation({&request, 1}, backfill_months, max_retries); !valid)
    return valid.error();
  return guarded([&]() -> expected<advertiser> {
    write_transaction tx{*db_};
    insert_advertiser(request, current, backfill_months, max_retries, now);
    insert_audit(audit_of(audit_action::create, note, request.id, std::nullopt, now));
    auto row = db_->prepare(sql::select_advertiser);
    row.bind(1, request.id).step();
    auto created = read_advertiser(row);
    tx.commit();
    return created;
  });
}

expected<int64_t> sqlite_store::create_advertisers(std::span<const new_advertiser> requests,
                                                   year_month current, int backfill_months,
                                                   int max_retries, timestamp now,
                                                   std::span<const customer_event> events,
                                                   const audit_note& note) {
  if (auto valid = validate_creation(requests, backfill_months, max_retries); !valid)
    return valid.error();
  return guarded([&]() -> expected<int64_t> {
    write_transaction tx{*db_};
    for (const auto& request : requests) {
      insert_advertiser(request, current, backfill_months, max_retries, now);
      insert_audit(audit_of(audit_action::create, note, request.id, std::nullopt, now));
    }
    insert_event_rows(events);
    tx.commit();
    return static_cast<int64_t>(requests.size());
  });
}

expected<advertiser> sqlite_store::get_advertiser(const std::string& id) {
  return guarded([&]() -> expected<advertiser> {
    auto q = db_->prepare(sql::select_advertiser);
    q.bind(1, id);
    if (!q.step())
      return missing(id, std::nullopt);
    return read_advertiser(q);
  });
}

expected<std::vector<advertiser>>
sqlite_store::list_advertisers_for(std::span<const std::string> ids) {
  return guarded([&]() -> expected<std::vector<advertiser>> {
    return read_for_each(*db_, ids, sql::select_advertiser, read_advertiser);
  });
}

expected<std::vector<advertiser>> sqlite_store::list_advertisers(bool active_only) {
  return guarded([&]() -> expected<std::vector<advertiser>> {
    auto q = db_->prepare(sql::select_advertisers);
    q.bind(1, active_only);
    return read_all(q, read_advertiser);
  });
}

status sqlite_store::set_active(const std::string& id, bool active, const std::string& reason,
                                timestamp now, const audit_note& note) {
  return guarded([&]() -> status {
    write_transaction tx{*db_};
    auto q = db_->prepare(sql::update_active);
    q.bind(1, id).bind(2, active).bind(3, reason).bind(4, now).run();
    if (q.changes() == 0)
      return missing(id, std::nullopt);
    insert_audit(audit_of(active ? audit_action::activate : audit_action::deactivate, note, id,
                          std::nullopt, now));
    tx.commit();
    return ok;
  });
}

status sqlite_store::update_advertiser_progress(const std::string& id, advertiser_type type,
                                                std::optional<year_month> cursor,
                                                std::optional<year_month> last_completed,
                                                bool backfill_completed, timestamp now) {
  return guarded([&]() -> status {
    write_transaction tx{*db_};
    auto q = db_->prepare(sql::update_progress);
    q.bind(1, id).bind(2, to_string(type)).bind(3, cursor).bind(4, last_completed);
    q.bind(5, backfill_completed).bind(6, now).run();
    if (q.changes() == 0)
      return missing(id, std::nullopt);
    tx.commit();
    return ok;
  });
}

expected<advertiser_counts> sqlite_store::count_advertisers() {
  return guarded([&]() -> expected<advertiser_counts> {
    advertiser_counts counts;
    auto q = db_->prepare(sql::count_advertisers);
    while (q.step()) {
      bool is_new = q.text(0) == to_string(advertiser_type::new_advertiser);
      bool active = q.boolean(1);
      auto n = q.int64(2);
      if (is_new)
        (active ? counts.new_active : counts.new_inactive) += n;
      else
        (active ? counts.existing_active : counts.existing_inactive) += n;
    }
    return counts;
  });
}

} // namespace sqlite

} // namespace cdp
