#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cdp {

/// Parses `"250ms"`, `"30s"`, `"5m"`, `"1h"`, `"2d"` (a non-negative integer
/// and one unit). Anything else is nullopt.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// The shortest exact spelling: 300000ms → "5m", 1500ms → "1500ms".
std::string format_duration(std::chrono::milliseconds d);

} // namespace cdp
