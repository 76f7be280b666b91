#include <catch2/catch.hpp>

#include <vector>

#include "domain/due_plan.hpp"

using namespace std::chrono_literals;
using cdp::month_state;
using cdp::month_status;
using cdp::year_month;
using kind = cdp::due_decision::kind;

namespace {

year_month ym(const char* text) {
  return *year_month::parse(text);
}

const cdp::timestamp t0 = ym("2024-12").start_utc() + 24h * 10;

struct scenario {
  cdp::advertiser who;
  std::vector<month_state> months;
  cdp::retry_policy retry;
  year_month current = ym("2024-12");
  cdp::timestamp now = t0;
  bool on_tick = true;

  cdp::due_decision decide() const {
    return cdp::decide({who, months, current, now, 24, retry, on_tick});
  }

  month_state& add(const char* month, month_status status, bool closed = false) {
    month_state s;
    s.advertiser_id = who.id;
    s.month = ym(month);
    s.status = status;
    s.closed = closed;
    months.push_back(s);
    return months.back();
  }
};

scenario new_advertiser() {
  scenario s;
  s.who.id = "C";
  s.who.type = cdp::advertiser_type::new_advertiser;
  s.who.backfill_start_month = ym("2023-01");
  for (auto m : cdp::backfill_plan(ym("2024-12"), 24)) {
    month_state row;
    row.advertiser_id = "C";
    row.month = m;
    s.months.push_back(row);
  }
  return s;
}

scenario existing_advertiser(const char* last_completed) {
  scenario s;
  s.who.id = "A";
  s.who.type = cdp::advertiser_type::existing;
  s.who.last_completed_month = ym(last_completed);
  return s;
}

} // namespace

TEST_CASE("the backfill plan is 24 months ending at the current month, oldest first") {
  auto plan = cdp::backfill_plan(ym("2024-12"), 24);
  REQUIRE(plan.size() == 24);
  CHECK(plan.front() == ym("2023-01"));
  CHECK(plan.back() == ym("2024-12"));
}

TEST_CASE("the backfill window crosses years when the current month is not December") {
  auto plan = cdp::backfill_plan(ym("2025-03"), 24);
  CHECK(plan.front() == ym("2023-04"));
  CHECK(plan[9] == ym("2024-01"));
  CHECK(plan.back() == ym("2025-03"));
}

TEST_CASE("a new advertiser backfills its oldest month first") {
  auto s = new_advertiser();
  auto d = s.decide();
  CHECK(d.what == kind::run);
  CHECK(d.month == ym("2023-01"));
  CHECK(d.reason == cdp::run_reason::backfill);
  CHECK(d.closes_month);
}

TEST_CASE("a new advertiser's month m+1 waits until month m is completed") {
  auto s = new_advertiser();
  s.months[0].status = month_status::running;
  CHECK(s.decide().what == kind::in_flight);
  CHECK(s.decide().month == ym("2023-01"));
  s.months[0].status = month_status::completed;
  CHECK(s.decide().month == ym("2023-02"));
}

TEST_CASE("a new advertiser whose months are all completed is promoted to EXISTING") {
  auto s = new_advertiser();
  for (auto& m : s.months)
    m.status = month_status::completed;
  CHECK(s.decide().what == kind::promote);
}

TEST_CASE("a failed month in backoff makes its advertiser wait until the next attempt") {
  auto s = new_advertiser();
  auto& m = s.months[0];
  m.status = month_status::failed;
  m.retry_count = 1;
  m.next_attempt_at = t0 + 2min;
  auto d = s.decide();
  CHECK(d.what == kind::wait);
  CHECK(d.wait_until == t0 + 2min);
  s.now = t0 + 2min;
  CHECK(s.decide().what == kind::run);
}

TEST_CASE("a failed month without a scheduled attempt is retried at once") {
  auto s = new_advertiser();
  s.months[0].status = month_status::failed;
  CHECK(s.decide().what == kind::run);
}

TEST_CASE("a month that used all its retries stops its advertiser") {
  auto s = new_advertiser();
  auto& m = s.months[0];
  m.status = month_status::failed;
  m.retry_count = 3;
  m.max_retries = 3;
  m.error_message = "boom";
  auto d = s.decide();
  CHECK(d.what == kind::exhausted);
  CHECK(d.explanation.find("boom") != std::string::npos);
}

TEST_CASE("a deactivated advertiser does nothing and says why") {
  auto s = new_advertiser();
  s.who.active = false;
  s.who.deactivation_reason = "2023-01 failed";
  auto d = s.decide();
  CHECK(d.what == kind::inactive);
  CHECK(d.explanation.find("2023-01 failed") != std::string::npos);
}

TEST_CASE("an existing advertiser refreshes its current month on every tick") {
  auto s = existing_advertiser("2024-11");
  s.add("2024-11", month_status::completed, true);
  auto d = s.decide();
  CHECK(d.what == kind::run);
  CHECK(d.month == ym("2024-12"));
  CHECK(d.reason == cdp::run_reason::live);
  CHECK(d.create_row);
  CHECK_FALSE(d.closes_month);
  s.add("2024-12", month_status::completed);
  CHECK(s.decide().what == kind::run);
}

TEST_CASE("an existing advertiser's fresh current month waits for the next tick") {
  auto s = existing_advertiser("2024-12");
  s.add("2024-12", month_status::completed);
  s.on_tick = false;
  CHECK(s.decide().what == kind::idle);
}

TEST_CASE("after a month rolls over, the previous month gets one final run") {
  auto s = existing_advertiser("2024-12");
  s.add("2024-12", month_status::completed, false);
  s.current = ym("2025-01");
  auto d = s.decide();
  CHECK(d.what == kind::run);
  CHECK(d.month == ym("2024-12"));
  CHECK(d.reason == cdp::run_reason::catch_up);
  CHECK(d.closes_month);
  s.months.back().closed = true;
  CHECK(s.decide().month == ym("2025-01"));
}

TEST_CASE("an existing advertiser catches up on missed months in order before the current one") {
  auto s = existing_advertiser("2024-09");
  s.add("2024-09", month_status::completed, true);
  s.current = ym("2025-01");
  auto d = s.decide();
  CHECK(d.month == ym("2024-10"));
  CHECK(d.create_row);
  CHECK(d.reason == cdp::run_reason::catch_up);
  s.add("2024-10", month_status::completed, true);
  CHECK(s.decide().month == ym("2024-11"));
}

TEST_CASE("catch-up never reaches further back than the backfill window") {
  auto s = existing_advertiser("2020-01");
  s.current = ym("2025-01");
  CHECK(s.decide().month == ym("2023-02"));
}

TEST_CASE("an existing advertiser without history starts at the current month") {
  auto s = existing_advertiser("2024-12");
  s.who.last_completed_month.reset();
  CHECK(s.decide().month == ym("2024-12"));
}

TEST_CASE("a last completed month that predates the store is not rerun") {
  auto s = existing_advertiser("2024-11");
  auto d = s.decide();
  CHECK(d.month == ym("2024-12"));
}

TEST_CASE("a manually retried older month of an existing advertiser runs before the current month") {
  auto s = existing_advertiser("2024-12");
  s.add("2024-10", month_status::pending);
  s.add("2024-11", month_status::completed, true);
  s.add("2024-12", month_status::completed);
  auto d = s.decide();
  CHECK(d.what == kind::run);
  CHECK(d.month == ym("2024-10"));
  CHECK(d.closes_month);
}
