#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

/// Live refreshes keep every runner busy (60 EXISTING advertisers ticked
/// every 10ms, jobs of 20ms, 4 runners: several times what the runners can
/// do, and long enough that commits never leave a runner idle) while 8 NEW
/// advertisers backfill 4 months each. The share of backfill jobs among
/// those started while the backfill ran. Live first without the share
/// starves the backfill: it never ends.
double backfill_share_under_live_load(engine_fixture& f, double share) {
  f.cfg.pool = {4, 4, 16, share};
  f.cfg.backfill_months = 4;
  f.cfg.schedule.tick_interval = 10ms;
  f.script->take(20ms);
  for (int i = 0; i < 60; ++i)
    f.add("live-" + std::to_string(i), advertiser_type::existing);
  for (int i = 0; i < 8; ++i)
    f.add("new-" + std::to_string(i), advertiser_type::new_advertiser);
  f.start();
  REQUIRE(f.eventually(
    [&] {
      for (int i = 0; i < 8; ++i)
        if (f.who("new-" + std::to_string(i)).type != advertiser_type::existing)
          return false;
      return true;
    },
    20s));
  auto seen = f.script->attempts();
  auto is_backfill = [](const auto& a) { return a.advertiser.rfind("new-", 0) == 0; };
  auto first = std::find_if(seen.begin(), seen.end(), is_backfill);
  auto last = std::find_if(seen.rbegin(), seen.rend(), is_backfill).base();
  double backfill = static_cast<double>(std::count_if(first, last, is_backfill));
  return backfill / static_cast<double>(std::distance(first, last));
}

} // namespace

TEST_CASE_METHOD(engine_fixture, "a backfill gets at least its share of the runners while live refreshes flood them") {
  auto got = backfill_share_under_live_load(*this, 0.25);
  INFO("backfill share of jobs " << got);
  CHECK(got >= 0.22);
}

TEST_CASE_METHOD(engine_fixture, "the backfill share follows batch.backfill_share") {
  auto got = backfill_share_under_live_load(*this, 0.5);
  INFO("backfill share of jobs " << got);
  CHECK(got >= 0.45);
}

TEST_CASE_METHOD(engine_fixture, "ticks that ask for a refresh already queued or running are coalesced into it") {
  cfg.schedule.tick_interval = 20ms;
  script->hang("A", "2024-12");
  start();
  add("A", advertiser_type::existing);
  REQUIRE(eventually([&] { return status_of("A", "2024-12") == month_status::running; }));
  // Ten ticks while the refresh runs: none queues another one.
  std::this_thread::sleep_for(200ms);
  auto coalesced = [&] {
    caf::scoped_actor self{*sys};
    int64_t n = -1;
    self->request(running->pool, 1s, stats_atom_v)
      .receive([&](pool_stats& s) { n = s.coalesced; }, [](caf::error&) {});
    return n;
  };
  CHECK(coalesced() >= 5);
  CHECK(script->attempts_of("A").size() == 1);
  script->release_all();
  REQUIRE(eventually([&] { return status_of("A", "2024-12") == month_status::completed; }));
  // Later ticks refresh again, one run each.
  REQUIRE(eventually([&] { return script->attempts_of("A").size() >= 3; }));
  auto history = db->list_attempts("A", ym("2024-12"));
  REQUIRE(history);
  for (size_t i = 1; i < history->size(); ++i)
    if (history->at(i - 1).finished_at)
      CHECK(history->at(i).started_at >= *history->at(i - 1).finished_at);
}
