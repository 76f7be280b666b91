#include <algorithm>

#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

TEST_CASE("many advertisers' months come in one call, grouped by advertiser, oldest first") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "b-adv", 3);
  create_new(s, "a-adv", 2);
  create_new(s, "c-adv", 4);

  std::vector<std::string> ids{"b-adv", "nobody", "a-adv", "b-adv"};
  auto rows = must(s.list_months_for(ids));
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].advertiser_id == "a-adv");
  CHECK(rows[0].month == ym("2024-11"));
  CHECK(rows[1].month == ym("2024-12"));
  for (size_t i = 2; i < 5; ++i)
    CHECK(rows[i].advertiser_id == "b-adv");
  CHECK(rows[2].month == ym("2024-10"));
  CHECK(rows[4].month == ym("2024-12"));

  CHECK(must(s.list_months_for({})).empty());
}

TEST_CASE("many advertisers' attempts come in one call, by advertiser, month and attempt") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "b-adv", 3);
  create_new(s, "a-adv", 3);
  create_new(s, "quiet", 3);
  auto first = ym("2024-10");
  auto second = ym("2024-11");
  REQUIRE(must(s.claim(claim_of("b-adv", first, 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("b-adv", first, 1, "boom"), t0 + 1s)).applied);
  REQUIRE(must(s.claim(claim_of("b-adv", first, 2), t0 + 2s)).applied);
  REQUIRE(must(s.complete(completion_of("b-adv", first, 2), t0 + 3s)).applied);
  REQUIRE(must(s.claim(claim_of("b-adv", second, 3), t0 + 3s)).applied);
  REQUIRE(must(s.claim(claim_of("a-adv", first, 4), t0 + 4s)).applied);

  std::vector<std::string> ids{"b-adv", "nobody", "a-adv", "quiet", "b-adv"};
  auto rows = must(s.list_attempts_for(ids));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].advertiser_id == "a-adv");
  CHECK(rows[0].outcome == month_status::running);
  CHECK((rows[1].month == first && rows[1].attempt == 1));
  CHECK(rows[1].outcome == month_status::failed);
  CHECK(rows[1].finished_at == t0 + 1s);
  CHECK((rows[2].month == first && rows[2].attempt == 2));
  CHECK(rows[2].outcome == month_status::completed);
  CHECK(rows[2].started_at == t0 + 2s);
  CHECK((rows[3].month == second && rows[3].attempt == 1));
  for (size_t i = 1; i < 4; ++i)
    CHECK(rows[i].advertiser_id == "b-adv");

  CHECK(must(s.list_attempts_for({})).empty());
}

TEST_CASE("one month is read by advertiser and month") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1", 24);
  auto m = must(s.get_month("adv-1", ym("2024-06")));
  CHECK(m.advertiser_id == "adv-1");
  CHECK(m.month == ym("2024-06"));
  CHECK(m.status == month_status::pending);
  CHECK(m.id > 0);
}

TEST_CASE("months are counted by status across all advertisers") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1", 6);
  create_new(s, "adv-2", 4);
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2024-07"), 1), t0)).applied);
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2024-08"), 2), t0)).applied);
  REQUIRE(must(s.claim(claim_of("adv-2", ym("2024-09"), 3), t0)).applied);
  REQUIRE(must(s.claim(claim_of("adv-2", ym("2024-10"), 4), t0)).applied);
  REQUIRE(must(s.complete(completion_of("adv-1", ym("2024-07"), 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-2", ym("2024-09"), 3, "x"), t0)).applied);

  auto counts = must(s.count_months_by_status());
  CHECK(counts.pending == 6);
  CHECK(counts.running == 2);
  CHECK(counts.completed == 1);
  CHECK(counts.failed == 1);
}

TEST_CASE("running months are exactly the RUNNING ones, with their lease") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1", 3);
  create_new(s, "adv-2", 3);
  CHECK(must(s.running_months()).empty());
  REQUIRE(must(s.claim(claim_of("adv-2", ym("2024-10"), 5, "node-b"), t0 + 1s)).applied);
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2024-11"), 6, "node-a"), t0 + 2s)).applied);
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2024-12"), 7, "node-a"), t0 + 3s)).applied);
  REQUIRE(must(s.complete(completion_of("adv-1", ym("2024-12"), 7), t0 + 4s)).applied);

  auto running = must(s.running_months());
  REQUIRE(running.size() == 2);
  std::sort(running.begin(), running.end(),
            [](const month_state& a, const month_state& b) { return a.lease_token < b.lease_token; });
  CHECK(running[0].advertiser_id == "adv-2");
  CHECK(running[0].owner == "node-b");
  CHECK(running[0].started_at == t0 + 1s);
  CHECK(running[1].advertiser_id == "adv-1");
  CHECK(running[1].month == ym("2024-11"));
}
