#include <catch2/catch.hpp>

#include "load/report.hpp"

using namespace cdp::load;

TEST_CASE("quantiles are nearest-rank over the samples") {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i)
    v.push_back(i);
  CHECK(quantile(v, 0.50) == 50);
  CHECK(quantile(v, 0.95) == 95);
  CHECK(quantile(v, 0.99) == 99);
  CHECK(quantile(v, 1.0) == 100);
  CHECK(quantile({7}, 0.5) == 7);
  CHECK(quantile({}, 0.5) == 0);
}

TEST_CASE("the report's figures follow from a known run") {
  samples s;
  s.advertisers = 40;
  s.jobs = 500;
  s.attempts = 550;
  s.retries = 50;
  s.deactivated = 2;
  s.create_s = 0.5;
  s.wall_s = 2.0;
  s.first_tick_s = 0.25;
  s.backfill_s = 1.5;
  s.cpu_s = 3.0;
  s.peak_rss_mb = 42;
  s.bytes_per_idle_advertiser = 380;
  for (int i = 1; i <= 100; ++i)
    s.month_latency_ms.push_back(i);
  s.tick_handout_s = {0.1, 0.3, 0.2};
  s.commit_latency_ms = {4, 1, 3, 2};
  s.batch_sizes = {1, 3, 8};
  auto r = summarize(s);
  CHECK(r.jobs_per_s == Approx(250));
  CHECK(r.month_latency_ms.p50 == 50);
  CHECK(r.month_latency_ms.p95 == 95);
  CHECK(r.month_latency_ms.p99 == 99);
  CHECK(r.tick_handout_max_s == Approx(0.3));
  CHECK(r.tick_handout_p50_s == Approx(0.2));
  CHECK(r.ticks == 3);
  CHECK(r.commit_latency_p50_ms == 2);
  CHECK(r.commit_latency_p99_ms == 4);
  CHECK(r.batch_size_mean == Approx(4));
  CHECK_FALSE(r.sequential);

  add_sequential(r, 500, 550, 20.0);
  REQUIRE(r.sequential);
  CHECK(r.sequential->jobs_per_s == Approx(25));
  CHECK(r.sequential->speedup == Approx(10));

  auto j = to_json(r);
  CHECK(j["advertisers"] == 40);
  CHECK(j["jobs"] == 500);
  CHECK(j["attempts"] == 550);
  CHECK(j["retries"] == 50);
  CHECK(j["deactivated"] == 2);
  CHECK(j["wall_s"] == 2.0);
  CHECK(j["jobs_per_s"] == Approx(250));
  CHECK(j["month_latency_ms"]["p95"] == 95);
  CHECK(j["tick_handout_s"]["max"] == Approx(0.3));
  CHECK(j["tick_handout_s"]["p50"] == Approx(0.2));
  CHECK(j["first_tick_s"] == 0.25);
  CHECK(j["backfill_s"] == 1.5);
  CHECK(j["commit_latency_ms"]["p99"] == 4);
  CHECK(j["batch_size_mean"] == Approx(4));
  CHECK(j["peak_rss_mb"] == 42);
  CHECK(j["bytes_per_idle_advertiser"] == 380);
  CHECK(j["cpu_s"] == 3.0);
  CHECK(j["order_violations"] == 0);
  CHECK(j["sequential"]["speedup"] == Approx(10));
  auto table = to_table(r);
  CHECK(table.find("speed-up             10.0x") != std::string::npos);
  CHECK(table.find("jobs/s               250") != std::string::npos);
}

TEST_CASE("a run without samples reports zeros, not garbage") {
  auto r = summarize(samples{});
  CHECK(r.jobs_per_s == 0);
  CHECK(r.month_latency_ms.p99 == 0);
  CHECK(r.batch_size_mean == 0);
  CHECK(r.tick_handout_max_s == 0);
}
