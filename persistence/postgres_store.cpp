#include "persistence/postgres_store.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_schema.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

constexpr query ping_query{"cdp_ping", "SELECT 1"};

constexpr query insert_advertiser{
  "cdp_insert_advertiser",
  "INSERT INTO advertisers AS a (advertiser_id, name, active, advertiser_type,"
  " current_processing_month, backfill_start_month, backfill_completed, created_at, updated_at)"
  " VALUES ($1::text, $2::text, true, $3::text, $4::text, $5::text, $6::boolean,"
  " cdp_ts($7::bigint), cdp_ts($7::bigint))"
  " ON CONFLICT (advertiser_id) DO NOTHING"
  " RETURNING " CDP_PG_ADVERTISER_COLUMNS};

// A NEW advertiser's backfill months, all in one statement.
constexpr query insert_backfill_months{
  "cdp_insert_backfill_months",
  "INSERT INTO advertiser_processing_states"
  " (advertiser_id, processing_month, max_retries, created_at, updated_at)"
  " SELECT $1::text, m, $3::int, cdp_ts($4::bigint), cdp_ts($4::bigint)"
  " FROM unnest($2::text[]) AS m"};

// Many advertisers in one statement; `RETURNING` names the ones inserted, so
// an id that exists shows as a missing row.
constexpr query insert_advertisers{
  "cdp_insert_advertisers",
  "INSERT INTO advertisers AS a (advertiser_id, name, active, advertiser_type,"
  " current_processing_month, backfill_start_month, backfill_completed, created_at, updated_at)"
  " SELECT r.id, r.name, true, r.kind,"
  "  CASE WHEN r.kind = 'NEW' THEN $4::text ELSE $5::text END,"
  "  CASE WHEN r.kind = 'NEW' THEN $4::text END, r.kind <> 'NEW',"
  "  cdp_ts($6::bigint), cdp_ts($6::bigint)"
  " FROM unnest($1::text[], $2::text[], $3::text[]) AS r(id, name, kind)"
  " ON CONFLICT (advertiser_id) DO NOTHING"
  " RETURNING a.advertiser_id"};

// Every backfill month of many NEW advertisers.
constexpr query insert_many_backfill_months{
  "cdp_insert_many_backfill_months",
  "INSERT INTO advertiser_processing_states"
  " (advertiser_id, processing_month, max_retries, created_at, updated_at)"
  " SELECT a, m, $3::int, cdp_ts($4::bigint), cdp_ts($4::bigint)"
  " FROM unnest($1::text[]) AS a CROSS JOIN unnest($2::text[]) AS m"};

/// Advertisers per statement of a bulk creation: bounds one bound array.
constexpr size_t advertisers_per_statement = 10000;

constexpr query select_advertiser{
  "cdp_select_advertiser",
  "SELECT " CDP_PG_ADVERTISER_COLUMNS " FROM advertisers a WHERE a.advertiser_id = $1::text"};

constexpr query select_advertisers{
  "cdp_select_advertisers",
  "SELECT " CDP_PG_ADVERTISER_COLUMNS " FROM advertisers a"
  " WHERE a.active OR NOT $1::boolean ORDER BY a.advertiser_id"};

constexpr query select_advertisers_for{
  "cdp_select_advertisers_for",
  "SELECT " CDP_PG_ADVERTISER_COLUMNS " FROM advertisers a"
  " WHERE a.advertiser_id = ANY ($1::text[]) ORDER BY a.advertiser_id"};

constexpr query update_active{
  "cdp_update_active",
  "UPDATE advertisers SET active = $2::boolean,"
  " deactivation_reason = CASE WHEN $2::boolean THEN ''"
  "   WHEN NOT active AND deactivation_reason <> '' THEN deactivation_reason ELSE $3::text END,"
  " updated_at = cdp_ts($4::bigint)"
  " WHERE advertiser_id = $1::text"};

constexpr query update_progress{
  "cdp_update_progress",
  "UPDATE advertisers SET advertiser_type = $2::text, current_processing_month = $3::text,"
  " last_completed_month = $4::text, backfill_completed = $5::boolean,"
  " updated_at = cdp_ts($6::bigint)"
  " WHERE advertiser_id = $1::text"};

