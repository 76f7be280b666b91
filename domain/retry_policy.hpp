#pragma once

#include <chrono>

namespace cdp {

/// How often and how soon a failed month is attempted again.
struct retry_policy {
  /// Retries after the first attempt.
  int max_retries = 3;
  std::chrono::milliseconds backoff_base = std::chrono::minutes{1};
  double backoff_factor = 2.0;
  std::chrono::milliseconds backoff_max = std::chrono::hours{1};
  /// Fraction in [0, 1]: the delay is spread uniformly over ±jitter×delay.
  double jitter = 0.0;

  /// Delay before retry number `retry` (1-based): min(base × factor^(retry−1),
  /// max), then jittered with `unit_random` drawn from [0, 1) by the caller, so
  /// tests decide the randomness.
  std::chrono::milliseconds delay(int retry, double unit_random = 0.5) const;

  /// True when a month that has used `retry_count` retries may not be tried
  /// again automatically.
  bool exhausted(int retry_count) const { return retry_count >= max_retries; }
};

/// How long to wait after `failures` consecutive failures to reach the store
/// (1-based): 1s, doubling, at most 30s. The daemon, the director and every
/// advertiser back off alike.
std::chrono::milliseconds reconnect_delay(int failures);

} // namespace cdp
