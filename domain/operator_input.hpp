#pragma once

// What an operator typed, checked once for REST and console alike: every
// refusal here is errc::invalid_argument with a message naming the field.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/advertiser.hpp"
#include "domain/audit.hpp"
#include "domain/errors.hpp"
#include "domain/import_rules.hpp"
#include "domain/month_state.hpp"
#include "domain/progress.hpp"
#include "domain/views.hpp"
#include "domain/year_month.hpp"

namespace cdp {

inline constexpr int default_page_limit = 100;
inline constexpr int max_page_limit = 1000;
/// One bulk creation's requests: a few hundred KB on the admin port, and one
/// transaction the store finishes well within its statement timeout.
inline constexpr size_t max_bulk_create = 5000;
/// Ids of one read of many advertisers' months or attempts.
inline constexpr size_t max_ids_per_read = 1000;

/// `NEW`, `BACKFILLING`, `LIVE`, `DEGRADED`, `DEACTIVATED`.
std::optional<lifecycle> parse_lifecycle(std::string_view text);

/// The advertiser id as typed, or errc::invalid_argument.
expected<std::string> parse_advertiser_id(std::string_view text);

/// `YYYY-MM`, or errc::invalid_argument naming what came.
expected<year_month> parse_month(std::string_view text);

/// A page query: lifecycle and active optional, limit 1–1000 (100 when
/// empty), `after` empty or a valid id.
expected<advertiser_filter> parse_query(const advertiser_query& q);

/// A create request: a valid id, a name of at most 200 characters, type NEW
/// or EXISTING.
expected<new_advertiser> parse_request(const advertiser_request& r);

/// A bulk creation: 1 to `max_bulk_create` requests, each as parse_request
/// checks it; a refusal names the request by its position.
expected<std::vector<new_advertiser>> parse_requests(std::span<const advertiser_request> rs);

/// A row's fields checked as a create request is: a valid id, a name of at
/// most 200 characters, type NEW or EXISTING (`default_type` when the row
/// has none; without one a row must name its type), active `true` or
/// `false` (true when the row has none).
expected<import_row> check_import_line(const import_line& line,
                                       std::optional<advertiser_type> default_type);

/// One part of an import, checked line by line: its valid rows for the
/// store, and a report counting its lines and the refused ones.
struct checked_import {
  std::vector<import_row> rows;
  import_report report;
};

/// At most `import_chunk_rows` lines and a default type of "", NEW or
/// EXISTING, else errc::invalid_argument; each line as check_import_line
/// checks it, a refused one counted with its row and reason.
expected<checked_import> check_import_batch(const import_batch& batch);

/// An audit query: a valid id or "", `since` a duration back from `now`,
/// limit as a page's, `next` a previous page's (a positive whole number).
expected<audit_filter> parse_audit_query(const audit_query& q, timestamp now);

/// A reason as typed: at most `max_reason_bytes` of UTF-8 without control
/// characters, surrounding spaces dropped. An empty one is refused when
/// `required` (a deactivation must say why).
inline constexpr size_t max_reason_bytes = 500;
expected<std::string> parse_reason(std::string_view text, bool required);

/// Ids of a read of many advertisers: at most `max_ids_per_read`, each valid.
expected<std::vector<std::string>> parse_ids(std::span<const std::string> ids);

/// Compares the caller's token with the configured one in time independent
/// of where they differ. An empty configured token lets everyone in.
bool token_matches(std::string_view configured, std::string_view given);

/// errc::conflict when the operator may not retry this month now: it is
/// RUNNING, or COMPLETED and closed (no data can come for it any more).
status may_retry(const month_state& month);

/// errc::conflict when activating would deactivate the advertiser again at
/// once: a month without retries left must be retried first.
status may_activate(const advertiser& who, std::span<const month_state> months);

} // namespace cdp
