// Chaos: cdpbatchd killed with SIGKILL at seeded random instants while 50 NEW
// advertisers backfill with the cdp-profile job, restarted each time. Every
// month ends COMPLETED, nobody is deactivated, and every profile total is the
// one worked out from the generated events: a month interrupted and run again
// never counts twice.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <sstream>

#include "daemon/daemon_fixture.hpp"
#include "persistence/store_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

constexpr int advertisers = 50;
constexpr int months_each = 10;
constexpr int kills = 5;
constexpr int customers = 3;
constexpr int events_per_month = 12;

/// What the events of one (advertiser, month) must add up to.
struct expected_totals {
  int64_t valid = 0;
  int64_t invalid = 0;
  int64_t purchases = 0;
  int64_t revenue = 0;
};

struct generated {
  std::vector<customer_event> events;
  std::map<std::pair<std::string, year_month>, expected_totals> totals;
};

/// Deterministic events for every advertiser's months: views, purchases with
/// revenue, and one invalid record (a purchase without revenue) a month.
generated make_events(uint64_t seed) {
  std::mt19937_64 random{seed};
  generated g;
  int64_t id = 1;
  auto first = ym("2024-12").plus(1 - months_each);
  for (int a = 0; a < advertisers; ++a) {
    auto adv = "adv-" + std::to_string(a);
    for (int k = 0; k < months_each; ++k) {
      auto month = first.plus(k);
      auto& t = g.totals[{adv, month}];
      for (int e = 0; e < events_per_month; ++e) {
        customer_event ev;
        ev.id = id++;
        ev.advertiser_id = adv;
        ev.customer_id = "cust-" + std::to_string(random() % customers);
        ev.event_time = month.start_utc() + std::chrono::hours{1 + static_cast<int>(random() % 600)};
        if (e == 0) {
          ev.event_type = "purchase";
          ++t.invalid;
        } else if (random() % 3 == 0) {
          ev.event_type = "purchase";
          ev.revenue_cents = 100 + static_cast<int64_t>(random() % 10'000);
          ++t.valid;
          ++t.purchases;
          t.revenue += *ev.revenue_cents;
        } else {
          ev.event_type = random() % 2 ? "view" : "click";
          ++t.valid;
        }
        g.events.push_back(std::move(ev));
      }
    }
  }
  return g;
}

/// CDPBATCH_CHAOS_SEED replays a failed run; otherwise each run draws its own.
uint64_t chaos_seed() {
  if (const char* given = std::getenv("CDPBATCH_CHAOS_SEED"))
    return std::strtoull(given, nullptr, 10);
  return std::random_device{}();
}

} // namespace

