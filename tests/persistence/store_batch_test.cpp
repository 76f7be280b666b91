#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

TEST_CASE("a batch reports every item's outcome in input order, and losses do not abort it") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  for (auto id : {"a", "b", "c", "d"})
    create_new(s, id);
  REQUIRE(must(s.claim(claim_of("c", ym("2023-01"), 30), t0)).applied);
  REQUIRE(must(s.claim(claim_of("d", ym("2023-01"), 40), t0)).applied);
  must(s.set_active("b", false, "off", t0, by_test));

  std::vector<transition> batch{
    claim_of("a", ym("2023-01"), 10),                  // wins
    claim_of("nobody", ym("2023-01"), 11),             // unknown advertiser
    claim_of("b", ym("2023-01"), 12),                  // deactivated
    completion_of("c", ym("2023-01"), 99),             // not c's lease
    failure_of("d", ym("2023-01"), 40, "d failed"),    // applies
    claim_of("a", ym("2023-02"), 13),                  // wins
    claim_of("c", ym("2023-01"), 14),                  // still RUNNING
  };
  auto outcomes = must(s.apply(batch, t0 + 1s));
  REQUIRE(outcomes.size() == batch.size());
  CHECK(outcomes[0].applied);
  CHECK(outcomes[0].row->lease_token == 10);
  CHECK_FALSE(outcomes[1].applied);
  CHECK(outcomes[1].code == errc::not_found);
  CHECK_FALSE(outcomes[2].applied);
  CHECK(outcomes[2].code == errc::conflict);
  CHECK_THAT(outcomes[2].message, Catch::Contains("deactivated"));
  CHECK_FALSE(outcomes[3].applied);
  CHECK(outcomes[3].code == errc::conflict);
  CHECK(outcomes[4].applied);
  CHECK(outcomes[5].applied);
  CHECK(outcomes[5].row->month == ym("2023-02"));
  CHECK_FALSE(outcomes[6].applied);
  CHECK(outcomes[6].code == errc::conflict);
  CHECK_THAT(outcomes[6].message, Catch::Contains("RUNNING"));

  CHECK(must(s.get_month("a", ym("2023-01"))).status == month_status::running);
  CHECK(must(s.get_month("a", ym("2023-02"))).status == month_status::running);
  CHECK(must(s.get_month("b", ym("2023-01"))).status == month_status::pending);
  CHECK(must(s.get_month("c", ym("2023-01"))).lease_token == 30);
  CHECK(must(s.get_month("d", ym("2023-01"))).status == month_status::failed);
  CHECK(must(s.get_month("d", ym("2023-01"))).error_message == "d failed");
}

TEST_CASE("a completion of month m and the claim of month m+1 travel in one batch") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-01"), 1), t0)).applied);

  auto done = completion_of("adv-1", ym("2023-01"), 1, 500, 2);
  done.next_cursor = ym("2023-02");
  std::vector<transition> batch{done, claim_of("adv-1", ym("2023-02"), 2)};
  auto outcomes = must(s.apply(batch, t0 + 1min));
  REQUIRE(outcomes.size() == 2);
  CHECK(outcomes[0].applied);
  CHECK(outcomes[1].applied);
  CHECK(outcomes[1].row->status == month_status::running);
  CHECK(must(s.get_month("adv-1", ym("2023-01"))).status == month_status::completed);
  CHECK(must(s.get_month("adv-1", ym("2023-01"))).processed_records == 500);
  CHECK(must(s.get_month("adv-1", ym("2023-02"))).lease_token == 2);
  auto a = must(s.get_advertiser("adv-1"));
  CHECK(a.last_completed_month == ym("2023-01"));
  CHECK(a.current_processing_month == ym("2023-02"));
}

TEST_CASE("the claim of m+1 that waits for m applies only if m's completion in the batch did") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "ok");
  create_new(s, "taken");
  REQUIRE(must(s.claim(claim_of("ok", ym("2023-01"), 1), t0)).applied);
  REQUIRE(must(s.claim(claim_of("taken", ym("2023-01"), 2), t0)).applied);

  auto next_of = [](const char* id, int64_t token) {
    auto c = claim_of(id, ym("2023-02"), token);
    c.after = ym("2023-01");
    return c;
  };
  std::vector<transition> batch{completion_of("ok", ym("2023-01"), 1), next_of("ok", 11),
                                // Not its lease any more (the reaper took it over).
                                completion_of("taken", ym("2023-01"), 99), next_of("taken", 12)};
  auto outcomes = must(s.apply(batch, t0 + 1s));
  REQUIRE(outcomes.size() == 4);
  CHECK(outcomes[0].applied);
  CHECK(outcomes[1].applied);
  CHECK_FALSE(outcomes[2].applied);
  CHECK_FALSE(outcomes[3].applied);
  CHECK(outcomes[3].code == errc::conflict);
  CHECK_THAT(outcomes[3].message, Catch::Contains("waits for 2023-01"));
  CHECK(must(s.get_month("ok", ym("2023-02"))).status == month_status::running);
  CHECK(must(s.get_month("taken", ym("2023-02"))).status == month_status::pending);
  CHECK(must(s.list_attempts("taken", ym("2023-02"))).empty());

  // On its own, too: the month it waits for must be COMPLETED.
  auto early = claim_of("taken", ym("2023-03"), 13);
  early.after = ym("2023-02");
  CHECK_FALSE(must(s.claim(early, t0 + 2s)).applied);
}

TEST_CASE("an empty batch applies nothing and reports nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  CHECK(must(s.apply({}, t0)).empty());
}

TEST_CASE("thousands of transitions apply in one batch") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  constexpr int advertisers = 100;
  constexpr int months = 12;
  for (int i = 0; i < advertisers; ++i)
    create_new(s, "adv-" + std::to_string(i), months);

  std::vector<transition> claims;
  std::vector<transition> completions;
  int64_t token = 0;
  for (int i = 0; i < advertisers; ++i)
    for (int k = 0; k < months; ++k) {
      ++token;
      auto id = "adv-" + std::to_string(i);
      claims.push_back(claim_of(id, ym("2024-01").plus(k), token));
      completions.push_back(completion_of(id, ym("2024-01").plus(k), token, token));
    }
  for (const auto& outcome : must(s.apply(claims, t0)))
    CHECK(outcome.applied);
  for (const auto& outcome : must(s.apply(completions, t0 + 1s)))
    CHECK(outcome.applied);
  auto counts = must(s.count_months_by_status());
  CHECK(counts.completed == advertisers * months);
  CHECK(counts.pending == 0);
  CHECK(must(s.get_month("adv-7", ym("2024-05"))).processed_records == 7 * months + 5);
}
