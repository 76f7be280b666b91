#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"
#include "domain/views.hpp"
#include "domain/year_month.hpp"

namespace cdp {

/// A deactivated advertiser's probes, as far as `why` tells them.
struct why_probe {
  /// When the next probe is due; nullopt when it is never probed.
  std::optional<timestamp> next;
  /// The latest probe attempt, if it had one.
  std::optional<attempt_record> last;
};

/// What "why is it not running?" is answered from: the stored rows, what its
/// actor says it is doing, and the director's schedule.
struct why_context {
  const advertiser& who;
  std::span<const month_state> months;
  const advertiser_activity& activity;
  /// The director's next tick; nullopt while draining or unknown.
  std::optional<timestamp> next_tick;
  timestamp now;
  /// This daemon's node id: a month RUNNING under another is that node's.
  std::string_view node;
  why_probe probe{};
};

/// The one reason it is not running now (or what it runs), in words a tired
/// operator understands: "waiting for a runner, 37 ahead", "in backoff until
/// 12:04:10 (attempt 2 of 4)", "deactivated: 2024-03 failed 4 times: <error>",
/// "idle until the next tick at 12:05:00". A deactivated advertiser that is
/// probed adds when ("; next probe at 13:00:00") and how the last one ended.
std::string why_not_running(const why_context& ctx);

/// `12:04:10` (UTC) when `t` falls on the same UTC day as `now`, else
/// `2024-12-03 12:04:10`.
std::string clock_time(timestamp t, timestamp now);

} // namespace cdp