constexpr query count_advertisers_query{
  "cdp_count_advertisers",
  "SELECT count(*) FILTER (WHERE advertiser_type = 'NEW' AND active),"
  " count(*) FILTER (WHERE advertiser_type = 'NEW' AND NOT active),"
  " count(*) FILTER (WHERE advertiser_type = 'EXISTING' AND active),"
  " count(*) FILTER (WHERE advertiser_type = 'EXISTING' AND NOT active)"
  " FROM advertisers"};

/// One `"month"` per backfill month, as a text[] literal.
std::string month_array(year_month first, year_month last) {
  pg::array months;
  for (auto m : month_range(first, last))
    months.add(m);
  return months.take();
}

status updated_one(expected<pg::result> r, const std::string& id) {
  if (!r)
    return std::move(r).error();
  if (r->affected() == 0)
    return unknown_advertiser(id);
  return ok;
}

} // namespace

failure unknown_advertiser(const std::string& id) {
  return make_failure(errc::not_found, "advertiser '" + id + "' does not exist");
}

expected<std::unique_ptr<store>> open_postgres_store(const std::string& url,
                                                     const store_options& options) {
  auto conn = pg::connection::open(url, options);
  if (!conn)
    return std::move(conn).error();
  return std::unique_ptr<store>{std::make_unique<postgres_store>(std::move(*conn))};
}

status postgres_store::migrate() { return pg::migrate(*conn_); }

expected<int> postgres_store::schema_version() { return pg::schema_version(*conn_); }

status postgres_store::ping() {
  return call([&]() -> status {
    if (auto r = conn_->exec(ping_query, params{}); !r)
      return std::move(r).error();
    return ok;
  });
}

expected<advertiser> postgres_store::create_advertiser(const new_advertiser& request,
                                                       year_month current,
                                                       int backfill_months, int max_retries,
                                                       timestamp now, const audit_note& note) {
  if (auto valid = validate_creation({&request, 1}, backfill_months, max_retries); !valid)
    return std::move(valid).error();
  bool backfills = request.type == advertiser_type::new_advertiser;
  auto start = current.plus(-(backfill_months - 1));
  params p;
  p.add(request.id).add(request.name).add(to_string(request.type));
  p.add(backfills ? start : current);
  p.add(backfills ? std::optional{start} : std::nullopt);
  p.add(!backfills).add(now);
  return conn_->transact([&]() -> expected<advertiser> {
    auto inserted = conn_->exec(insert_advertiser, p);
    if (!inserted)
      return std::move(inserted).error();
    if (inserted->rows() == 0)
      return make_failure(errc::conflict, "advertiser '" + request.id + "' already exists");
    if (backfills) {
      auto months = conn_->exec(insert_backfill_months, params{}
                                                          .add(request.id)
                                                          .add(month_array(start, current))
                                                          .add(max_retries)
                                                          .add(now));
      if (!months)
        return std::move(months).error();
    }
    auto row = audit_of(audit_action::create, note, request.id, std::nullopt, now);
    if (auto r = insert_audits({&row, 1}); !r)
      return std::move(r).error();
    return pg::advertiser_at(*inserted, 0);
  });
}

status postgres_store::insert_advertiser_chunk(std::span<const new_advertiser> chunk,
                                               year_month current, int backfill_months,
                                               int max_retries, timestamp now) {
  auto start = current.plus(-(backfill_months - 1));
  pg::array ids, names, kinds, backfilling;
  bool any_new = false;
  for (const auto& r : chunk) {
    ids.add(r.id);
    names.add(r.name);
    kinds.add(to_string(r.type));
    if (r.type == advertiser_type::new_advertiser) {
      backfilling.add(r.id);
      any_new = true;
    }
  }
  params p;
  p.add(ids.take()).add(names.take()).add(kinds.take()).add(start).add(current).add(now);
  auto inserted = conn_->exec(insert_advertisers, p);
  if (!inserted)
    return std::move(inserted).error();
  if (inserted->rows() != static_cast<int>(chunk.size())) {
    std::unordered_set<std::string_view> made;
    for (int row = 0; row < inserted->rows(); ++row)
      made.insert(inserted->text(row, 0));
    for (const auto& r : chunk)
      if (!made.count(r.id))
        return make_failure(errc::conflict, "advertiser '" + r.id + "' already exists");
  }
  if (!any_new)
    return ok;
  auto months = conn_->exec(insert_many_backfill_months, params{}
                                                           .add(backfilling.take())
                                                           .add(month_array(start, current))
                                                           .add(max_retries)
                                                           .add(now));
  if (!months)
    return std::move(months).error();
  return ok;
}

