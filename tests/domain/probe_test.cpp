#include <catch2/catch.hpp>

#include <vector>

#include "domain/due_plan.hpp"
#include "domain/probe.hpp"
#include "domain/why.hpp"

using namespace cdp;
using namespace std::chrono_literals;

namespace {

year_month ym(const char* text) {
  return *year_month::parse(text);
}

const timestamp t0 = ym("2024-12").start_utc() + 24h * 10;
const probe_policy hourly{true, 1h};

/// A NEW advertiser whose 2023-03 used up its retries at t0 and switched it off.
struct scenario {
  advertiser who;
  std::vector<month_state> months;
  retry_policy retry;

  scenario() {
    who.id = "C";
    who.type = advertiser_type::new_advertiser;
    who.backfill_start_month = ym("2023-01");
    for (auto m : backfill_plan(ym("2024-12"), 24)) {
      month_state row;
      row.advertiser_id = "C";
      row.month = m;
      row.max_retries = 3;
      if (m < ym("2023-03"))
        row.status = month_status::completed;
      months.push_back(row);
    }
    auto& failed = months[2];
    failed.status = month_status::failed;
    failed.retry_count = 3;
    failed.error_message = "source down";
    failed.updated_at = t0;
    who.active = false;
    who.deactivation_reason = failure_deactivation(ym("2023-03"), "failed", 3, "source down");
  }

  due_decision decide(timestamp now, probe_policy probe = hourly) const {
    return cdp::decide({who, months, ym("2024-12"), now, 24, retry, true, probe});
  }
};

} // namespace

TEST_CASE("probe: a month that used up its retries is probed one interval after it failed") {
  scenario s;
  auto wait = plan_probe(s.who, s.months, t0 + 10min, hourly);
  CHECK(wait.what == probe_decision::kind::wait);
  CHECK(wait.month == ym("2023-03"));
  CHECK(wait.at == t0 + 1h);
  auto run = plan_probe(s.who, s.months, t0 + 1h, hourly);
  CHECK(run.what == probe_decision::kind::run);
  CHECK(run.month == ym("2023-03"));
}

TEST_CASE("probe: off by default, and never for an active advertiser") {
  scenario s;
  CHECK(plan_probe(s.who, s.months, t0 + 2h, probe_policy{}).what == probe_decision::kind::none);
  s.who.active = true;
  CHECK(plan_probe(s.who, s.months, t0 + 2h, hourly).what == probe_decision::kind::none);
}

TEST_CASE("probe: an operator's deactivation and a restart storm are never probed") {
  scenario s;
  s.who.deactivation_reason = "deactivated by an operator";
  CHECK_FALSE(deactivated_by_failure(s.who));
  CHECK(plan_probe(s.who, s.months, t0 + 2h, hourly).what == probe_decision::kind::none);
  s.who.deactivation_reason = "its actor crashed 6 times within 10m; last: runtime_error";
  CHECK(plan_probe(s.who, s.months, t0 + 2h, hourly).what == probe_decision::kind::none);
  s.who.deactivation_reason = failure_deactivation(ym("2023-03"), "interrupted", 3, "");
  CHECK(deactivated_by_failure(s.who));
  CHECK(s.who.deactivation_reason == "month 2023-03 interrupted after 3 retries");
}

TEST_CASE("probe: without a month that used up its retries there is nothing to probe") {
  scenario s;
  s.months[2].retry_count = 1;
  CHECK(plan_probe(s.who, s.months, t0 + 2h, hourly).what == probe_decision::kind::none);
  s.months[2].status = month_status::running;
  CHECK(plan_probe(s.who, s.months, t0 + 2h, hourly).what == probe_decision::kind::none);
}

TEST_CASE("probe: a failed probe moves the next one a whole interval on") {
  scenario s;
  s.months[2].updated_at = t0 + 1h + 5s; // the probe's failure
  auto next = plan_probe(s.who, s.months, t0 + 1h + 6s, hourly);
  CHECK(next.what == probe_decision::kind::wait);
  CHECK(next.at == t0 + 2h + 5s);
}

TEST_CASE("due plan: a deactivated advertiser with probing on waits for, then runs, its probe") {
  scenario s;
  CHECK(s.decide(t0 + 2h, probe_policy{}).what == due_decision::kind::inactive);
  auto wait = s.decide(t0 + 1min);
  CHECK(wait.what == due_decision::kind::wait);
  CHECK(wait.reason == run_reason::probe);
  CHECK(wait.wait_until == t0 + 1h);
  auto run = s.decide(t0 + 1h);
  CHECK(run.what == due_decision::kind::run);
  CHECK(run.reason == run_reason::probe);
  CHECK(run.month == ym("2023-03"));
  CHECK(run.closes_month);
  CHECK_FALSE(run.create_row);
  CHECK(run.explanation.starts_with("probing 2023-03 (deactivated: month 2023-03 failed"));
}

TEST_CASE("why: a deactivated advertiser that is probed says when, and how the last probe ended") {
  scenario s;
  advertiser_activity idle;
  idle.now = advertiser_activity::phase::inactive;
  why_context ctx{s.who, s.months, idle, std::nullopt, t0 + 10min, "node-a"};
  CHECK(why_not_running(ctx) == "deactivated: 2023-03 failed 4 times: source down");
  ctx.probe.next = t0 + 1h;
  CHECK(why_not_running(ctx)
        == "deactivated: 2023-03 failed 4 times: source down; next probe at 01:00:00");
  attempt_record last;
  last.probe = true;
  last.outcome = month_status::failed;
  last.finished_at = t0;
  last.error_message = "source down";
  ctx.probe.last = last;
  CHECK(why_not_running(ctx)
        == "deactivated: 2023-03 failed 4 times: source down; next probe at 01:00:00; last "
           "probe FAILED at 00:00:00: source down");
  ctx.now = t0 + 2h;
  CHECK(why_not_running(ctx).find("; probe due now; last probe FAILED") != std::string::npos);
}

TEST_CASE("why: a probe in flight says so") {
  scenario s;
  advertiser_activity running;
  running.now = advertiser_activity::phase::running;
  running.month = ym("2023-03");
  running.since = t0 + 1h;
  running.probe = true;
  why_context ctx{s.who, s.months, running, std::nullopt, t0 + 1h + 3s, "node-a"};
  CHECK(why_not_running(ctx)
        == "probing 2023-03 since 01:00:00 (deactivated: 2023-03 failed 4 times: source down)");
}

TEST_CASE("why: an attempt running when the operator switched it off is finishing, not probing") {
  scenario s;
  s.who.deactivation_reason = "deactivated by ops: spam traffic";
  advertiser_activity running;
  running.now = advertiser_activity::phase::running;
  running.month = ym("2023-03");
  running.since = t0 + 1h;
  why_context ctx{s.who, s.months, running, std::nullopt, t0 + 1h + 3s, "node-a"};
  CHECK(why_not_running(ctx).starts_with("finishing 2023-03 since 01:00:00 (deactivated: "));
}
