#include "domain/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace cdp {

std::chrono::milliseconds retry_policy::delay(int retry, double unit_random) const {
  auto base = static_cast<double>(backoff_base.count());
  auto cap = static_cast<double>(backoff_max.count());
  auto exponent = std::max(retry - 1, 0);
  // pow may overflow to inf for large exponents; min() then yields the cap.
  auto raw = std::min(base * std::pow(backoff_factor, exponent), cap);
  auto spread = jitter * (2.0 * std::clamp(unit_random, 0.0, 1.0) - 1.0);
  auto jittered = std::max(raw * (1.0 + spread), 0.0);
  return std::chrono::milliseconds{static_cast<int64_t>(std::llround(jittered))};
}

std::chrono::milliseconds reconnect_delay(int failures) {
  auto exponent = std::clamp(failures - 1, 0, 5);
  return std::min(std::chrono::milliseconds{1000LL << exponent}, std::chrono::milliseconds{30'000});
}

} // namespace cdp