TEST_CASE_METHOD(daemon_fixture, "chaos: SIGKILL at 5 seeded instants of a 50-advertiser cdp-profile backfill, every month COMPLETED once, totals exact") {
  auto db = test_database::create(each_backend());
  if (!db)
    return;
  const uint64_t seed = chaos_seed();
  INFO("seed " << seed << " (CDPBATCH_CHAOS_SEED=" << seed << " replays it), " << db->backend());
  auto data = make_events(seed);
  std::vector<new_advertiser> many;
  for (int i = 0; i < advertisers; ++i)
    many.push_back({"adv-" + std::to_string(i), "", advertiser_type::new_advertiser});
  must(db->main().create_advertisers(many, ym("2024-12"), months_each, 3, t0, data.events, cdp::audit_note{"test", "", ""}));
  const int total = advertisers * months_each;
  // Once backfilled an advertiser refreshes its current month on a tick,
  // so "done" is every advertiser backfilled, not every month COMPLETED at
  // one instant.
  auto backfilled = [&] {
    auto all = db->main().list_advertisers(false);
    return all && std::all_of(all->begin(), all->end(),
                              [](const advertiser& a) { return a.backfill_completed; });
  };
  // Who is not backfilled yet and where each of its months stands.
  auto unfinished = [&] {
    std::ostringstream out;
    auto all = db->main().list_advertisers(false);
    if (!all)
      return std::string{"(store unreadable)"};
    for (const auto& a : *all) {
      if (a.backfill_completed)
        continue;
      out << a.id << (a.active ? "" : " INACTIVE: " + a.deactivation_reason) << ':';
      if (auto months = db->main().list_months(a.id))
        for (const auto& m : *months)
          out << ' ' << m.month.to_string() << '=' << to_string(m.status) << '/'
              << m.retry_count << (m.owner.empty() ? "" : "@" + m.owner);
      out << '\n';
    }
    return out.str();
  };
  auto completed = [&] {
    auto counts = db->main().count_months_by_status();
    return counts ? static_cast<int>(counts->completed) : -1;
  };
  // No schedule ticks after the first: a restarted backfill must go on by
  // itself, and promoted advertisers do not refresh (the final drain waits
  // only for what the backfill left in flight).
  auto args = argv({"--set", "store.url=" + db->url(),
                    "--set", "job.kind=cdp-profile",
                    "--set", "backfill.months=" + std::to_string(months_each),
                    "--set", "batch.thread-pool.core-size=2",
                    "--set", "batch.thread-pool.max-size=2",
                    "--set", "schedule.tick_interval=1h",
                    "--set", "node.id=chaos",
                    "--set", "node.heartbeat=200ms",
                    "--set", "node.lease_ttl=1s",
                    "--set", "reaper.interval=200ms",
                    "--set", "retry.backoff_base=50ms",
                    "--set", "retry.backoff_max=200ms"});

  std::mt19937 random{static_cast<uint32_t>(seed)};
  int killed_mid_run = 0;
  std::ostringstream kills_said;
  for (int round = 0; round < kills; ++round) {
    process daemon{args, dir / ("run-" + std::to_string(round) + ".out")};
    // Each run makes some progress first (the kills spread over the whole
    // backfill); the kill then lands at a random instant of the next
    // 0-20 ms, claims and jobs in flight. The months end in waves, one month
    // of each advertiser at a time (about 30 ms a wave here), and a wave or
    // two may end within the 10 ms poll and the 20 ms wait: round r aims at
    // no more than (r + 1) / (2 * kills) of the months, so even the last
    // kill leaves four waves undone.
    auto target = std::min(total * (round + 1) / (2 * kills),
                           completed() + 1 + static_cast<int>(random() % (total / (kills + 3))));
    if (!eventually([&] { return completed() >= target; }, 30s))
      FAIL("round " << round << ": no progress to " << target << "; the daemon said:\n"
                    << daemon.output());
    std::this_thread::sleep_for(std::chrono::milliseconds{static_cast<int64_t>(random() % 20)});
    daemon.signal(SIGKILL);
    REQUIRE(daemon.wait(5s));
    bool ended = backfilled();
    killed_mid_run += !ended;
    kills_said << "round " << round << ": aimed at " << target << ", killed at " << completed()
               << " of " << total << (ended ? ", backfill done" : "") << '\n';
  }
  WARN(kills_said.str());
  CHECK(killed_mid_run == kills);

  process last{args, dir / "last.out"};
  // Up first: a SIGTERM before it handles signals would just end it.
  REQUIRE(eventually([&] { return last.output().find("cdpbatchd running") != std::string::npos; },
                     20s));
  if (!eventually([&] { return backfilled(); }, 60s))
    FAIL("the last run did not finish:\n" << unfinished() << "it said:\n" << last.output());
  last.signal(SIGTERM);
  auto stopped = last.wait(20s);
  if (stopped != 0)
    FAIL("the last run did not drain and stop on SIGTERM; it said:\n" << last.output());

  auto& s = db->main();
  int interrupted = 0;
  for (int i = 0; i < advertisers; ++i) {
    auto id = "adv-" + std::to_string(i);
    auto who = must(s.get_advertiser(id));
    INFO(id);
    CHECK(who.active);
    CHECK(who.type == advertiser_type::existing);
    for (const auto& m : must(s.list_months(id))) {
      INFO(m.month.to_string());
      REQUIRE(m.status == month_status::completed);
      const auto& want = data.totals.at({id, m.month});
      CHECK(m.processed_records == want.valid);
      CHECK(m.failed_records == want.invalid);
      expected_totals got;
      for (const auto& p : must(s.list_profiles(id, m.month))) {
        got.valid += p.events;
        got.purchases += p.purchases;
        got.revenue += p.revenue_cents;
      }
      CHECK(got.valid == want.valid);
      CHECK(got.purchases == want.purchases);
      CHECK(got.revenue == want.revenue);
      // Nothing but the kills failed: they used no retries.
      CHECK(m.retry_count == 0);
      auto history = must(s.list_attempts(id, m.month));
      interrupted += std::any_of(history.begin(), history.end(), [](const attempt_record& a) {
        return a.error_message.find("interrupted") != std::string::npos;
      });
      for (size_t k = 1; k < history.size(); ++k) {
        REQUIRE(history[k - 1].finished_at.has_value());
        CHECK(*history[k - 1].finished_at <= history[k].started_at);
      }
      // A past month completes once; the current one is refreshed by the
      // first tick of each restart once its advertiser is promoted.
      if (m.month < ym("2024-12"))
        CHECK(std::count_if(history.begin(), history.end(), [](const attempt_record& a) {
                return a.outcome == month_status::completed;
              }) == 1);
    }
  }
  CHECK(interrupted > 0);
  WARN(interrupted << " of " << total << " months were interrupted by a kill and ran again");
}
