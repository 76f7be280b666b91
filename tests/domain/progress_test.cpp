#include <catch2/catch.hpp>

#include <vector>

#include "domain/due_plan.hpp"
#include "domain/progress.hpp"

using cdp::month_state;
using cdp::month_status;

namespace {
std::vector<month_state> months_of_backfill() {
  std::vector<month_state> rows;
  for (auto m : cdp::backfill_plan(*cdp::year_month::parse("2024-12"), 24)) {
    month_state s;
    s.month = m;
    rows.push_back(s);
  }
  return rows;
}
} // namespace

TEST_CASE("backfill progress counts months by status and finds the cursor") {
  auto rows = months_of_backfill();
  for (int i = 0; i < 6; ++i)
    rows[static_cast<size_t>(i)].status = month_status::completed;
  rows[6].status = month_status::running;
  rows[7].status = month_status::failed;
  auto p = cdp::progress_of(rows);
  CHECK(p.total_months == 24);
  CHECK(p.completed_months == 6);
  CHECK(p.running_months == 1);
  CHECK(p.failed_months == 1);
  CHECK(p.pending_months == 16);
  CHECK(p.progress_percent == Approx(25.0));
  CHECK(p.cursor == cdp::year_month::parse("2023-07"));
}

TEST_CASE("a finished backfill is 100 percent with no cursor") {
  auto rows = months_of_backfill();
  for (auto& r : rows)
    r.status = month_status::completed;
  auto p = cdp::progress_of(rows);
  CHECK(p.progress_percent == Approx(100.0));
  CHECK_FALSE(p.cursor);
}

TEST_CASE("progress of no months is zero") {
  auto p = cdp::progress_of({});
  CHECK(p.total_months == 0);
  CHECK(p.progress_percent == 0.0);
}

TEST_CASE("the lifecycle goes NEW, BACKFILLING, LIVE, DEGRADED, DEACTIVATED") {
  cdp::advertiser who;
  who.type = cdp::advertiser_type::new_advertiser;
  auto rows = months_of_backfill();
  CHECK(cdp::lifecycle_of(who, rows) == cdp::lifecycle::new_advertiser);
  rows[0].status = month_status::completed;
  CHECK(cdp::lifecycle_of(who, rows) == cdp::lifecycle::backfilling);
  who.type = cdp::advertiser_type::existing;
  CHECK(cdp::lifecycle_of(who, rows) == cdp::lifecycle::live);
  rows[1].status = month_status::failed;
  rows[1].retry_count = 1;
  CHECK(cdp::lifecycle_of(who, rows) == cdp::lifecycle::degraded);
  who.active = false;
  CHECK(cdp::lifecycle_of(who, rows) == cdp::lifecycle::deactivated);
}
