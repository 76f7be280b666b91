// tick_bench: how long a schedule tick takes with many advertisers, and how
// long their current-month jobs take to drain through the pool.
//
//   tick_bench [--advertisers 100000] [--store sqlite:///tmp/x.db]
//
// Creates the EXISTING advertisers (timed), starts the engine with a
// simulated 0 ms job, then measures, for the first tick (actors spawned,
// months loaded) and a second one (actors warm): the store's list of active
// advertisers, the supervisor's hand-out to every actor, and the time until
// every advertiser's current month has completed once more.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "runtime/system_clock.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"tick_bench - one tick over many advertisers"};
  std::string url = "sqlite:///tmp/cdpbatch-tick-bench.db";
  int advertisers = 100'000;
  int runners = 2;
  int queue = 1000;
  app.add_option("--store", url, "store URL (a fresh database)");
  app.add_option("--advertisers", advertisers, "EXISTING advertisers");
  app.add_option("--runners", runners, "job runners (core = max)");
  app.add_option("--queue", queue, "job queue capacity");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::err);

  cdp::config cfg;
  cfg.store.url = url;
  cfg.schedule.current_month = cdp::year_month::parse("2024-12");
  cfg.schedule.tick_interval = std::chrono::hours{1};
  cfg.pool = {runners, runners, queue};
  cfg.job.kind = "simulated";
  cfg.job.simulated.latency = std::chrono::milliseconds{0};
  auto clk = std::make_shared<cdp::system_clock>("UTC", cfg.schedule.current_month);

  auto opened = cdp::open_store(url);
  if (!opened || !(*opened)->migrate()) {
    std::cerr << "tick_bench: cannot open or migrate " << url << '\n';
    return 1;
  }
  auto& db = **opened;
  // A database from an earlier run is reused: creating 100,000 advertisers one
  // transaction each takes longer than the measurement.
  auto existing = db.list_advertisers(false);
  auto t0 = clock_type::now();
  for (auto i = static_cast<int>(existing ? existing->size() : 0); i < advertisers; ++i)
    if (!db.create_advertiser({"t-" + std::to_string(i), "tick", cdp::advertiser_type::existing},
                              clk->current_month(), 24, 3, clk->now())) {
      std::cerr << "tick_bench: cannot create advertiser t-" << i << '\n';
      return 1;
    }
  std::printf("create         %d advertisers in %.2f s\n", advertisers, seconds_since(t0));
  std::fflush(stdout);

  auto jobs = cdp::make_job_factory(cfg);
  cdp::system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  auto e = cdp::start_engine(sys, {cfg, clk, *jobs, "bench", {}, {}, {}});
  caf::scoped_actor self{sys};
  auto stats = [&] {
    cdp::pool_stats out;
    self->request(e.pool, std::chrono::minutes{1}, cdp::stats_atom_v)
      .receive([&](const cdp::pool_stats& s) { out = s; }, [](caf::error&) {});
    return out;
  };
  // Waits until the pool has finished `target` jobs in all, showing its load.
  auto wait_jobs = [&](int64_t target) {
    for (;;) {
      auto s = stats();
      if (s.jobs_done >= target)
        return;
      std::fprintf(stderr, "\rjobs %lld/%lld busy %d queued %d+%d reserved %d deferrals %lld   ",
                   static_cast<long long>(s.jobs_done), static_cast<long long>(target), s.busy,
                   s.queued_live, s.queued_backfill, s.reserved, static_cast<long long>(s.deferrals));
      std::this_thread::sleep_for(std::chrono::milliseconds{500});
    }
  };
  // The engine's own first tick fires at start; wait for its work to finish.
  t0 = clock_type::now();
  wait_jobs(advertisers);
  // Refreshes that ticks asked for while a month ran come right after it.
  std::this_thread::sleep_for(std::chrono::seconds{2});
  std::printf("first tick     spawn + load + %d jobs: %.2f s\n", advertisers, seconds_since(t0));
  std::fflush(stdout);

  for (int round = 0; round < 2; ++round) {
    auto target = stats().jobs_done + advertisers;
    t0 = clock_type::now();
    auto active = db.list_advertisers(true);
    auto listed = seconds_since(t0);
    self->send(e.supervisor, cdp::sync_atom_v, std::move(*active));
    int64_t alive = 0;
    self->request(e.supervisor, std::chrono::minutes{5}, cdp::alive_atom_v)
      .receive([&](int64_t n) { alive = n; }, [](caf::error&) {});
    std::printf("warm tick %d    list %.3f s, hand-out to %lld actors %.3f s\n", round + 1, listed,
                static_cast<long long>(alive), seconds_since(t0) - listed);
    std::fflush(stdout);
    wait_jobs(target);
    std::printf("               and %d refreshes done %.2f s after the tick\n", advertisers,
                seconds_since(t0));
  }
  e.drain(sys, std::chrono::minutes{1});
  e.stop();
  return 0;
}