expected<int64_t> postgres_store::create_advertisers(std::span<const new_advertiser> requests,
                                                     year_month current, int backfill_months,
                                                     int max_retries, timestamp now,
                                                     std::span<const customer_event> events,
                                                     const audit_note& note) {
  if (auto valid = validate_creation(requests, backfill_months, max_retries); !valid)
    return std::move(valid).error();
  return conn_->transact([&]() -> expected<int64_t> {
    for (auto rest = requests; !rest.empty();) {
      auto chunk = rest.first(std::min(rest.size(), advertisers_per_statement));
      if (auto r = insert_advertiser_chunk(chunk, current, backfill_months, max_retries, now); !r)
        return std::move(r).error();
      rest = rest.subspan(chunk.size());
    }
    if (auto r = insert_event_rows(events); !r)
      return std::move(r).error();
    std::vector<audit_entry> rows;
    rows.reserve(requests.size());
    for (const auto& r : requests)
      rows.push_back(audit_of(audit_action::create, note, r.id, std::nullopt, now));
    if (auto r = insert_audits(rows); !r)
      return std::move(r).error();
    return static_cast<int64_t>(requests.size());
  });
}

expected<advertiser> postgres_store::get_advertiser(const std::string& id) {
  return call([&]() -> expected<advertiser> {
    auto r = conn_->exec(select_advertiser, params{}.add(id));
    if (!r)
      return std::move(r).error();
    if (r->rows() == 0)
      return unknown_advertiser(id);
    return pg::advertiser_at(*r, 0);
  });
}

expected<std::vector<advertiser>> postgres_store::list_advertisers(bool active_only) {
  return call([&] {
    return pg::rows_of(conn_->exec(select_advertisers, params{}.add(active_only)),
                       pg::advertiser_at);
  });
}

expected<std::vector<advertiser>>
postgres_store::list_advertisers_for(std::span<const std::string> ids) {
  if (ids.empty())
    return std::vector<advertiser>{};
  return call([&] {
    return pg::rows_of(conn_->exec(select_advertisers_for, params{}.add(pg::text_array(ids))),
                       pg::advertiser_at);
  });
}

status postgres_store::set_active(const std::string& id, bool active,
                                  const std::string& reason, timestamp now,
                                  const audit_note& note) {
  return conn_->transact([&]() -> status {
    auto changed = updated_one(
      conn_->exec(update_active, params{}.add(id).add(active).add(reason).add(now)), id);
    if (!changed)
      return changed;
    auto row = audit_of(active ? audit_action::activate : audit_action::deactivate, note, id,
                        std::nullopt, now);
    return insert_audits({&row, 1});
  });
}

status postgres_store::update_advertiser_progress(const std::string& id,
                                                  advertiser_type type,
                                                  std::optional<year_month> cursor,
                                                  std::optional<year_month> last_completed,
                                                  bool backfill_completed, timestamp now) {
  params p;
  p.add(id).add(to_string(type)).add(cursor).add(last_completed);
  p.add(backfill_completed).add(now);
  return call([&]() -> status { return updated_one(conn_->exec(update_progress, p), id); });
}

expected<advertiser_counts> postgres_store::count_advertisers() {
  return call([&]() -> expected<advertiser_counts> {
    auto r = conn_->exec(count_advertisers_query, params{});
    if (!r)
      return std::move(r).error();
    return advertiser_counts{r->int64(0, 0), r->int64(0, 1), r->int64(0, 2), r->int64(0, 3)};
  });
}

} // namespace cdp
