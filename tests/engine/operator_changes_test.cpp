#include "actors/errors.hpp"
#include "engine/engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

/// Asks `hdl` and returns the answer, or the error as a failure.
template <class Answer, class Handle, class... Ts>
expected<Answer> ask(caf::actor_system& sys, const Handle& hdl, Ts&&... xs) {
  caf::scoped_actor self{sys};
  expected<Answer> out = make_failure(errc::timeout, "no answer");
  self->request(hdl, 5s, std::forward<Ts>(xs)...)
    .receive([&](Answer& a) { out = std::move(a); },
             [&](caf::error& err) { out = from_caf_error(err); });
  return out;
}

advertiser_activity activity(engine_fixture& f, const std::string& id) {
  auto a = ask<advertiser_activity>(*f.sys, f.running->supervisor, activity_atom_v, id);
  REQUIRE(a);
  return *a;
}

const audit_note by_operator{"default", "a test", "test-node"};

} // namespace

TEST_CASE_METHOD(engine_fixture, "a created advertiser is picked up at once, not at the next tick") {
  cfg.schedule.tick_interval = 1h;
  start();
  auto created = ask<advertiser>(*sys, running->supervisor, create_atom_v,
                                 new_advertiser{"C", "Cee", advertiser_type::new_advertiser}, by_operator);
  REQUIRE(created);
  CHECK(created->type == advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }, 10s));
  auto again = ask<advertiser>(*sys, running->supervisor, create_atom_v,
                               new_advertiser{"C", "Other", advertiser_type::existing}, by_operator);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::conflict);
  CHECK(who("C").name == "Cee");
}

TEST_CASE_METHOD(engine_fixture, "a manual retry of an exhausted month resets its retries and runs it after activation") {
  cfg.retry.max_retries = 1;
  script->fail_first("C", "2023-02", 2);
  start();
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return !who("C").active; }));
  CHECK(month("C", "2023-02").retry_count == 1);
  auto reset = ask<month_state>(*sys, running->supervisor, retry_atom_v, std::string{"C"},
                                ym("2023-02"), by_operator);
  REQUIRE(reset);
  CHECK(reset->status == month_status::pending);
  CHECK(reset->retry_count == 0);
  auto on = ask<advertiser>(*sys, running->supervisor, activate_atom_v, std::string{"C"}, true,
                            std::string{}, by_operator);
  REQUIRE(on);
  CHECK(on->active);
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }, 10s));
  CHECK(who("C").active);
  CHECK(month("C", "2023-02").status == month_status::completed);
}

TEST_CASE_METHOD(engine_fixture, "a manual retry of a month in backoff runs it now, not when the backoff ends") {
  cfg.retry.backoff_base = 1h;
  cfg.retry.backoff_max = 1h;
  script->fail_first("C", "2023-01", 1);
  start();
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return activity(*this, "C").now == advertiser_activity::phase::backoff; }));
  auto waiting = activity(*this, "C");
  CHECK(waiting.month == ym("2023-01"));
  CHECK(waiting.attempt == 2);
  CHECK(waiting.max_attempts == cfg.retry.max_retries + 1);
  REQUIRE(waiting.until);
  CHECK(*waiting.until > clk->now() + 50min);
  REQUIRE(ask<month_state>(*sys, running->supervisor, retry_atom_v, std::string{"C"},
                           ym("2023-01"), by_operator));
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }, 10s));
  CHECK(month("C", "2023-01").retry_count == 0);
}

TEST_CASE_METHOD(engine_fixture, "retrying a RUNNING month is a conflict and changes nothing") {
  script->hang("C", "2023-01");
  start();
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return month("C", "2023-01").status == month_status::running; }));
  auto refused = ask<month_state>(*sys, running->supervisor, retry_atom_v, std::string{"C"},
                                  ym("2023-01"), by_operator);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::conflict);
  CHECK(month("C", "2023-01").status == month_status::running);
  script->release_all();
}

TEST_CASE_METHOD(engine_fixture, "deactivating lets the running attempt finish and be recorded, then claims nothing") {
  script->hang("C", "2023-03");
  start();
  add("C", advertiser_type::new_advertiser);
  REQUIRE(eventually([&] { return month("C", "2023-03").status == month_status::running; }));
  auto off = ask<advertiser>(*sys, running->supervisor, activate_atom_v, std::string{"C"}, false,
                             std::string{"deactivated by an operator"}, by_operator);
  REQUIRE(off);
  CHECK_FALSE(off->active);
  CHECK(off->deactivation_reason == "deactivated by an operator");
  script->release_all();
  REQUIRE(eventually([&] { return month("C", "2023-03").status == month_status::completed; }));
  std::this_thread::sleep_for(300ms);
  CHECK(month("C", "2023-04").status == month_status::pending);
  CHECK_FALSE(who("C").active);

  // Activated again, it resumes at its stored cursor at once.
  REQUIRE(ask<advertiser>(*sys, running->supervisor, activate_atom_v, std::string{"C"}, true,
                          std::string{}, by_operator));
  REQUIRE(eventually([&] { return who("C").type == advertiser_type::existing; }, 10s));
  auto history = db->list_attempts("C", ym("2023-04"));
  REQUIRE(history);
  CHECK(history->size() == 1);
}

TEST_CASE_METHOD(engine_fixture, "an advertiser waiting for a runner says how many jobs are ahead of it") {
  cfg.pool = {1, 1, 4};
  for (const auto* id : {"A", "B", "C", "D"})
    script->hang(id, "2023-01");
  start();
  for (const auto* id : {"A", "B", "C", "D"})
    add(id, advertiser_type::new_advertiser);
  // One runs, the others wait in the backfill lane behind it.
  std::vector<int64_t> ahead;
  REQUIRE(eventually([&] {
    ahead.clear();
    for (const auto* id : {"A", "B", "C", "D"}) {
      auto a = activity(*this, id);
      if (a.now == advertiser_activity::phase::queued)
        ahead.push_back(a.ahead);
    }
    return ahead.size() == 3;
  }));
  std::sort(ahead.begin(), ahead.end());
  CHECK(ahead == std::vector<int64_t>{0, 1, 2});
  script->release_all();
}

TEST_CASE_METHOD(engine_fixture, "the director tells when its next tick fires") {
  cfg.schedule.tick_interval = 10min;
  start();
  tick_schedule next;
  REQUIRE(eventually([&] {
    auto s = ask<tick_schedule>(*sys, running->director, schedule_atom_v);
    REQUIRE(s);
    next = *s;
    return next.next_tick.has_value();
  }));
  CHECK(next.interval == 10min);
  CHECK(*next.next_tick > clk->now() + 9min);
  CHECK(*next.next_tick <= clk->now() + 10min);
}
