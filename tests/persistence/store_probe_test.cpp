#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

const auto probed_month = ym("2023-01");

/// adv-1's first month failed with no retries left (max_retries 0) and
/// deactivated it, in one transaction.
void exhaust(store& s) {
  create_new(s, "adv-1", 24, /*max_retries=*/0);
  REQUIRE(must(s.claim(claim_of("adv-1", probed_month, 1), t0)).applied);
  auto f = failure_of("adv-1", probed_month, 1, "source down");
  f.deactivate_reason = "month 2023-01 failed after 0 retries: source down";
  REQUIRE(must(s.fail(f, t0 + 1s)).applied);
  REQUIRE_FALSE(must(s.get_advertiser("adv-1")).active);
}

claim_request probe_of(int64_t token) {
  auto r = claim_of("adv-1", probed_month, token);
  r.probe = true;
  return r;
}

} // namespace

TEST_CASE("a probe claims the exhausted month of a deactivated advertiser, counting no retry") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  exhaust(s);
  CHECK_FALSE(must(s.claim(claim_of("adv-1", probed_month, 2), t0 + 1min)).applied);

  auto probe = must(s.claim(probe_of(3), t0 + 1h));
  REQUIRE(probe.applied);
  CHECK(probe.row->status == month_status::running);
  CHECK(probe.row->retry_count == 0);
  CHECK(probe.row->lease_token == 3);
  CHECK_FALSE(must(s.get_advertiser("adv-1")).active);

  auto attempts = must(s.list_attempts("adv-1", probed_month));
  REQUIRE(attempts.size() == 2);
  CHECK_FALSE(attempts[0].probe);
  CHECK(attempts[1].probe);
  CHECK(attempts[1].attempt == 2);
  CHECK(attempts[1].outcome == month_status::running);
}

TEST_CASE("a failed probe keeps the advertiser off and records the attempt") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  exhaust(s);
  REQUIRE(must(s.claim(probe_of(3), t0 + 1h)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", probed_month, 3, "still down"), t0 + 1h + 1s)).applied);

  auto who = must(s.get_advertiser("adv-1"));
  CHECK_FALSE(who.active);
  CHECK(who.deactivation_reason == "month 2023-01 failed after 0 retries: source down");
  auto row = must(s.get_month("adv-1", probed_month));
  CHECK(row.status == month_status::failed);
  CHECK(row.error_message == "still down");
  CHECK(row.updated_at == t0 + 1h + 1s);
  auto attempts = must(s.recent_attempts("adv-1", 10));
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].probe);
  CHECK(attempts[0].outcome == month_status::failed);
  CHECK(attempts[0].error_message == "still down");
}

TEST_CASE("a probe that succeeds reactivates the advertiser with its completion") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  exhaust(s);
  REQUIRE(must(s.claim(probe_of(3), t0 + 1h)).applied);
  auto done = completion_of("adv-1", probed_month, 3, 10);
  done.reactivate = true;
  done.next_cursor = ym("2023-02");
  REQUIRE(must(s.complete(done, t0 + 1h + 1s)).applied);

  auto who = must(s.get_advertiser("adv-1"));
  CHECK(who.active);
  CHECK(who.deactivation_reason.empty());
  CHECK(who.current_processing_month == ym("2023-02"));
  CHECK(must(s.get_month("adv-1", probed_month)).status == month_status::completed);
  // It is an ordinary advertiser again: its next month is claimed as usual.
  CHECK(must(s.claim(claim_of("adv-1", ym("2023-02"), 4), t0 + 1h + 2s)).applied);
}

TEST_CASE("a probe is refused for an active advertiser and for a month with retries left") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  REQUIRE(must(s.claim(claim_of("adv-1", probed_month, 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", probed_month, 1, "boom"), t0 + 1s)).applied);
  auto active = must(s.claim(probe_of(2), t0 + 1h));
  CHECK_FALSE(active.applied);
  CHECK_THAT(active.message, Catch::Contains("not probed"));

  must(s.set_active("adv-1", false, "deactivated by an operator", t0 + 2h, by_test));
  auto retries_left = must(s.claim(probe_of(3), t0 + 3h));
  CHECK_FALSE(retries_left.applied);
  CHECK_THAT(retries_left.message, Catch::Contains("only a FAILED month with no retries left"));
  CHECK(must(s.list_attempts("adv-1", probed_month)).size() == 1);
}

TEST_CASE("of two probes of one month exactly one wins") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  exhaust(s);
  auto other = db->connect();
  CHECK(must(s.claim(probe_of(3), t0 + 1h)).applied);
  auto second = must(other->claim(probe_of(4), t0 + 1h));
  CHECK_FALSE(second.applied);
  CHECK_THAT(second.message, Catch::Contains("RUNNING"));
}
