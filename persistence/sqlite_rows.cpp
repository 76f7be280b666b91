#include "persistence/sqlite_rows.hpp"

namespace cdp::sqlite {

namespace {

month_status status_at(const statement& row, int column) {
  auto text = row.text(column);
  auto parsed = parse_month_status(text);
  if (!parsed)
    throw error{make_failure(errc::store_error, "a stored month status is unknown: '" + text + "'")};
  return *parsed;
}

} // namespace

advertiser read_advertiser(const statement& row) {
  advertiser a;
  a.id = row.text(0);
  a.name = row.text(1);
  a.active = row.boolean(2);
  auto type = row.text(3);
  a.type = parse_advertiser_type(type).value_or(advertiser_type::existing);
  a.current_processing_month = row.optional_month(4);
  a.backfill_start_month = row.optional_month(5);
  a.backfill_completed = row.boolean(6);
  a.last_completed_month = row.optional_month(7);
  a.deactivation_reason = row.text(8);
  a.created_at = row.time(9);
  a.updated_at = row.time(10);
  return a;
}

month_state read_month_state(const statement& row) {
  month_state m;
  m.id = row.int64(0);
  m.advertiser_id = row.text(1);
  m.month = row.month(2);
  m.status = status_at(row, 3);
  m.started_at = row.optional_time(4);
  m.completed_at = row.optional_time(5);
  m.processed_records = row.int64(6);
  m.failed_records = row.int64(7);
  m.error_message = row.text(8);
  m.retry_count = row.int32(9);
  m.max_retries = row.int32(10);
  m.created_at = row.time(11);
  m.updated_at = row.time(12);
  m.next_attempt_at = row.optional_time(13);
  m.closed = row.boolean(14);
  m.owner = row.text(15);
  m.lease_token = row.int64(16);
  return m;
}

attempt_record read_attempt(const statement& row) {
  attempt_record a;
  a.advertiser_id = row.text(0);
  a.month = row.month(1);
  a.attempt = row.int32(2);
  a.started_at = row.time(3);
  a.finished_at = row.optional_time(4);
  a.outcome = status_at(row, 5);
  a.error_message = row.text(6);
  a.owner = row.text(7);
  a.probe = row.boolean(8);
  return a;
}

customer_profile read_profile(const statement& row) {
  customer_profile p;
  p.advertiser_id = row.text(0);
  p.month = row.month(1);
  p.customer_id = row.text(2);
  p.events = row.int64(3);
  p.purchases = row.int64(4);
  p.revenue_cents = row.int64(5);
  p.first_seen = row.time(6);
  p.last_seen = row.time(7);
  return p;
}

} // namespace cdp::sqlite
