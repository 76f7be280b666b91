// tick_bench: schedule ticks over many EXISTING advertisers on a fresh store.
//
//   tick_bench --store URL [--advertisers 100000] [--runners 2] [--rounds 2] [--no-wave]
//
// Creates the advertisers in bulk (timed apart), starts the engine with its
// next tick far away and a simulated 0 ms job, then measures the first tick
// (months read, one job each), the memory once that wave is done and its
// actors hibernated, and `rounds` warm ticks: the list, the hand-out to every
// advertiser (into the wake line) and, unless --no-wave, the time until every
// advertiser's refresh is done.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "runtime/process_usage.hpp"
#include "runtime/system_clock.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"tick_bench - schedule ticks over many advertisers"};
  std::string url;
  int advertisers = 100'000;
  int runners = 2;
  int queue = 1000;
  int rounds = 2;
  bool no_wave = false;
  app.add_option("--store", url, "store URL of a fresh database")->required();
  app.add_option("--advertisers", advertisers, "EXISTING advertisers")->check(CLI::PositiveNumber);
  app.add_option("--runners", runners, "job runners (core = max)")->check(CLI::Range(1, 1024));
  app.add_option("--queue", queue, "job queue capacity")->check(CLI::PositiveNumber);
  app.add_option("--rounds", rounds, "warm ticks after the first")->check(CLI::Range(0, 100));
  app.add_flag("--no-wave", no_wave, "do not wait for the warm ticks' refreshes");
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(spdlog::level::err);

  cdp::config cfg;
  cfg.store.url = url;
  cfg.schedule.current_month = cdp::year_month::parse("2024-12");
  cfg.schedule.tick_interval = std::chrono::hours{24};
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
  if (auto counts = db.count_advertisers();
      !counts || counts->new_active + counts->existing_active + counts->new_inactive
                     + counts->existing_inactive
                   > 0) {
    std::cerr << "tick_bench: " << cdp::redact_password(url)
              << " is not a fresh database (every run starts on one)\n";
    return 1;
  }
  auto t0 = clock_type::now();
  std::vector<cdp::new_advertiser> chunk;
  for (int from = 0; from < advertisers; from += 5000) {
    chunk.clear();
    for (int i = from; i < std::min(advertisers, from + 5000); ++i)
      chunk.push_back({"t-" + std::to_string(i), "tick", cdp::advertiser_type::existing});
    if (!db.create_advertisers(chunk, clk->current_month(), 24, 3, clk->now(), {}, {"bench", "", ""})) {
      std::cerr << "tick_bench: cannot create advertisers\n";
      return 1;
    }
  }
  std::printf("create         %d advertisers in %.2f s (bulk, 5,000 a transaction)\n", advertisers,
              seconds_since(t0));
  // What the store's connection and cache hold before any actor exists.
  auto base_mb = cdp::rss_mb();
  std::printf("before engine  RSS %.0f MB\n", base_mb);
  std::fflush(stdout);

  auto jobs = cdp::make_job_factory(cfg);
  cdp::system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  t0 = clock_type::now();
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
      std::fprintf(stderr, "\rjobs %lld/%lld busy %d queued %d+%d deferrals %lld rss %.0f MB   ",
                   static_cast<long long>(s.jobs_done), static_cast<long long>(target), s.busy,
                   s.queued_live, s.queued_backfill, static_cast<long long>(s.deferrals), cdp::rss_mb());
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    }
  };
  // The engine's own first tick fires at start.
  wait_jobs(advertisers);
  std::fprintf(stderr, "\n");
  std::printf("first tick     load + %d jobs: %.2f s\n", advertisers, seconds_since(t0));
  // Refreshes asked for while a month ran come right after it.
  std::this_thread::sleep_for(std::chrono::seconds{1});
  int64_t alive = -1;
  self->request(e.supervisor, std::chrono::minutes{1}, cdp::alive_atom_v)
    .receive([&](int64_t awake, int64_t) { alive = awake; }, [](caf::error&) {});
  auto idle_mb = cdp::rss_mb();
  std::printf("idle           RSS %.0f MB (%.2f KB per advertiser; %.0f bytes per idle advertiser "
              "above the RSS before the engine), %lld actors alive\n",
              idle_mb, idle_mb * 1024.0 / advertisers,
              (idle_mb - base_mb) * 1024.0 * 1024.0 / advertisers, static_cast<long long>(alive));
  std::fflush(stdout);

  for (int round = 0; round < rounds; ++round) {
    auto target = stats().jobs_done + advertisers;
    t0 = clock_type::now();
    auto active = db.list_advertisers(true);
    auto listed = seconds_since(t0);
    int64_t handed = 0;
    self->request(e.supervisor, std::chrono::minutes{5}, cdp::sync_atom_v, std::move(*active))
      .receive([&](int64_t n) { handed = n; }, [](caf::error&) {});
    std::printf("warm tick %d    list %.3f s, hand-out to %lld advertisers %.3f s\n", round + 1, listed,
                static_cast<long long>(handed), seconds_since(t0) - listed);
    std::fflush(stdout);
    if (no_wave)
      continue;
    wait_jobs(target);
    std::fprintf(stderr, "\n");
    std::printf("               and %d refreshes done %.2f s after the tick\n", advertisers,
                seconds_since(t0));
  }
  std::printf("peak RSS       %.0f MB\n", cdp::peak_rss_mb());
  e.stop();
  return 0;
}
