#include "runtime/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace cdp {

namespace {

double seconds(std::chrono::microseconds d) {
  return std::chrono::duration<double>(d).count();
}

/// From a 0-ms simulated job to a 25-minute cdp-profile month.
const prometheus::Histogram::BucketBoundaries job_buckets{
  0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 1800};
const prometheus::Histogram::BucketBoundaries latency_buckets{
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
const prometheus::Histogram::BucketBoundaries batch_buckets{1, 2, 5, 10, 50, 100, 500, 1000, 4096};

} // namespace

engine_metrics::engine_metrics() : registry_(std::make_unique<prometheus::Registry>()) {
  auto& attempts = prometheus::BuildCounter()
                     .Name("cdpbatch_attempts_total")
                     .Help("Month attempts that ended, by outcome")
                     .Register(*registry_);
  attempts_completed_ = &attempts.Add({{"outcome", "completed"}});
  attempts_failed_ = &attempts.Add({{"outcome", "failed"}});
  jobs_abandoned_ = &prometheus::BuildCounter()
                       .Name("cdpbatch_jobs_abandoned_total")
                       .Help("Runners given up on, long past their job's timeout")
                       .Register(*registry_)
                       .Add({});
  job_seconds_ = &prometheus::BuildHistogram()
                    .Name("cdpbatch_job_duration_seconds")
                    .Help("Run time of one month job on its runner")
                    .Register(*registry_)
                    .Add({}, job_buckets);
  tick_seconds_ = &prometheus::BuildHistogram()
                     .Name("cdpbatch_tick_duration_seconds")
                     .Help("One schedule tick, from listing the advertisers to handing them out")
                     .Register(*registry_)
                     .Add({}, latency_buckets);
  commit_seconds_ = &prometheus::BuildHistogram()
                       .Name("cdpbatch_store_commit_duration_seconds")
                       .Help("One group commit of transitions")
                       .Register(*registry_)
                       .Add({}, latency_buckets);
  commit_batch_size_ = &prometheus::BuildHistogram()
                          .Name("cdpbatch_store_commit_batch_size")
                          .Help("Transitions in one group commit")
                          .Register(*registry_)
                          .Add({}, batch_buckets);
  commit_failures_ = &prometheus::BuildCounter()
                        .Name("cdpbatch_store_commit_failures_total")
                        .Help("Group commits the store refused or could not take")
                        .Register(*registry_)
                        .Add({});
  reaped_months_ = &prometheus::BuildCounter()
                      .Name("cdpbatch_reaper_reaped_total")
                      .Help("Months the reaper failed after running too long")
                      .Register(*registry_)
                      .Add({});
}

engine_metrics::~engine_metrics() = default;

prometheus::Registry& engine_metrics::registry() const { return *registry_; }

void engine_metrics::job_ran(bool succeeded, std::chrono::microseconds took) {
  (succeeded ? attempts_completed_ : attempts_failed_)->Increment();
  job_seconds_->Observe(seconds(took));
}

void engine_metrics::job_abandoned() { jobs_abandoned_->Increment(); }

void engine_metrics::tick_done(std::chrono::microseconds took) {
  tick_seconds_->Observe(seconds(took));
}

void engine_metrics::committed(std::chrono::microseconds took, std::size_t batch_size,
                               bool succeeded) {
  commit_seconds_->Observe(seconds(took));
  commit_batch_size_->Observe(static_cast<double>(batch_size));
  if (!succeeded)
    commit_failures_->Increment();
}

void engine_metrics::reaped(std::size_t months) {
  reaped_months_->Increment(static_cast<double>(months));
}

} // namespace cdp
