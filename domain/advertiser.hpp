#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/errors.hpp"
#include "domain/year_month.hpp"

namespace cdp {

/// 1–50 characters of `[A-Za-z0-9_.-]`, but not "." or "..": ids appear in
/// URLs (where those two are dot segments), log lines and file names, so
/// nothing else is accepted.
bool is_valid_advertiser_id(std::string_view id);

/// The error an operator sees for an id that `is_valid_advertiser_id` refuses.
failure invalid_advertiser_id(std::string_view id);

enum class advertiser_type { new_advertiser, existing };

std::string_view to_string(advertiser_type type);
std::optional<advertiser_type> parse_advertiser_type(std::string_view text);

/// One row of `advertisers`, the seed's columns plus why it was deactivated.
struct advertiser {
  std::string id;
  std::string name;
  bool active = true;
  advertiser_type type = advertiser_type::existing;
  std::optional<year_month> current_processing_month;
  std::optional<year_month> backfill_start_month;
  bool backfill_completed = false;
  std::optional<year_month> last_completed_month;
  /// Set when the advertiser was deactivated automatically (exhausted retries,
  /// restart storm) or by an operator; empty while active.
  std::string deactivation_reason;
  timestamp created_at{};
  timestamp updated_at{};
};

/// What an operator asks for when adding an advertiser.
struct new_advertiser {
  std::string id;
  std::string name;
  advertiser_type type = advertiser_type::new_advertiser;
};

/// Checks an operator's request before anything is stored.
status validate(const new_advertiser& request);

} // namespace cdp
