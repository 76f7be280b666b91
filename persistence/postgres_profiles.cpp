// The cdp-profile job's tables: raw events in, monthly profiles and rejected
// events out, all set-based so a million events take seconds.
#include "persistence/postgres_rows.hpp"
#include "persistence/postgres_store_impl.hpp"

namespace cdp {

namespace {

using pg::params;
using pg::query;

// Events without an id take the sequence's next value; events with one keep
// it, and the sequence is moved past them afterwards.
constexpr query insert_new_events{
  "cdp_insert_new_events",
  "INSERT INTO customer_events (advertiser_id, customer_id, event_time, event_type, revenue_cents)"
  " SELECT e.advertiser_id, e.customer_id, cdp_ts(e.event_ms), e.event_type, e.revenue_cents"
  " FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[])"
  "  AS e(advertiser_id, customer_id, event_ms, event_type, revenue_cents)"};

constexpr query insert_numbered_events{
  "cdp_insert_numbered_events",
  "INSERT INTO customer_events"
  " (id, advertiser_id, customer_id, event_time, event_type, revenue_cents)"
  " SELECT e.id, e.advertiser_id, e.customer_id, cdp_ts(e.event_ms), e.event_type,"
  "  e.revenue_cents"
  " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[])"
  "  AS e(id, advertiser_id, customer_id, event_ms, event_type, revenue_cents)"};

constexpr query advance_event_ids{
  "cdp_advance_event_ids",
  "SELECT setval(pg_get_serial_sequence('customer_events', 'id'),"
  " greatest((SELECT max(id) FROM customer_events), 1))"};

constexpr query delete_profiles{
  "cdp_delete_profiles",
  "DELETE FROM customer_monthly_profiles"
  " WHERE advertiser_id = $1::text AND processing_month = $2::text"};

constexpr query delete_rejected{
  "cdp_delete_rejected",
  "DELETE FROM rejected_events WHERE advertiser_id = $1::text AND processing_month = $2::text"};

// $3/$4: the month's first instant and the next month's, epoch ms (UTC).
// The CASE order decides the reason when a record is wrong twice.
constexpr query insert_rejected{
  "cdp_insert_rejected",
  "INSERT INTO rejected_events (advertiser_id, processing_month, event_id, reason)"
  " SELECT $1::text, $2::text, e.id,"
  "  CASE WHEN e.customer_id = '' THEN 'empty customer_id'"
  "       WHEN e.event_type NOT IN ('view', 'click', 'cart', 'purchase')"
  "            THEN 'unknown event_type'"
  "       WHEN e.revenue_cents < 0 THEN 'negative revenue'"
  "       ELSE 'purchase without revenue' END"
  " FROM customer_events e"
  " WHERE e.advertiser_id = $1::text"
  "  AND e.event_time >= cdp_ts($3::bigint) AND e.event_time < cdp_ts($4::bigint)"
  "  AND (e.customer_id = '' OR e.event_type NOT IN ('view', 'click', 'cart', 'purchase')"
  "       OR e.revenue_cents < 0"
  "       OR (e.event_type = 'purchase' AND coalesce(e.revenue_cents, 0) = 0))"};

// The complement of insert_rejected's filter: the valid events, one profile
// per customer. Returns the number of valid events.
constexpr query insert_profiles{
  "cdp_insert_profiles",
  "WITH inserted AS ("
  " INSERT INTO customer_monthly_profiles (advertiser_id, processing_month, customer_id,"
  "  events, purchases, revenue_cents, first_seen, last_seen)"
  " SELECT $1::text, $2::text, e.customer_id, count(*),"
  "  count(*) FILTER (WHERE e.event_type = 'purchase'),"
  "  coalesce(sum(e.revenue_cents) FILTER (WHERE e.event_type = 'purchase'), 0),"
  "  min(e.event_time), max(e.event_time)"
  " FROM customer_events e"
  " WHERE e.advertiser_id = $1::text"
  "  AND e.event_time >= cdp_ts($3::bigint) AND e.event_time < cdp_ts($4::bigint)"
  "  AND e.customer_id <> '' AND e.event_type IN ('view', 'click', 'cart', 'purchase')"
  "  AND coalesce(e.revenue_cents, 0) >= 0"
  "  AND NOT (e.event_type = 'purchase' AND coalesce(e.revenue_cents, 0) = 0)"
  " GROUP BY e.customer_id"
  " RETURNING events)"
  " SELECT coalesce(sum(events), 0)::bigint FROM inserted"};

constexpr query select_profiles{
  "cdp_select_profiles",
  "SELECT customer_id, events, purchases, revenue_cents, cdp_ms(first_seen), cdp_ms(last_seen)"
  " FROM customer_monthly_profiles"
  " WHERE advertiser_id = $1::text AND processing_month = $2::text ORDER BY customer_id"};

constexpr query select_rejected{
  "cdp_select_rejected",
  "SELECT event_id, reason FROM rejected_events"
  " WHERE advertiser_id = $1::text AND processing_month = $2::text ORDER BY event_id"};

/// Events per statement: bounds the size of one bound array.
constexpr size_t events_per_statement = 20000;

status insert_chunk(pg::connection& conn, std::span<const customer_event> events,
                    bool numbered) {
  pg::array ids, advertisers, customers, times, types, revenues;
  for (const auto& e : events) {
    ids.add(e.id);
    advertisers.add(e.advertiser_id);
    customers.add(e.customer_id);
    times.add(e.event_time);
    types.add(e.event_type);
    revenues.add(e.revenue_cents);
  }
  params p;
  if (numbered)
    p.add(ids.take());
  p.add(advertisers.take()).add(customers.take()).add(times.take()).add(types.take());
  p.add(revenues.take());
  auto r = conn.exec(numbered ? insert_numbered_events : insert_new_events, p);
  if (!r)
    return std::move(r).error();
  return ok;
}

} // namespace

status postgres_store::insert_events(std::span<const customer_event> events) {
  return conn_->transact([&]() -> status { return insert_event_rows(events); });
}

status postgres_store::insert_event_rows(std::span<const customer_event> events) {
  std::vector<customer_event> numbered, fresh;
  for (const auto& e : events)
    (e.id > 0 ? numbered : fresh).push_back(e);
  for (auto* list : {&numbered, &fresh}) {
    std::span<const customer_event> rest{*list};
    while (!rest.empty()) {
      auto chunk = rest.first(std::min(rest.size(), events_per_statement));
      if (auto r = insert_chunk(*conn_, chunk, list == &numbered); !r)
        return r;
      rest = rest.subspan(chunk.size());
    }
  }
  if (!numbered.empty())
    if (auto r = conn_->exec(advance_event_ids, params{}); !r)
      return std::move(r).error();
  return ok;
}

expected<profile_counts> postgres_store::build_monthly_profiles(const std::string& id,
                                                                year_month month) {
  params p;
  p.add(id).add(month).add(month.start_utc()).add(month.next().start_utc());
  params key;
  key.add(id).add(month);
  return conn_->transact([&]() -> expected<profile_counts> {
    for (const auto* q : {&delete_profiles, &delete_rejected})
      if (auto r = conn_->exec(*q, key); !r)
        return std::move(r).error();
    auto rejected = conn_->exec(insert_rejected, p);
    if (!rejected)
      return std::move(rejected).error();
    auto profiles = conn_->exec(insert_profiles, p);
    if (!profiles)
      return std::move(profiles).error();
    return profile_counts{profiles->int64(0, 0), rejected->affected()};
  });
}

expected<std::vector<customer_profile>> postgres_store::list_profiles(const std::string& id,
                                                                      year_month month) {
  return call([&]() -> expected<std::vector<customer_profile>> {
    auto r = conn_->exec(select_profiles, params{}.add(id).add(month));
    if (!r)
      return std::move(r).error();
    std::vector<customer_profile> out;
    out.reserve(static_cast<size_t>(r->rows()));
    for (int row = 0; row < r->rows(); ++row)
      out.push_back(customer_profile{id, month, r->string(row, 0), r->int64(row, 1),
                                     r->int64(row, 2), r->int64(row, 3), r->time(row, 4),
                                     r->time(row, 5)});
    return out;
  });
}

expected<std::vector<rejected_event>> postgres_store::list_rejected(const std::string& id,
                                                                    year_month month) {
  return call([&]() -> expected<std::vector<rejected_event>> {
    auto r = conn_->exec(select_rejected, params{}.add(id).add(month));
    if (!r)
      return std::move(r).error();
    std::vector<rejected_event> out;
    out.reserve(static_cast<size_t>(r->rows()));
    for (int row = 0; row < r->rows(); ++row)
      out.push_back(rejected_event{r->int64(row, 0), r->string(row, 1)});
    return out;
  });
}

} // namespace cdp
