#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "actors/type_ids.hpp"
#include "runtime/metrics.hpp"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
template <class T>
class Family;
} // namespace prometheus

namespace cdp::api {

/// What /metrics adds to the engine's registry: the states read at scrape
/// time (advertisers by lifecycle, months by status, running jobs, the
/// runners' load) and the API's own requests by route and status code.
class scrape_metrics {
public:
  explicit scrape_metrics(std::shared_ptr<engine_metrics> engine);

  /// Sets the state gauges from a fresh system status.
  void observe(const system_status& s);
  /// One answered request.
  void request_done(const std::string& route, int status, std::chrono::microseconds took);
  /// The registry in Prometheus text format.
  std::string text() const;

private:
  std::shared_ptr<engine_metrics> engine_;
  prometheus::Family<prometheus::Gauge>* advertisers_;
  prometheus::Family<prometheus::Gauge>* months_;
  prometheus::Gauge* running_jobs_;
  prometheus::Gauge* runners_;
  prometheus::Gauge* busy_runners_;
  prometheus::Gauge* queue_capacity_;
  prometheus::Family<prometheus::Gauge>* queue_depth_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_seconds_;
};

} // namespace cdp::api
