#include <future>

#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;


TEST_CASE_METHOD(engine_fixture, "an existing advertiser refreshes its current month on every tick") {
  start();
  add("A", advertiser_type::existing);
  REQUIRE(eventually([&] { return script->attempts_of("A").size() >= 3; }));
  for (auto& a : script->attempts_of("A"))
    CHECK(a.month == "2024-12");
  CHECK(month("A", "2024-12").status != month_status::pending);
}

TEST_CASE_METHOD(engine_fixture, "after a month rolls over the previous month gets one final run, then the new month runs") {
  start();
  add("A", advertiser_type::existing);
  REQUIRE(eventually([&] { return status_of("A", "2024-12") == month_status::completed; }));
  CHECK_FALSE(month("A", "2024-12").closed);
  clk->set_month(ym("2025-01"));
  REQUIRE(eventually([&] {
    auto next = db->get_month("A", ym("2025-01"));
    return next && next->status == month_status::completed;
  }));
  CHECK(month("A", "2024-12").closed);
  CHECK(who("A").last_completed_month == ym("2025-01"));
  // Once closed, 2024-12 is never run again.
  auto runs_of_december = [&] {
    auto seen = script->attempts_of("A");
    return std::count_if(seen.begin(), seen.end(), [](auto& a) { return a.month == "2024-12"; });
  };
  auto before = runs_of_december();
  REQUIRE(eventually([&] { return script->attempts_of("A").back().month == "2025-01"; }));
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  CHECK(runs_of_december() == before);
}

TEST_CASE_METHOD(engine_fixture, "an advertiser actor that dies is restarted from stored state and resumes") {
  script->hang("C", "2023-05");
  start();
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return month("C", "2023-05").status == month_status::running; }));
  auto old = actor_of("C");
  REQUIRE(old);
  crash(old);
  // The new actor finds its predecessor's RUNNING month and retries it.
  REQUIRE(eventually([&] {
    auto history = db->list_attempts("C", ym("2023-05"));
    return history && history->size() >= 2;
  }));
  script->release_all();
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }));
  CHECK(all_months_completed_once("C"));
  auto history = db->list_attempts("C", ym("2023-05"));
  REQUIRE(history);
  CHECK(history->front().outcome == month_status::failed);
  CHECK(history->front().error_message.find("interrupted") != std::string::npos);
  CHECK(who("C").active);
}

TEST_CASE_METHOD(engine_fixture, "an advertiser whose actor keeps crashing is deactivated") {
  restarts.max_restarts = 2;
  script->hang("C", "2023-01");
  start();
  add("C", advertiser_type::new_advertiser);
  advertiser_actor previous;
  for (size_t round = 0; round < 3; ++round) {
    // Wait for this round's actor and its own attempt of the hanging month.
    advertiser_actor hdl;
    REQUIRE(eventually([&] {
      hdl = actor_of("C");
      auto history = db->list_attempts("C", ym("2023-01"));
      return hdl && hdl != previous && history && history->size() == round + 1
             && history->back().outcome == month_status::running;
    }));
    crash(hdl);
    previous = hdl;
  }
  REQUIRE(eventually([&] { return !who("C").active; }));
  CHECK(who("C").deactivation_reason.find("crashed") != std::string::npos);
  script->release_all();
}

TEST_CASE_METHOD(engine_fixture, "the reaper fails a hung job and the month is retried") {
  cfg.reaper.stale_after = std::chrono::milliseconds{150};
  script->hang("A", "2024-12");
  start();
  add("A", advertiser_type::existing);
  REQUIRE(eventually([&] {
    auto history = db->list_attempts("A", ym("2024-12"));
    return history && !history->empty()
           && history->front().error_message.find("reaped") != std::string::npos;
  }));
  script->release_all();
  REQUIRE(eventually([&] {
    auto m = db->get_month("A", ym("2024-12"));
    return m && m->status == month_status::completed && m->retry_count >= 1;
  }));
  CHECK(who("A").active);
}

TEST_CASE_METHOD(engine_fixture, "draining finishes and records the job in flight, then claims nothing new") {
  script->hang("C", "2023-03");
  start();
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return month("C", "2023-03").status == month_status::running; }));
  auto drained = std::async(std::launch::async, [&] {
    return running->drain(*sys, std::chrono::seconds{10});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  CHECK(drained.wait_for(std::chrono::milliseconds{0}) == std::future_status::timeout);
  script->release_all();
  auto result = drained.get();
  REQUIRE(result);
  CHECK(*result >= 1);
  CHECK(month("C", "2023-03").status == month_status::completed);
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  CHECK(month("C", "2023-04").status == month_status::pending);
}

TEST_CASE_METHOD(engine_fixture, "a deactivated advertiser's actor is stopped and a reactivated one runs again") {
  start();
  add("A", advertiser_type::existing);
  REQUIRE(eventually([&] { return static_cast<bool>(actor_of("A")); }));
  REQUIRE(db->set_active("A", false, "operator", clk->now(), cdp::audit_note{"test", "", ""}));
  REQUIRE(eventually([&] { return !actor_of("A"); }));
  auto runs = script->attempts_of("A").size();
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  CHECK(script->attempts_of("A").size() == runs);
  REQUIRE(db->set_active("A", true, "", clk->now(), cdp::audit_note{"test", "", ""}));
  REQUIRE(eventually([&] { return script->attempts_of("A").size() > runs; }));
}

TEST_CASE_METHOD(engine_fixture, "the death of a core actor is reported so the daemon can stop") {
  std::atomic<bool> reported{false};
  on_core_failure = [&](const std::string&) { reported = true; };
  start();
  caf::scoped_actor self{*sys};
  self->send_exit(running->committers.back(), caf::make_error(caf::sec::runtime_error, "disk on fire"));
  CHECK(eventually([&] { return reported.load(); }));
}
