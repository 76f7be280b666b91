#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/spdlog.h>

#include "actors/engine.hpp"
#include "actors/system_config.hpp"
#include "engine/scripted_job.hpp"
#include "eventually.hpp"
#include "persistence/store.hpp"

namespace cdp::test {

/// Real time, but the month is whatever the test says.
class test_clock final : public clock {
public:
  explicit test_clock(year_month month) : month_(month.index()) {}
  timestamp now() const override {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now());
  }
  year_month current_month() const override { return *year_month::from_index(month_.load()); }
  void set_month(year_month m) { month_ = m.index(); }

private:
  std::atomic<int> month_;
};

inline year_month ym(const char* text) {
  return *year_month::parse(text);
}

/// An engine on a fresh SQLite file with millisecond intervals and scripted
/// jobs. The test's own store connection sets up and checks.
struct engine_fixture {
  std::filesystem::path dir;
  config cfg;
  std::shared_ptr<test_clock> clk = std::make_shared<test_clock>(ym("2024-12"));
  std::shared_ptr<job_script> script = std::make_shared<job_script>();
  std::unique_ptr<store> db;
  restart_policy restarts;
  std::function<void(const std::string&)> on_core_failure;
  std::optional<system_config> sys_cfg;
  std::optional<caf::actor_system> sys;
  std::optional<engine> running;

  engine_fixture() {
    spdlog::set_level(spdlog::level::warn);
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path()
          / ("cdpbatch-engine-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    cfg.store.url = "sqlite://" + (dir / "cdpbatch.db").string();
    cfg.schedule.tick_interval = std::chrono::milliseconds{50};
    cfg.retry.backoff_base = std::chrono::milliseconds{20};
    cfg.retry.backoff_max = std::chrono::milliseconds{500};
    cfg.reaper.interval = std::chrono::milliseconds{50};
    cfg.reaper.stale_after = std::chrono::minutes{30};
    cfg.job.timeout = std::chrono::seconds{5};
    cfg.pool = {4, 8, 100};
    restarts.backoff = std::chrono::milliseconds{10};
    auto opened = open_store(cfg.store.url);
    REQUIRE(opened);
    db = std::move(*opened);
    REQUIRE(db->migrate());
  }

  ~engine_fixture() {
    stop();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  void start() {
    sys_cfg.emplace(2);
    sys.emplace(*sys_cfg);
    job_factory jobs = [s = script] { return std::make_unique<scripted_job>(s); };
    running = start_engine(*sys, engine_options{cfg, clk, jobs, "test-node", restarts, {}, on_core_failure});
  }

  void stop() {
    if (running)
      running->stop();
    running.reset();
    sys.reset();
  }

  void add(const std::string& id, advertiser_type type) {
    REQUIRE(db->create_advertiser(new_advertiser{id, id, type}, clk->current_month(),
                                  cfg.backfill_months, cfg.retry.max_retries, clk->now(), cdp::audit_note{"test", "", ""}));
  }

  month_state month(const std::string& id, const char* m) {
    auto row = db->get_month(id, ym(m));
    REQUIRE(row);
    return *row;
  }

  /// The month's status, or nullopt while it has no row.
  std::optional<month_status> status_of(const std::string& id, const char* m) {
    auto row = db->get_month(id, ym(m));
    return row ? std::optional{row->status} : std::nullopt;
  }

  advertiser who(const std::string& id) {
    auto a = db->get_advertiser(id);
    REQUIRE(a);
    return *a;
  }

  /// Every month of the advertiser completed at least once (a live refresh
  /// may have it RUNNING again right now).
  bool all_months_completed_once(const std::string& id) {
    auto months = db->list_months(id);
    REQUIRE(months);
    for (auto& m : *months) {
      auto history = db->list_attempts(id, m.month);
      REQUIRE(history);
      if (std::none_of(history->begin(), history->end(),
                       [](auto& a) { return a.outcome == month_status::completed; }))
        return false;
    }
    return !months->empty();
  }

  /// The advertiser's actor now, if it has one.
  advertiser_actor actor_of(const std::string& id) {
    advertiser_actor found;
    caf::scoped_actor self{*sys};
    self->request(running->supervisor, std::chrono::seconds{1}, lookup_atom_v, id)
      .receive([&](advertiser_actor& hdl) { found = hdl; }, [](caf::error&) {});
    return found;
  }

  /// Ends the actor the way an uncaught exception in a handler does.
  void crash(const advertiser_actor& hdl) {
    caf::scoped_actor self{*sys};
    self->send_exit(hdl, caf::make_error(caf::sec::runtime_error, "boom"));
  }

  /// Polls `done` until it holds or `limit` passes.
  static bool eventually(const std::function<bool()>& done,
                         std::chrono::milliseconds limit = std::chrono::seconds{15}) {
    return test::eventually(done, limit);
  }
};

} // namespace cdp::test
