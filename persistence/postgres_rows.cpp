#include "persistence/postgres_rows.hpp"

namespace cdp::pg {

year_month month_of(const result& r, int row, int col) {
  // The fallback is unreachable while the CHECK constraint holds.
  return year_month::parse(r.text(row, col)).value_or(*year_month::parse("1970-01"));
}

std::optional<year_month> opt_month_of(const result& r, int row, int col) {
  if (r.is_null(row, col))
    return std::nullopt;
  return year_month::parse(r.text(row, col));
}

month_state month_at(const result& r, int row, int first) {
  month_state m;
  int c = first;
  m.id = r.int64(row, c++);
  m.advertiser_id = r.string(row, c++);
  m.month = month_of(r, row, c++);
  m.status = parse_month_status(r.text(row, c++)).value_or(month_status::pending);
  m.started_at = r.opt_time(row, c++);
  m.completed_at = r.opt_time(row, c++);
  m.processed_records = r.int64(row, c++);
  m.failed_records = r.int64(row, c++);
  m.error_message = r.string(row, c++);
  m.retry_count = r.int32(row, c++);
  m.max_retries = r.int32(row, c++);
  m.created_at = r.time(row, c++);
  m.updated_at = r.time(row, c++);
  m.next_attempt_at = r.opt_time(row, c++);
  m.closed = r.boolean(row, c++);
  m.owner = r.string(row, c++);
  m.lease_token = r.int64(row, c++);
  return m;
}

std::vector<month_state> months_of(const result& r, int first) {
  std::vector<month_state> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row)
    out.push_back(month_at(r, row, first));
  return out;
}

advertiser advertiser_at(const result& r, int row) {
  advertiser a;
  a.id = r.string(row, 0);
  a.name = r.string(row, 1);
  a.active = r.boolean(row, 2);
  a.type = parse_advertiser_type(r.text(row, 3)).value_or(advertiser_type::existing);
  a.current_processing_month = opt_month_of(r, row, 4);
  a.backfill_start_month = opt_month_of(r, row, 5);
  a.backfill_completed = r.boolean(row, 6);
  a.last_completed_month = opt_month_of(r, row, 7);
  a.deactivation_reason = r.string(row, 8);
  a.created_at = r.time(row, 9);
  a.updated_at = r.time(row, 10);
  return a;
}

attempt_record attempt_at(const result& r, int row) {
  attempt_record a;
  a.advertiser_id = r.string(row, 0);
  a.month = month_of(r, row, 1);
  a.attempt = r.int32(row, 2);
  a.started_at = r.time(row, 3);
  a.finished_at = r.opt_time(row, 4);
  a.outcome = parse_month_status(r.text(row, 5)).value_or(month_status::running);
  a.error_message = r.string(row, 6);
  a.owner = r.string(row, 7);
  a.probe = r.boolean(row, 8);
  return a;
}

std::string text_array(std::span<const std::string> ids) {
  array list;
  for (const auto& id : ids)
    list.add(id);
  return list.take();
}

} // namespace cdp::pg
