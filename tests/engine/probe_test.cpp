#include <thread>

#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

/// Probing every 100ms, one retry per month, three months to backfill.
void probing(engine_fixture& f) {
  f.cfg.backfill_months = 3;
  f.cfg.retry.max_retries = 1;
  f.cfg.probe = {true, 100ms};
}

std::vector<attempt_record> history(engine_fixture& f, const char* month) {
  auto h = f.db->list_attempts("P", ym(month));
  REQUIRE(h);
  return *h;
}

size_t probes_in(const std::vector<attempt_record>& h) {
  return static_cast<size_t>(std::count_if(h.begin(), h.end(), [](auto& a) { return a.probe; }));
}

} // namespace

TEST_CASE_METHOD(engine_fixture, "a failing probe keeps the advertiser off and records each attempt as a probe") {
  probing(*this);
  script->always_fail("P");
  start();
  add("P", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return probes_in(history(*this, "2024-10")) >= 2; }));
  auto h = history(*this, "2024-10");
  // The first attempt and its one retry, then probes only, each a whole
  // interval after the failure before it.
  REQUIRE(h.size() >= 4);
  CHECK_FALSE(h[0].probe);
  CHECK_FALSE(h[1].probe);
  for (size_t i = 2; i < h.size(); ++i) {
    CHECK(h[i].probe);
    if (h[i].outcome == month_status::running)
      continue;
    CHECK(h[i].outcome == month_status::failed);
    REQUIRE(h[i - 1].finished_at);
    CHECK(h[i].started_at - *h[i - 1].finished_at >= 100ms);
  }
  auto p = who("P");
  CHECK_FALSE(p.active);
  CHECK(p.deactivation_reason.starts_with("month 2024-10 failed after 1 retries"));
  CHECK(month("P", "2024-10").retry_count == 1);
  CHECK(month("P", "2024-11").status == month_status::pending);
  CHECK(history(*this, "2024-11").empty());
}

TEST_CASE_METHOD(engine_fixture, "a probe that succeeds reactivates the advertiser and its remaining months complete in order") {
  probing(*this);
  // Attempt 1, its retry and the first probe fail; the second probe succeeds.
  script->fail_first("P", "2024-10", 3);
  start();
  add("P", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return who("P").type == advertiser_type::existing; }));
  auto p = who("P");
  CHECK(p.active);
  CHECK(p.deactivation_reason.empty());
  CHECK(p.backfill_completed);
  auto h = history(*this, "2024-10");
  REQUIRE(h.size() == 4);
  CHECK(h[2].probe);
  CHECK(h[2].outcome == month_status::failed);
  CHECK(h[3].probe);
  CHECK(h[3].outcome == month_status::completed);
  // The months after it ran once it was back, strictly in order.
  auto nov = history(*this, "2024-11");
  auto dec = history(*this, "2024-12");
  REQUIRE_FALSE(nov.empty());
  REQUIRE_FALSE(dec.empty());
  CHECK_FALSE(nov.front().probe);
  REQUIRE(h[3].finished_at);
  CHECK(nov.front().started_at >= *h[3].finished_at);
  REQUIRE(nov.front().finished_at);
  CHECK(dec.front().started_at >= *nov.front().finished_at);
  auto seen = script->attempts_of("P");
  REQUIRE(seen.size() >= 6);
  CHECK(seen[4].month == "2024-11");
  CHECK(seen[5].month == "2024-12");
}

TEST_CASE_METHOD(engine_fixture, "an advertiser an operator deactivated is never probed") {
  probing(*this);
  cfg.retry.max_retries = 0;
  add("P", advertiser_type::new_advertiser);
  // Its first month used up its retries, but the operator switched it off.
  auto m = ym("2024-10");
  claim_request c;
  c.advertiser_id = "P";
  c.month = m;
  c.owner = "test-node";
  c.lease_token = 1;
  REQUIRE(db->claim(c, clk->now())->applied);
  fail_request f;
  f.advertiser_id = "P";
  f.month = m;
  f.lease_token = 1;
  f.error_message = "boom";
  REQUIRE(db->fail(f, clk->now())->applied);
  REQUIRE(db->set_active("P", false, "deactivated by an operator", clk->now(), cdp::audit_note{"test", "", ""}));
  start();
  std::this_thread::sleep_for(600ms);
  CHECK(script->attempts_of("P").empty());
  CHECK(history(*this, "2024-10").size() == 1);
  CHECK_FALSE(who("P").active);
}
