#include <random>

#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;


TEST_CASE_METHOD(engine_fixture, "every live advertiser is refreshed on every tick even when the queue is full") {
  cfg.pool = {1, 1, 1};
  for (int i = 0; i < 10; ++i)
    add("L" + std::to_string(i), advertiser_type::existing);
  start();
  REQUIRE(eventually([&] {
    for (int i = 0; i < 10; ++i)
      if (script->attempts_of("L" + std::to_string(i)).size() < 4)
        return false;
    return true;
  }));
}

TEST_CASE_METHOD(engine_fixture, "advertisers that die while holding places in the queue do not shrink it") {
  cfg.pool = {2, 2, 2};
  cfg.backfill_months = 4;
  // One tick only: once backfilled nobody asks for a place, so any place
  // still reserved at the end has leaked.
  cfg.schedule.tick_interval = std::chrono::hours{1};
  restarts.max_restarts = 1000;
  for (int i = 0; i < 20; ++i)
    add("c" + std::to_string(i), advertiser_type::new_advertiser);
  start();
  std::mt19937 rng{7};
  std::uniform_int_distribution<int> pick{0, 19};
  for (int round = 0; round < 40; ++round) {
    if (auto hdl = actor_of("c" + std::to_string(pick(rng))))
      crash(hdl);
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  REQUIRE(eventually([&] {
    for (int i = 0; i < 20; ++i)
      if (who("c" + std::to_string(i)).type != advertiser_type::existing)
        return false;
    return true;
  }));
  auto reserved = [&] {
    caf::scoped_actor self{*sys};
    int left = -1;
    self->request(running->pool, std::chrono::seconds{1}, stats_atom_v)
      .receive([&](pool_stats& s) { left = s.reserved + s.busy; }, [](caf::error&) {});
    return left;
  };
  CHECK(eventually([&] { return reserved() == 0; }));
}

TEST_CASE_METHOD(engine_fixture, "draining an engine without advertisers answers at once") {
  start();
  auto t0 = std::chrono::steady_clock::now();
  auto drained = running->drain(*sys, std::chrono::seconds{5});
  REQUIRE(drained);
  CHECK(*drained == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds{1});
}
