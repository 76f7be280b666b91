#include "jobs/simulated_job.hpp"

#include <thread>

#include "domain/duration.hpp"

namespace cdp {

namespace {

// splitmix64's finaliser: a cheap, well-mixed 64-bit hash step.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a: std::hash<std::string> may differ between standard libraries, and
// the outcome must not.
uint64_t hash_id(const std::string& id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : id)
    h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// A uniform draw in [0, 1) from the top 53 bits.
double unit(uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

} // namespace

simulated_attempt plan_simulated_attempt(const simulated_job_options& options,
                                         const std::string& advertiser_id, year_month month,
                                         int attempt) {
  uint64_t base = mix(mix(mix(options.seed) ^ hash_id(advertiser_id))
                      ^ static_cast<uint64_t>(month.index()));
  uint64_t per_attempt = mix(base ^ static_cast<uint64_t>(attempt));
  uint64_t fail_bits = mix(per_attempt ^ 1);
  uint64_t jitter_bits = mix(per_attempt ^ 2);
  uint64_t count_bits = mix(base ^ 3);

  simulated_attempt planned;
  auto jitter = options.latency_jitter.count();
  planned.latency = options.latency
                    + std::chrono::milliseconds{jitter > 0 ? static_cast<int64_t>(
                                                               jitter_bits % (jitter + 1))
                                                           : 0};
  bool may_fail = !options.fail_first_attempt_only || attempt == 1;
  planned.fails = may_fail && unit(fail_bits) < options.failure_rate;
  // The counts belong to the month's data, so every successful attempt of a
  // month reports the same numbers.
  planned.processed_records = 100 + static_cast<int64_t>(count_bits % 900);
  planned.failed_records = static_cast<int64_t>((count_bits >> 32) % 10);
  return planned;
}

job_result simulated_job::run(const job_request& request) {
  auto planned = plan_simulated_attempt(options_, request.advertiser_id, request.month,
                                        request.attempt);
  bool times_out = planned.latency > request.timeout;
  auto sleep_for = times_out ? request.timeout : planned.latency;
  if (sleep_for > std::chrono::milliseconds::zero())
    std::this_thread::sleep_for(sleep_for);
  if (times_out)
    return job_result{.error = "timed out after " + format_duration(request.timeout)};
  if (planned.fails)
    return job_result{.error = "simulated failure of attempt " + std::to_string(request.attempt)
                               + " for " + request.advertiser_id + " "
                               + request.month.to_string()};
  return job_result{.succeeded = true,
                    .processed_records = planned.processed_records,
                    .failed_records = planned.failed_records,
                    .error = {}};
}

} // namespace cdp
