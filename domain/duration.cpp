#include "domain/duration.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

namespace cdp {

namespace {

using unit = std::pair<std::string_view, int64_t>;

// Longest suffix first so "ms" is not read as "m" + garbage.
constexpr std::array<unit, 5> units{{
  {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
}};

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto digits_end = text.find_first_not_of("0123456789");
  if (digits_end == 0 || digits_end == std::string_view::npos)
    return std::nullopt;
  auto suffix = text.substr(digits_end);
  for (auto [name, factor] : units) {
    if (suffix != name)
      continue;
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits_end, n);
    if (ec != std::errc{} || n > INT64_MAX / factor)
      return std::nullopt;
    return std::chrono::milliseconds{n * factor};
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  for (auto it = units.rbegin(); it != units.rend(); ++it)
    if (ms != 0 && ms % it->second == 0)
      return std::to_string(ms / it->second) + std::string{it->first};
  return std::to_string(ms) + "ms";
}

} // namespace cdp
