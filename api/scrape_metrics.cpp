#include "api/scrape_metrics.hpp"

#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace cdp::api {

namespace {

const prometheus::Histogram::BucketBoundaries request_buckets{
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5};

prometheus::Family<prometheus::Gauge>& gauges(prometheus::Registry& r, const char* name,
                                              const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}

} // namespace

scrape_metrics::scrape_metrics(std::shared_ptr<engine_metrics> engine)
  : engine_(std::move(engine)) {
  auto& r = engine_->registry();
  advertisers_ = &gauges(r, "cdpbatch_advertisers", "Advertisers by lifecycle");
  months_ = &gauges(r, "cdpbatch_months", "Month rows by status");
  running_jobs_ = &gauges(r, "cdpbatch_running_jobs", "Months RUNNING now, on any node").Add({});
  runners_ = &gauges(r, "cdpbatch_pool_runners", "Job runners of this node").Add({});
  busy_runners_ = &gauges(r, "cdpbatch_pool_busy_runners", "Job runners running a job").Add({});
  queue_capacity_ =
    &gauges(r, "cdpbatch_pool_queue_capacity", "Places in the job runners' queue").Add({});
  queue_depth_ = &gauges(r, "cdpbatch_pool_queue_depth", "Jobs waiting for a runner, by lane");
  requests_ = &prometheus::BuildCounter()
                 .Name("cdpbatch_http_requests_total")
                 .Help("REST API requests answered, by route and status code")
                 .Register(r);
  request_seconds_ = &prometheus::BuildHistogram()
                        .Name("cdpbatch_http_request_duration_seconds")
                        .Help("Time to answer one REST API request, by route")
                        .Register(r);
}

void scrape_metrics::observe(const system_status& s) {
  const auto& l = s.lifecycles;
  for (auto [stage, n] : {std::pair{lifecycle::new_advertiser, l.new_advertisers},
                          {lifecycle::backfilling, l.backfilling},
                          {lifecycle::live, l.live},
                          {lifecycle::degraded, l.degraded},
                          {lifecycle::deactivated, l.deactivated}})
    advertisers_->Add({{"lifecycle", std::string{to_string(stage)}}})
      .Set(static_cast<double>(n));
  const auto& m = s.months;
  for (auto [status, n] : {std::pair{month_status::pending, m.pending},
                           {month_status::running, m.running},
                           {month_status::completed, m.completed},
                           {month_status::failed, m.failed}})
    months_->Add({{"status", std::string{to_string(status)}}}).Set(static_cast<double>(n));
  running_jobs_->Set(static_cast<double>(s.running_jobs));
  runners_->Set(s.pool.runners);
  busy_runners_->Set(s.pool.busy);
  queue_capacity_->Set(s.pool.queue_capacity);
  queue_depth_->Add({{"lane", "live"}}).Set(s.pool.queued_live);
  queue_depth_->Add({{"lane", "backfill"}}).Set(s.pool.queued_backfill);
}

void scrape_metrics::request_done(const std::string& route, int status,
                                  std::chrono::microseconds took) {
  requests_->Add({{"route", route}, {"code", std::to_string(status)}}).Increment();
  request_seconds_->Add({{"route", route}}, request_buckets)
    .Observe(std::chrono::duration<double>(took).count());
}

std::string scrape_metrics::text() const {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, engine_->registry().Collect());
  return out.str();
}

} // namespace cdp::api
