#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/errors.hpp"
#include "domain/year_month.hpp"

namespace cdp {

enum class month_status { pending, running, completed, failed };

std::string_view to_string(month_status status);
std::optional<month_status> parse_month_status(std::string_view text);

/// The longest error message stored for a month (the seed's VARCHAR(1000)).
inline constexpr size_t max_error_message = 1000;

/// Cuts `message` to `max_error_message` bytes without splitting a UTF-8
/// character, and replaces bytes that are not valid UTF-8 (and NUL) with '?'.
std::string truncate_error_message(std::string_view message);

/// One row of `advertiser_processing_states`: the seed's columns plus what the
/// engine needs to retry, close months and share work between nodes.
struct month_state {
  int64_t id = 0;
  std::string advertiser_id;
  year_month month;
  month_status status = month_status::pending;
  std::optional<timestamp> started_at;
  std::optional<timestamp> completed_at;
  int64_t processed_records = 0;
  int64_t failed_records = 0;
  std::string error_message;
  int retry_count = 0;
  int max_retries = 3;
  timestamp created_at{};
  timestamp updated_at{};
  /// When a FAILED month may be attempted again; nullopt once retries are
  /// exhausted (or for months that never failed).
  std::optional<timestamp> next_attempt_at;
  /// True once the month completed a run that started after it ended, so no
  /// later data can arrive for it.
  bool closed = false;
  /// Node holding the RUNNING claim, and the claim's token: an outcome is
  /// recorded only by the holder of the current token.
  std::string owner;
  int64_t lease_token = 0;
};

/// What can happen to a month.
enum class month_event {
  /// An attempt starts (first run, automatic retry, or refresh run).
  claim,
  /// The attempt succeeded.
  complete,
  /// The attempt failed.
  fail,
  /// The reaper found the attempt RUNNING for too long.
  reap,
  /// An operator asked for the month to be retried from scratch.
  manual_retry,
};

std::string_view to_string(month_event event);

/// The status after `event`, or `errc::conflict` naming both when the state
/// machine forbids it:
///   PENDING   --claim-->        RUNNING
///   FAILED    --claim-->        RUNNING   (retries left, checked separately)
///   COMPLETED --claim-->        RUNNING   (refresh or month-close run)
///   RUNNING   --complete-->     COMPLETED
///   RUNNING   --fail|reap-->    FAILED
///   FAILED|COMPLETED|PENDING --manual_retry--> PENDING
expected<month_status> next_status(month_status from, month_event event);

} // namespace cdp
