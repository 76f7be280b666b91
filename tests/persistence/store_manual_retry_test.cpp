#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

TEST_CASE("a manual retry makes an exhausted FAILED month PENDING with no retries used") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1", 24, /*max_retries=*/1);
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 1, "one"), t0)).applied);
  REQUIRE(must(s.claim(claim_of("adv-1", m, 2), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 2, "two", t0 + 1h), t0)).applied);
  REQUIRE_FALSE(must(s.claim(claim_of("adv-1", m, 3), t0 + 2h)).applied);

  auto reset = must(s.manual_retry("adv-1", m, t0 + 3h, by_test));
  CHECK(reset.status == month_status::pending);
  CHECK(reset.retry_count == 0);
  CHECK_FALSE(reset.next_attempt_at.has_value());
  CHECK(reset.updated_at == t0 + 3h);
  CHECK(must(s.get_month("adv-1", m)).status == month_status::pending);

  auto again = must(s.claim(claim_of("adv-1", m, 4), t0 + 3h));
  REQUIRE(again.applied);
  CHECK(again.row->retry_count == 0);
  CHECK(must(s.list_attempts("adv-1", m)).size() == 3);
}

TEST_CASE("a manual retry also resets a COMPLETED or PENDING month") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-01"), 1), t0)).applied);
  REQUIRE(must(s.complete(completion_of("adv-1", ym("2023-01"), 1, 9), t0)).applied);

  CHECK(must(s.manual_retry("adv-1", ym("2023-01"), t0 + 1s, by_test)).status == month_status::pending);
  CHECK(must(s.manual_retry("adv-1", ym("2023-02"), t0 + 1s, by_test)).status == month_status::pending);
  CHECK(must(s.claim(claim_of("adv-1", ym("2023-01"), 2), t0 + 2s)).applied);
}

TEST_CASE("a RUNNING month cannot be retried by hand") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-01"), 1), t0)).applied);

  CHECK(failed_with(s.manual_retry("adv-1", ym("2023-01"), t0 + 1s, by_test), errc::conflict));
  auto row = must(s.get_month("adv-1", ym("2023-01")));
  CHECK(row.status == month_status::running);
  CHECK(row.lease_token == 1);
  CHECK(failed_with(s.manual_retry("adv-1", ym("2019-01"), t0, by_test), errc::not_found));
}
