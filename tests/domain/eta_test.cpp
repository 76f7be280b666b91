#include <catch2/catch.hpp>

#include <vector>

#include "domain/eta.hpp"

using namespace cdp;
using namespace std::chrono_literals;

namespace {

const timestamp now = year_month::parse("2024-12")->start_utc() + 48h;

advertiser backfilling() {
  advertiser a;
  a.id = "C";
  a.type = advertiser_type::new_advertiser;
  return a;
}

/// Four months: the first `done` completed, each having taken `took`.
std::vector<month_state> months(int done, std::chrono::milliseconds took) {
  std::vector<month_state> rows;
  for (int i = 0; i < 4; ++i) {
    month_state m;
    m.month = year_month::parse("2024-09")->plus(i);
    if (i < done) {
      m.status = month_status::completed;
      m.started_at = now - 1h + i * 10min;
      m.completed_at = *m.started_at + took;
    }
    rows.push_back(m);
  }
  return rows;
}

} // namespace

TEST_CASE("eta: none before the first month is done") {
  CHECK_FALSE(backfill_eta(backfilling(), months(0, 1min), now).has_value());
}

TEST_CASE("eta: the months left take as long as the completed ones did on average") {
  auto rows = months(2, 0ms);
  rows[0].completed_at = *rows[0].started_at + 1min;
  rows[1].completed_at = *rows[1].started_at + 3min;
  CHECK(backfill_eta(backfilling(), rows, now) == now + 2 * 2min);
}

TEST_CASE("eta: the running month's elapsed time is already spent") {
  auto rows = months(2, 2min);
  rows[2].status = month_status::running;
  rows[2].started_at = now - 30s;
  CHECK(backfill_eta(backfilling(), rows, now) == now + 4min - 30s);
  rows[2].started_at = now - 10min;
  CHECK(backfill_eta(backfilling(), rows, now) == now + 2min);
}

TEST_CASE("eta: a month in backoff first waits for its next attempt") {
  auto rows = months(2, 2min);
  rows[2].status = month_status::failed;
  rows[2].retry_count = 1;
  rows[2].next_attempt_at = now + 1min;
  CHECK(backfill_eta(backfilling(), rows, now) == now + 1min + 4min);
}

TEST_CASE("eta: none for an EXISTING or a deactivated advertiser") {
  auto who = backfilling();
  who.type = advertiser_type::existing;
  CHECK_FALSE(backfill_eta(who, months(2, 1min), now).has_value());
  who = backfilling();
  who.active = false;
  CHECK_FALSE(backfill_eta(who, months(2, 1min), now).has_value());
}
