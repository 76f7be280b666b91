#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "jobs/month_job.hpp"

namespace cdp {

using simulated_job_options = config::job_section::simulated_section;

/// What one simulated attempt does. A pure function of (seed, advertiser,
/// month, attempt), so a rerun of a test or benchmark sees the same months
/// fail at the same attempts.
struct simulated_attempt {
  /// `latency` plus a uniform share of `[0, latency_jitter]`.
  std::chrono::milliseconds latency{0};
  bool fails = false;
  /// Counts reported on success.
  int64_t processed_records = 0;
  int64_t failed_records = 0;
};

simulated_attempt plan_simulated_attempt(const simulated_job_options& options,
                                         const std::string& advertiser_id, year_month month,
                                         int attempt);

/// The `simulated` job: sleeps the planned latency (at most the request's
/// timeout), then reports the planned outcome. For load tests and demos.
class simulated_job final : public month_job {
public:
  explicit simulated_job(simulated_job_options options) : options_(options) {}

  job_result run(const job_request& request) override;

private:
  simulated_job_options options_;
};

} // namespace cdp
