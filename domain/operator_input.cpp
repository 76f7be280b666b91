#include "domain/operator_input.hpp"

#include <charconv>

#include "domain/duration.hpp"
#include "domain/utf8.hpp"

namespace cdp {

namespace {

failure invalid(std::string message) {
  return make_failure(errc::invalid_argument, std::move(message));
}

/// What came, cut and quoted for an error message.
std::string shown(std::string_view text) {
  return "'" + std::string{text.substr(0, 60)} + (text.size() > 60 ? "…'" : "'");
}

/// A page's `limit`: 1 to max_page_limit.
expected<int> parse_limit(std::string_view text) {
  int limit = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc{} || end != text.data() + text.size() || limit < 1
      || limit > max_page_limit)
    return invalid("limit " + shown(text) + " must be a whole number from 1 to "
                   + std::to_string(max_page_limit));
  return limit;
}

} // namespace

std::optional<lifecycle> parse_lifecycle(std::string_view text) {
  for (auto stage : {lifecycle::new_advertiser, lifecycle::backfilling, lifecycle::live,
                     lifecycle::degraded, lifecycle::deactivated})
    if (text == to_string(stage))
      return stage;
  return std::nullopt;
}

expected<std::string> parse_advertiser_id(std::string_view text) {
  if (!is_valid_advertiser_id(text))
    return invalid_advertiser_id(text);
  return std::string{text};
}

expected<year_month> parse_month(std::string_view text) {
  auto m = year_month::parse(text);
  if (!m)
    return invalid("malformed month " + shown(text) + ": expected YYYY-MM, e.g. 2024-03");
  return *m;
}

expected<advertiser_filter> parse_query(const advertiser_query& q) {
  advertiser_filter f;
  if (!q.lifecycle.empty()) {
    f.stage = parse_lifecycle(q.lifecycle);
    if (!f.stage)
      return invalid("lifecycle " + shown(q.lifecycle)
                     + " is not one of NEW, BACKFILLING, LIVE, DEGRADED, DEACTIVATED");
  }
  if (q.active == "true")
    f.active = true;
  else if (q.active == "false")
    f.active = false;
  else if (!q.active.empty())
    return invalid("active " + shown(q.active) + " must be true or false");
  if (!q.limit.empty()) {
    auto limit = parse_limit(q.limit);
    if (!limit)
      return std::move(limit).error();
    f.limit = *limit;
  }
  if (!q.after.empty()) {
    if (!is_valid_advertiser_id(q.after))
      return invalid("after " + shown(q.after) + " is not an advertiser id");
    f.after = q.after;
  }
  return f;
}

expected<new_advertiser> parse_request(const advertiser_request& r) {
  auto type = parse_advertiser_type(r.type);
  if (!type)
    return invalid("type " + shown(r.type) + " must be NEW or EXISTING");
  new_advertiser request{r.advertiser_id, r.name, *type};
  if (auto valid = validate(request); !valid)
    return std::move(valid).error();
  return request;
}

expected<std::vector<new_advertiser>> parse_requests(std::span<const advertiser_request> rs) {
  if (rs.empty() || rs.size() > max_bulk_create)
    return invalid("a bulk creation takes 1 to " + std::to_string(max_bulk_create)
                   + " advertisers, got " + std::to_string(rs.size()));
  std::vector<new_advertiser> out;
  out.reserve(rs.size());
  for (size_t i = 0; i < rs.size(); ++i) {
    auto request = parse_request(rs[i]);
    if (!request)
      return invalid("advertiser " + std::to_string(i + 1) + " of " + std::to_string(rs.size())
                     + ": " + request.error().message);
    out.push_back(std::move(*request));
  }
  return out;
}

expected<import_row> check_import_line(const import_line& line,
                                       std::optional<advertiser_type> default_type) {
  import_row row{line.row, line.advertiser_id, line.name, advertiser_type::existing, true};
  if (line.type.empty()) {
    if (!default_type)
      return invalid("no type: give the row a type (NEW or EXISTING) or the import a default "
                     "type (cdpctl import --type, REST ?type=)");
    row.type = *default_type;
  } else if (auto type = parse_advertiser_type(line.type)) {
    row.type = *type;
  } else {
    return invalid("type " + shown(line.type) + " must be NEW or EXISTING");
  }
  if (line.active == "false")
    row.active = false;
  else if (!line.active.empty() && line.active != "true")
    return invalid("active " + shown(line.active) + " must be true or false");
  if (auto valid = validate(new_advertiser{row.advertiser_id, row.name, row.type}); !valid)
    return std::move(valid).error();
  return row;
}

