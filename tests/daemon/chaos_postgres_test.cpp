// Chaos: the PostgreSQL server restarted with `pg_ctl restart -m immediate`
// while cdpbatchd backfills. The daemon logs the trouble, retries with
// backoff and resumes: no month lost, none deactivated, none run twice at once.
#include <algorithm>

#include "daemon/daemon_fixture.hpp"
#include "daemon/scratch_postgres.hpp"
#include "persistence/store_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(daemon_fixture, "chaos: PostgreSQL restarted -m immediate mid-backfill, the daemon logs, retries and resumes, no month lost or run twice at once") {
  auto pg = scratch_postgres::start();
  if (!pg) {
    WARN("no PostgreSQL installed: skipped");
    return;
  }
  constexpr int advertisers = 20;
  constexpr int months_each = 4;
  const int total = advertisers * months_each;
  auto db = open_store(pg->url());
  REQUIRE(db);
  auto& s = **db;
  must(s.migrate());
  std::vector<new_advertiser> many;
  for (int i = 0; i < advertisers; ++i)
    many.push_back({"adv-" + std::to_string(i), "", advertiser_type::new_advertiser});
  must(s.create_advertisers(many, ym("2024-12"), months_each, 3, t0, {}, cdp::audit_note{"test", "", ""}));
  // Once backfilled an advertiser refreshes its current month on every
  // tick, so "done" is every advertiser backfilled, not every month
  // COMPLETED at one instant.
  auto backfilled = [&] {
    auto all = s.list_advertisers(false);
    return all && std::all_of(all->begin(), all->end(),
                              [](const advertiser& a) { return a.backfill_completed; });
  };
  auto completed = [&] {
    auto counts = s.count_months_by_status();
    return counts ? static_cast<int>(counts->completed) : -1;
  };

  process daemon{argv({"--set", "store.url=" + pg->url(), "--set", "job.kind=simulated",
                       "--set", "job.simulated.latency=60ms", "--set",
                       "backfill.months=" + std::to_string(months_each), "--set",
                       "batch.thread-pool.core-size=2", "--set", "node.id=survivor", "--set",
                       "node.heartbeat=200ms", "--set", "node.lease_ttl=2s", "--set",
                       "reaper.interval=200ms", "--set", "retry.backoff_base=50ms", "--set",
                       "retry.backoff_max=200ms"}),
                 dir / "out.log"};
  REQUIRE(eventually([&] { return completed() >= total / 4; }, 30s));
  REQUIRE_FALSE(backfilled());
  REQUIRE(pg->restart_immediate());
  // Our own connection was cut too; the store reconnects on its next call.
  if (!eventually([&] { return backfilled(); }, 60s))
    FAIL("no resume after the restart; the daemon said:\n" << daemon.output());
  CHECK_FALSE(daemon.wait(10ms));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
  auto log = daemon.output();
  INFO(log);
  // It said what happened, and that it retries.
  CHECK((log.find("lost the connection to PostgreSQL") != std::string::npos
         || log.find("is unreachable") != std::string::npos));
  CHECK((log.find("retry") != std::string::npos || log.find("trying again") != std::string::npos));

  for (int i = 0; i < advertisers; ++i) {
    auto id = "adv-" + std::to_string(i);
    INFO(id);
    CHECK(must(s.get_advertiser(id)).active);
    for (const auto& m : must(s.list_months(id))) {
      INFO(m.month.to_string());
      CHECK(m.status == month_status::completed);
      auto history = must(s.list_attempts(id, m.month));
      REQUIRE_FALSE(history.empty());
      std::string attempts;
      for (const auto& a : history)
        attempts += "attempt " + std::to_string(a.attempt) + " " + to_iso8601(a.started_at)
                    + " to " + (a.finished_at ? to_iso8601(*a.finished_at) : "-") + " "
                    + std::string{to_string(a.outcome)} + " " + a.error_message + "\n";
      INFO(attempts);
      CHECK(history.back().outcome == month_status::completed);
      for (size_t k = 1; k < history.size(); ++k) {
        REQUIRE(history[k - 1].finished_at.has_value());
        CHECK(*history[k - 1].finished_at <= history[k].started_at);
      }
    }
  }
}
