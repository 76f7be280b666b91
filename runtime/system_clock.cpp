#include "runtime/system_clock.hpp"

#include <cstdlib>
#include <ctime>

namespace cdp {

system_clock::system_clock(const std::string& timezone, std::optional<year_month> pinned_month)
  : utc_(timezone == "UTC"), pinned_(pinned_month) {
  if (!utc_) {
    ::setenv("TZ", timezone.c_str(), 1);
    ::tzset();
  }
}

timestamp system_clock::now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(
    std::chrono::system_clock::now());
}

year_month system_clock::current_month() const {
  if (pinned_)
    return *pinned_;
  if (utc_)
    return year_month::of(now());
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  ::localtime_r(&t, &local);
  return *year_month::from_index((local.tm_year + 1900) * 12 + local.tm_mon);
}

} // namespace cdp
