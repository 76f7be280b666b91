#include "domain/year_month.hpp"

#include <algorithm>
#include <cstdio>

namespace cdp {

namespace {

constexpr int min_index = year_month::min_year * 12;
constexpr int max_index = year_month::max_year * 12 + 11;

bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

int to_int(std::string_view s) {
  int value = 0;
  for (char c : s)
    value = value * 10 + (c - '0');
  return value;
}

} // namespace

std::optional<year_month> year_month::parse(std::string_view text) {
  if (text.size() != 7 || text[4] != '-')
    return std::nullopt;
  auto y = text.substr(0, 4);
  auto m = text.substr(5, 2);
  if (!all_digits(y) || !all_digits(m))
    return std::nullopt;
  auto month = to_int(m);
  if (month < 1 || month > 12)
    return std::nullopt;
  return from_index(to_int(y) * 12 + month - 1);
}

std::optional<year_month> year_month::from_index(int index) {
  if (index < min_index || index > max_index)
    return std::nullopt;
  return year_month{index};
}

year_month year_month::of(timestamp t) {
  auto ymd = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t)};
  auto index = static_cast<int>(ymd.year()) * 12
               + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
  return year_month{std::clamp(index, min_index, max_index)};
}

year_month year_month::plus(int n) const {
  return year_month{std::clamp(index_ + n, min_index, max_index)};
}

timestamp year_month::start_utc() const {
  using namespace std::chrono;
  auto ymd = std::chrono::year{year()} / std::chrono::month{static_cast<unsigned>(month())} / 1;
  return time_point_cast<milliseconds>(sys_days{ymd});
}

std::string year_month::to_string() const {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d-%02d", year(), month());
  return buf;
}

std::string to_iso8601(timestamp t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

std::vector<year_month> month_range(year_month first, year_month last) {
  std::vector<year_month> out;
  if (last < first)
    return out;
  out.reserve(static_cast<size_t>(months_between(first, last) + 1));
  for (auto m = first; m <= last; m = m.next()) {
    out.push_back(m);
    if (m == last)
      break;
  }
  return out;
}

} // namespace cdp
