#include "load/report.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace cdp::load {

namespace {

/// n / of, 0 when there is nothing to divide by.
double ratio(double n, double of) {
  return of > 0 ? n / of : 0;
}

} // namespace

double quantile(std::vector<double> values, double q) {
  if (values.empty())
    return 0;
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  auto at = std::clamp<size_t>(rank, 1, values.size()) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

report summarize(const samples& s) {
  report r;
  r.target = s.target;
  r.advertisers = s.advertisers;
  r.jobs = s.jobs;
  r.attempts = s.attempts;
  r.retries = s.retries;
  r.deactivated = s.deactivated;
  r.create_s = s.create_s;
  r.wall_s = s.wall_s;
  r.jobs_per_s = ratio(static_cast<double>(s.jobs), s.wall_s);
  r.month_latency_ms = {quantile(s.month_latency_ms, 0.50), quantile(s.month_latency_ms, 0.95),
                        quantile(s.month_latency_ms, 0.99)};
  if (!s.tick_handout_s.empty())
    r.tick_handout_max_s = *std::max_element(s.tick_handout_s.begin(), s.tick_handout_s.end());
  r.tick_handout_p50_s = quantile(s.tick_handout_s, 0.50);
  r.ticks = static_cast<int64_t>(s.tick_handout_s.size());
  r.first_tick_s = s.first_tick_s;
  r.backfill_s = s.backfill_s;
  r.commit_latency_p50_ms = quantile(s.commit_latency_ms, 0.50);
  r.commit_latency_p99_ms = quantile(s.commit_latency_ms, 0.99);
  if (!s.batch_sizes.empty())
    r.batch_size_mean = std::accumulate(s.batch_sizes.begin(), s.batch_sizes.end(), 0.0)
                        / static_cast<double>(s.batch_sizes.size());
  r.peak_rss_mb = s.peak_rss_mb;
  r.bytes_per_idle_advertiser = s.bytes_per_idle_advertiser;
  r.cpu_s = s.cpu_s;
  r.order_violations = s.order_violations;
  r.backfill_share = ratio(static_cast<double>(s.backfill_attempts),
                                static_cast<double>(s.contended_attempts));
  return r;
}

void add_sequential(report& r, int64_t jobs, int64_t attempts, double wall_s) {
  sequential_run seq;
  seq.jobs = jobs;
  seq.attempts = attempts;
  seq.wall_s = wall_s;
  seq.jobs_per_s = ratio(static_cast<double>(jobs), wall_s);
  seq.speedup = seq.jobs_per_s > 0 ? r.jobs_per_s / seq.jobs_per_s : 0;
  r.sequential = seq;
}

nlohmann::json to_json(const report& r) {
  nlohmann::json j{
    {"target", r.target.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.target)},
    {"advertisers", r.advertisers},
    {"jobs", r.jobs},
    {"attempts", r.attempts},
    {"retries", r.retries},
    {"deactivated", r.deactivated},
    {"create_s", r.create_s},
    {"wall_s", r.wall_s},
    {"jobs_per_s", r.jobs_per_s},
    {"month_latency_ms",
     {{"p50", r.month_latency_ms.p50},
      {"p95", r.month_latency_ms.p95},
      {"p99", r.month_latency_ms.p99}}},
    {"tick_handout_s", {{"max", r.tick_handout_max_s}, {"p50", r.tick_handout_p50_s}}},
    {"ticks", r.ticks},
    {"first_tick_s", r.first_tick_s},
    {"backfill_s", r.backfill_s},
    {"commit_latency_ms", {{"p50", r.commit_latency_p50_ms}, {"p99", r.commit_latency_p99_ms}}},
    {"batch_size_mean", r.batch_size_mean},
    {"peak_rss_mb", r.peak_rss_mb},
    {"bytes_per_idle_advertiser", r.bytes_per_idle_advertiser},
    {"cpu_s", r.cpu_s},
    {"order_violations", r.order_violations},
    {"backfill_share", r.backfill_share},
  };
  if (!r.target.empty())
    for (const char* unseen : {"tick_handout_s", "ticks", "first_tick_s", "commit_latency_ms",
                               "batch_size_mean", "peak_rss_mb", "cpu_s"})
      j[unseen] = nullptr;
  if (r.sequential)
    j["sequential"] = {{"jobs", r.sequential->jobs},
                       {"attempts", r.sequential->attempts},
                       {"wall_s", r.sequential->wall_s},
                       {"jobs_per_s", r.sequential->jobs_per_s},
                       {"speedup", r.sequential->speedup}};
  return j;
}

std::string to_table(const report& r) {
  std::string out;
  auto line = [&](const char* name, const std::string& value) {
    out += fmt::format("{:<20} {}\n", name, value);
  };
  // The engine's own figures are the daemon's to show when it ran there.
  auto engine_line = [&](const char* name, const std::string& value) {
    line(name, r.target.empty() ? value : "in the daemon: see its /metrics");
  };
  line("engine", r.target.empty() ? std::string{"in this process"} : "cdpbatchd at " + r.target);
  line("advertisers", fmt::format("{}", r.advertisers));
  line("created in", fmt::format("{:.2f} s (bulk, {})", r.create_s,
                                 r.target.empty() ? "before the run" : "part of the run"));
  line("jobs", fmt::format("{} months completed", r.jobs));
  line("attempts", fmt::format("{} ({} retries)", r.attempts, r.retries));
  line("deactivated", fmt::format("{}", r.deactivated));
  line("wall", fmt::format("{:.3f} s", r.wall_s));
  line("jobs/s", fmt::format("{:.0f}", r.jobs_per_s));
  line("month latency", fmt::format("p50 {:.1f} ms  p95 {:.1f} ms  p99 {:.1f} ms",
                                    r.month_latency_ms.p50, r.month_latency_ms.p95,
                                    r.month_latency_ms.p99));
  engine_line("tick hand-out", fmt::format("max {:.3f} s  p50 {:.3f} s  ({} ticks)", r.tick_handout_max_s,
                                    r.tick_handout_p50_s, r.ticks));
  engine_line("first tick", fmt::format("{:.3f} s (every advertiser claimed its first month)", r.first_tick_s));
  line("backfill done", r.backfill_s < 0 ? std::string{"not by the end"}
                                          : fmt::format("{:.3f} s after the start", r.backfill_s));
  engine_line("commit latency", fmt::format("p50 {:.2f} ms  p99 {:.2f} ms", r.commit_latency_p50_ms,
                                     r.commit_latency_p99_ms));
  engine_line("batch size", fmt::format("{:.1f} transitions per commit (mean)", r.batch_size_mean));
  engine_line("peak RSS", fmt::format("{:.0f} MB", r.peak_rss_mb));
  line("idle memory", r.bytes_per_idle_advertiser < 0
                        ? std::string{"not measured (a --duration run)"}
                        : fmt::format("{:.0f} bytes per idle advertiser{}",
                                      r.bytes_per_idle_advertiser,
                                      r.target.empty() ? "" : " (the daemon's resident memory)"));
  engine_line("CPU", fmt::format("{:.2f} s", r.cpu_s));
  line("order violations", fmt::format("{}", r.order_violations));
  line("backfill share", fmt::format("{:.2f} of the attempts started while it had work",
                                     r.backfill_share));
  if (r.sequential) {
    line("sequential", fmt::format("{} jobs in {:.3f} s: {:.0f} jobs/s", r.sequential->jobs,
                                   r.sequential->wall_s, r.sequential->jobs_per_s));
    line("speed-up", fmt::format("{:.1f}x", r.sequential->speedup));
  }
  return out;
}

} // namespace cdp::load
