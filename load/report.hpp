#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cdp::load {

/// What one run observed, raw.
struct samples {
  /// "" when the engine ran in this process, else the daemon's host:port:
  /// then the engine's own figures (ticks, commits, memory, CPU) are not
  /// seen here and are absent from the report.
  std::string target;
  int64_t advertisers = 0;
  /// Month runs completed.
  int64_t jobs = 0;
  /// Attempts started (claims the store took).
  int64_t attempts = 0;
  /// Attempts that retried a failed one.
  int64_t retries = 0;
  /// Advertisers deactivated after a month used up its retries.
  int64_t deactivated = 0;
  /// Claims of a month while another month of the same advertiser ran.
  int64_t order_violations = 0;
  /// Attempts started while a backfill had work, and the backfill's own.
  int64_t contended_attempts = 0;
  int64_t backfill_attempts = 0;
  /// Creating the advertisers in bulk, before the engine started.
  double create_s = 0;
  /// Engine start until every advertiser did its work once (or --duration).
  double wall_s = 0;
  /// Engine start until the last NEW advertiser ended its backfill; -1 when
  /// one had not by the end.
  double backfill_s = -1;
  /// Engine start until every advertiser had claimed its first month.
  double first_tick_s = 0;
  double cpu_s = 0;
  double peak_rss_mb = 0;
  /// See report::bytes_per_idle_advertiser.
  double bytes_per_idle_advertiser = -1;
  /// Claim to completion of each month run (its retries included).
  std::vector<double> month_latency_ms;
  /// Each schedule tick, listing to handed out.
  std::vector<double> tick_handout_s;
  /// Each group commit's transaction, and how many transitions it carried.
  std::vector<double> commit_latency_ms;
  std::vector<double> batch_sizes;
};

struct percentiles {
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
};

/// The same work run one advertiser after another, as the round-robin
/// system before cdpbatch did.
struct sequential_run {
  int64_t jobs = 0;
  int64_t attempts = 0;
  double wall_s = 0;
  double jobs_per_s = 0;
  /// jobs/s in process over jobs/s sequentially.
  double speedup = 0;
};

struct report {
  /// See samples::target.
  std::string target;
  int64_t advertisers = 0;
  int64_t jobs = 0;
  int64_t attempts = 0;
  int64_t retries = 0;
  int64_t deactivated = 0;
  double create_s = 0;
  double wall_s = 0;
  double jobs_per_s = 0;
  percentiles month_latency_ms;
  double tick_handout_max_s = 0;
  double tick_handout_p50_s = 0;
  int64_t ticks = 0;
  double first_tick_s = 0;
  double backfill_s = -1;
  double commit_latency_p50_ms = 0;
  double commit_latency_p99_ms = 0;
  double batch_size_mean = 0;
  double peak_rss_mb = 0;
  /// Resident memory the engine holds per advertiser once all are idle
  /// (every one did its work once), above what the process held before it
  /// started; against a daemon, what its resident memory grew by over the
  /// run. -1 when not measured (a --duration run).
  double bytes_per_idle_advertiser = -1;
  double cpu_s = 0;
  int64_t order_violations = 0;
  /// The backfill's share of the attempts started while it had work (0
  /// without NEW advertisers).
  double backfill_share = 0;
  std::optional<sequential_run> sequential;
};

/// The nearest-rank `q`-quantile (0 < q <= 1) of `values`; 0 for none.
double quantile(std::vector<double> values, double q);

report summarize(const samples& s);
/// Adds the sequential run's figures and the speed-up over `r`.
void add_sequential(report& r, int64_t jobs, int64_t attempts, double wall_s);

nlohmann::json to_json(const report& r);
/// Aligned lines for people.
std::string to_table(const report& r);

} // namespace cdp::load
