#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "domain/errors.hpp"
#include "domain/year_month.hpp"

namespace cdp {

struct config;

/// One attempt at one month, as a job runner hands it to a job.
struct job_request {
  std::string advertiser_id;
  year_month month;
  /// 1 for the first attempt, 2 for the first retry, ...
  int attempt = 1;
  /// The attempt must end (success or failure) within this limit.
  std::chrono::milliseconds timeout{std::chrono::minutes{25}};
};

/// What a job reports. A failure's `error` becomes the month's error_message.
struct job_result {
  bool succeeded = false;
  int64_t processed_records = 0;
  int64_t failed_records = 0;
  std::string error;
};

/// Processes months. Blocking; one object per runner thread, so
/// implementations may keep a connection. Never throws: every problem is a
/// failed `job_result`.
class month_job {
public:
  virtual ~month_job() = default;
  virtual job_result run(const job_request& request) = 0;
};

/// Makes one job object per runner.
using job_factory = std::function<std::unique_ptr<month_job>()>;

/// The factory for `cfg.job.kind` (cdp-profile, command, simulated).
expected<job_factory> make_job_factory(const config& cfg);

} // namespace cdp
