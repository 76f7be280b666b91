// engine_bench: the 5,000-job workload through the whole engine (advertiser
// actors, job pool, group commit) on a real store, and its wall time.
//
//   engine_bench --store postgresql://... [--advertisers 200] [--months 25]
//
// Every advertiser is NEW and backfills `months` months with the simulated
// job at 0 ms; `failure-rate` of the months fail their first attempt only and
// are retried with zero backoff. Prints jobs, retries, wall time and jobs/s.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "runtime/system_clock.hpp"

int main(int argc, char** argv) {
  CLI::App app{"engine_bench - whole-engine throughput on a real store"};
  std::string url;
  int advertisers = 200;
  int months = 25;
  int runners = 20;
  double failure_rate = 0.1;
  app.add_option("--store", url, "store URL (sqlite://PATH or postgresql://...)")->required();
  app.add_option("--advertisers", advertisers, "NEW advertisers");
  app.add_option("--months", months, "backfill months per advertiser");
  app.add_option("--runners", runners, "job runners (core = max)");
  app.add_option("--failure-rate", failure_rate, "months whose first attempt fails");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::err);

  cdp::config cfg;
  cfg.store.url = url;
  cfg.backfill_months = months;
  cfg.schedule.current_month = cdp::year_month::parse("2024-12");
  cfg.schedule.tick_interval = std::chrono::seconds{1};
  cfg.retry.backoff_base = std::chrono::milliseconds{0};
  cfg.pool = {runners, runners, 1000};
  cfg.job.kind = "simulated";
  cfg.job.simulated.latency = std::chrono::milliseconds{0};
  cfg.job.simulated.failure_rate = failure_rate;
  cfg.job.simulated.fail_first_attempt_only = true;
  auto clk = std::make_shared<cdp::system_clock>("UTC", cfg.schedule.current_month);

  auto opened = cdp::open_store(url);
  if (!opened || !(*opened)->migrate()) {
    std::cerr << "engine_bench: cannot open or migrate " << url << '\n';
    return 1;
  }
  auto& db = **opened;
  auto prefix = "bench-" + std::to_string(clk->now().time_since_epoch().count()) + "-";
  for (int i = 0; i < advertisers; ++i) {
    auto made = db.create_advertiser({prefix + std::to_string(i), "bench",
                                      cdp::advertiser_type::new_advertiser},
                                     clk->current_month(), months, cfg.retry.max_retries,
                                     clk->now());
    if (!made) {
      std::cerr << "engine_bench: " << made.error().message << '\n';
      return 1;
    }
  }
  auto jobs = cdp::make_job_factory(cfg);
  cdp::system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  auto started = std::chrono::steady_clock::now();
  auto engine = cdp::start_engine(sys, {cfg, clk, *jobs, "bench", {}, {}, {}});
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
    auto counts = db.count_advertisers();
    if (counts && counts->new_active == 0)
      break;
  }
  auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  engine.stop();
  int64_t attempts = 0;
  int64_t retries = 0;
  auto all = db.list_advertisers(false);
  for (const auto& a : *all) {
    if (a.id.rfind(prefix, 0) != 0)
      continue;
    auto months_of = db.list_months(a.id);
    if (!months_of)
      continue;
    for (const auto& m : *months_of) {
      retries += m.retry_count;
      attempts += 1 + m.retry_count;
    }
  }
  std::printf("store          %s\n", cdp::redact_password(url).substr(0, 12).c_str());
  std::printf("workload       %d NEW advertisers x %d months, %d runners, %.0f%% first attempts fail\n",
              advertisers, months, runners, failure_rate * 100);
  std::printf("jobs run       %lld (%lld retries)\n", static_cast<long long>(attempts),
              static_cast<long long>(retries));
  std::printf("wall time      %.3f s\n", wall);
  std::printf("throughput     %.0f jobs/s\n", static_cast<double>(attempts) / wall);
  return 0;
}
