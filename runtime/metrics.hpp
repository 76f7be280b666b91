#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace prometheus {
class Registry;
class Counter;
class Histogram;
} // namespace prometheus

namespace cdp {

/// The engine's own measurements, exported at /metrics (Prometheus names:
/// `cdpbatch_..._total`, `_seconds`). Thread-safe: actors on any thread and
/// the detached workers observe into it. Figures that are states rather than
/// events (advertisers by lifecycle, queue depth) are read at scrape time by
/// whoever serves /metrics, into the same registry.
class engine_metrics {
public:
  engine_metrics();
  ~engine_metrics();
  engine_metrics(const engine_metrics&) = delete;
  engine_metrics& operator=(const engine_metrics&) = delete;

  /// Everything registered so far, for serving and for more families.
  prometheus::Registry& registry() const;

  /// A month job returned: its outcome counts one attempt, its run time
  /// (on the runner, queue wait excluded) goes into the histogram.
  void job_ran(bool succeeded, std::chrono::microseconds took);
  /// A runner gave no answer long past its job's timeout and was given up.
  void job_abandoned();
  /// One schedule tick: from listing the advertisers to handing them out.
  void tick_done(std::chrono::microseconds took);
  /// One group commit of `batch_size` transitions, successful or not.
  void committed(std::chrono::microseconds took, std::size_t batch_size, bool succeeded);
  /// The reaper failed `months` stuck months.
  void reaped(std::size_t months);

private:
  std::unique_ptr<prometheus::Registry> registry_;
  prometheus::Counter* attempts_completed_;
  prometheus::Counter* attempts_failed_;
  prometheus::Counter* jobs_abandoned_;
  prometheus::Histogram* job_seconds_;
  prometheus::Histogram* tick_seconds_;
  prometheus::Histogram* commit_seconds_;
  prometheus::Histogram* commit_batch_size_;
  prometheus::Counter* commit_failures_;
  prometheus::Counter* reaped_months_;
};

} // namespace cdp
