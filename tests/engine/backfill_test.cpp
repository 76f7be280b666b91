#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;

TEST_CASE_METHOD(engine_fixture, "a new advertiser completes its 24 months oldest first, one at a time") {
  start();
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }));
  CHECK(all_months_completed_once("C"));
  CHECK(db->list_months("C")->size() == 24);
  CHECK(who("C").backfill_completed);
  auto seen = script->attempts_of("C");
  REQUIRE(seen.size() >= 24);
  auto plan = backfill_plan(ym("2024-12"), 24);
  for (size_t i = 0; i < plan.size(); ++i)
    CHECK(seen[i].month == plan[i].to_string());
  // Month m+1 started only after month m was durably COMPLETED.
  for (size_t i = 1; i < plan.size(); ++i) {
    auto before = db->list_attempts("C", plan[i - 1]);
    auto after = db->list_attempts("C", plan[i]);
    REQUIRE(before);
    REQUIRE(after);
    REQUIRE(before->front().finished_at);
    CHECK(after->front().started_at >= *before->front().finished_at);
  }
}

TEST_CASE_METHOD(engine_fixture, "a month that fails twice then succeeds ends COMPLETED with retry count 2 after the policy's delays") {
  cfg.backfill_months = 2;
  script->fail_first("N", "2024-11", 2);
  start();
  add("N", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return who("N").type == advertiser_type::existing; }));
  auto m = month("N", "2024-11");
  CHECK(m.status == month_status::completed);
  CHECK(m.retry_count == 2);
  auto seen = script->attempts_of("N");
  REQUIRE(seen.size() >= 4);
  CHECK(seen[0].month == "2024-11");
  CHECK(seen[0].attempt == 1);
  CHECK(seen[1].attempt == 2);
  CHECK(seen[2].attempt == 3);
  CHECK(seen[3].month == "2024-12");
  // Backoff 20ms then 40ms (base 20ms, factor 2), counted from the failure's
  // instant, which the engine keeps to the millisecond (as the store does):
  // up to 1ms before the real one.
  constexpr auto resolution = std::chrono::milliseconds{1};
  CHECK(seen[1].at - seen[0].at >= std::chrono::milliseconds{20} - resolution);
  CHECK(seen[2].at - seen[1].at >= std::chrono::milliseconds{40} - resolution);
  auto history = db->list_attempts("N", ym("2024-11"));
  REQUIRE(history);
  REQUIRE(history->size() == 3);
  CHECK(history->at(0).outcome == month_status::failed);
  CHECK(history->at(0).error_message == "scripted failure");
  CHECK(history->at(2).outcome == month_status::completed);
}

TEST_CASE_METHOD(engine_fixture, "exhausted retries deactivate only that advertiser while 50 others complete") {
  cfg.backfill_months = 3;
  script->always_fail("BROKEN");
  start();
  add("BROKEN", advertiser_type::new_advertiser);
  for (int i = 0; i < 50; ++i)
    add("ok-" + std::to_string(i), advertiser_type::new_advertiser);
  REQUIRE(eventually([&] {
    for (int i = 0; i < 50; ++i)
      if (who("ok-" + std::to_string(i)).type != advertiser_type::existing)
        return false;
    return !who("BROKEN").active;
  }));
  for (int i = 0; i < 50; ++i)
    CHECK(all_months_completed_once("ok-" + std::to_string(i)));
  auto broken = who("BROKEN");
  CHECK(broken.deactivation_reason.find("2024-10") != std::string::npos);
  auto first = month("BROKEN", "2024-10");
  CHECK(first.status == month_status::failed);
  CHECK(first.retry_count == 3);
  CHECK_FALSE(first.next_attempt_at);
  CHECK(month("BROKEN", "2024-11").status == month_status::pending);
  // 1 attempt + 3 retries of the first month, nothing after it.
  CHECK(script->attempts_of("BROKEN").size() == 4);
}

TEST_CASE_METHOD(engine_fixture, "a full job queue defers advertisers and drops none") {
  cfg.pool = {1, 1, 1};
  cfg.backfill_months = 2;
  start();
  for (int i = 0; i < 30; ++i)
    add("q-" + std::to_string(i), advertiser_type::new_advertiser);
  REQUIRE(eventually([&] {
    for (int i = 0; i < 30; ++i)
      if (!all_months_completed_once("q-" + std::to_string(i)))
        return false;
    return true;
  }));
}

TEST_CASE_METHOD(engine_fixture, "a live advertiser's current month is not starved by a backfill wave") {
  cfg.pool = {1, 1, 4};
  for (int i = 0; i < 20; ++i)
    add("wave-" + std::to_string(i), advertiser_type::new_advertiser);
  add("LIVE", advertiser_type::existing);
  start();
  REQUIRE(eventually([&] { return status_of("LIVE", "2024-12") == month_status::completed; }));
  auto seen = script->attempts();
  auto live_at = std::find_if(seen.begin(), seen.end(),
                              [](const auto& a) { return a.advertiser == "LIVE"; });
  REQUIRE(live_at != seen.end());
  // Served among the first jobs, not after the 480 backfill months.
  CHECK(std::distance(seen.begin(), live_at) < 30);
}