expected<checked_import> check_import_batch(const import_batch& batch) {
  if (batch.lines.size() > import_chunk_rows)
    return invalid("an import part takes at most " + std::to_string(import_chunk_rows)
                   + " rows, got " + std::to_string(batch.lines.size()));
  std::optional<advertiser_type> default_type;
  if (!batch.default_type.empty()) {
    default_type = parse_advertiser_type(batch.default_type);
    if (!default_type)
      return invalid("default type " + shown(batch.default_type) + " must be NEW or EXISTING");
  }
  checked_import out;
  out.report.dry_run = batch.dry_run;
  out.report.rows = static_cast<int64_t>(batch.lines.size());
  for (const auto& line : batch.lines) {
    auto row = check_import_line(line, default_type);
    if (row)
      out.rows.push_back(std::move(*row));
    else
      add_refusal(out.report, {line.row, line.advertiser_id, std::move(row).error().message});
  }
  return out;
}

expected<std::vector<std::string>> parse_ids(std::span<const std::string> ids) {
  if (ids.size() > max_ids_per_read)
    return invalid("at most " + std::to_string(max_ids_per_read) + " advertisers per read, got "
                   + std::to_string(ids.size()));
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const auto& raw : ids) {
    auto id = parse_advertiser_id(raw);
    if (!id)
      return std::move(id).error();
    out.push_back(std::move(*id));
  }
  return out;
}

bool token_matches(std::string_view configured, std::string_view given) {
  if (configured.empty())
    return true;
  // Every byte of the longer one is looked at, whatever matched before.
  auto n = std::max(configured.size(), given.size());
  unsigned diff = configured.size() == given.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    auto a = i < configured.size() ? static_cast<unsigned char>(configured[i]) : 0u;
    auto b = i < given.size() ? static_cast<unsigned char>(given[i]) : 0u;
    diff |= a ^ b;
  }
  return diff == 0;
}

status may_retry(const month_state& m) {
  auto label = "advertiser '" + m.advertiser_id + "' month " + m.month.to_string();
  if (m.status == month_status::running)
    return make_failure(errc::conflict,
                        label + " is RUNNING: wait for its attempt to end before retrying it");
  if (m.status == month_status::completed && m.closed)
    return make_failure(errc::conflict, label
                                          + " is COMPLETED and closed: no data can arrive for "
                                            "it any more, so a retry would change nothing");
  return ok;
}

status may_activate(const advertiser& who, std::span<const month_state> months) {
  for (const auto& m : months)
    if (m.status == month_status::failed && m.retry_count >= m.max_retries)
      return make_failure(errc::conflict,
                          "advertiser '" + who.id + "' month " + m.month.to_string()
                            + " has no retries left (failed " + std::to_string(m.retry_count + 1)
                            + " times); retry that month first, then activate");
  return ok;
}

expected<audit_filter> parse_audit_query(const audit_query& q, timestamp now) {
  audit_filter f;
  if (!q.advertiser_id.empty()) {
    auto id = parse_advertiser_id(q.advertiser_id);
    if (!id)
      return std::move(id).error();
    f.advertiser_id = std::move(*id);
  }
  if (!q.since.empty()) {
    auto back = parse_duration(q.since);
    if (!back)
      return invalid("since " + shown(q.since)
                     + " must be a duration back from now: 30m, 1h, 7d");
    f.since = now - *back;
  }
  if (!q.limit.empty()) {
    auto limit = parse_limit(q.limit);
    if (!limit)
      return std::move(limit).error();
    f.limit = *limit;
  }
  if (!q.next.empty()) {
    int64_t before = 0;
    auto [end, ec] = std::from_chars(q.next.data(), q.next.data() + q.next.size(), before);
    if (ec != std::errc{} || end != q.next.data() + q.next.size() || before < 1)
      return invalid("next " + shown(q.next) + " is not a page's next: a positive whole number");
    f.before = before;
  }
  return f;
}

expected<std::string> parse_reason(std::string_view text, bool required) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  if (text.size() > max_reason_bytes)
    return invalid("reason is " + std::to_string(text.size()) + " bytes; at most "
                   + std::to_string(max_reason_bytes) + " are kept in the audit trail");
  if (!is_utf8(text))
    return invalid("reason is not UTF-8");
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f)
      return invalid("reason holds a control character: write it on one line");
  if (required && text.empty())
    return invalid("this change needs a reason for the audit trail: say why (--reason, or "
                   "a \"reason\" field)");
  return std::string{text};
}

} // namespace cdp
