#pragma once

#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cdp {

using timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

/// A calendar month, `YYYY-MM`, between 1970-01 and 9999-12.
class year_month {
public:
  static constexpr int min_year = 1970;
  static constexpr int max_year = 9999;

  /// 1970-01, the earliest month: lets month fields be default-constructed.
  year_month() : index_(min_year * 12) {}

  /// Parses exactly `YYYY-MM`; anything else (spaces, `2024-1`, `2024-13`,
  /// years outside 1970–9999) is rejected.
  static std::optional<year_month> parse(std::string_view text);

  /// The month with the given index (months since 0000-01); nullopt when out
  /// of range.
  static std::optional<year_month> from_index(int index);

  /// The UTC month containing `t`.
  static year_month of(timestamp t);

  int year() const noexcept { return index_ / 12; }
  int month() const noexcept { return index_ % 12 + 1; }
  /// Months since 0000-01: makes differences and ordering plain arithmetic.
  int index() const noexcept { return index_; }

  /// This month moved by `n` months (negative goes back). Out-of-range
  /// results clamp to the valid range's edge.
  year_month plus(int n) const;
  year_month next() const { return plus(1); }
  year_month prev() const { return plus(-1); }

  /// First instant of the month, UTC.
  timestamp start_utc() const;

  std::string to_string() const;

  friend auto operator<=>(const year_month&, const year_month&) = default;

private:
  explicit year_month(int index) : index_(index) {}
  int index_;
};

/// `2024-12-01T08:30:00.250Z`: how instants appear in logs and JSON.
std::string to_iso8601(timestamp t);

/// `b - a` in months.
inline int months_between(year_month a, year_month b) {
  return b.index() - a.index();
}

/// Every month from `first` to `last`, both included, oldest first; empty when
/// `last < first`.
std::vector<year_month> month_range(year_month first, year_month last);

} // namespace cdp
