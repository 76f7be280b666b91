#include <algorithm>
#include <array>

#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

const auto now = at(*year_month::parse("2024-12"), 240h);
constexpr std::array<std::chrono::milliseconds, 3> delays{1min, 2min, 4min};

void create(store& s, const std::string& id) {
  must(s.create_advertiser({id, "", advertiser_type::existing}, *year_month::parse("2024-12"),
                           24, 3, now - 24h, by_test));
}

/// Claims `id`'s 2024-12 at `started`, after `retries` failed attempts.
void run_with_retries(store& s, const std::string& id, int retries, timestamp started,
                      int max_retries = 3) {
  auto m = *year_month::parse("2024-12");
  auto request = claim_of(id, m, 1000);
  request.create_if_missing = true;
  request.max_retries = max_retries;
  for (int k = 0; k < retries; ++k) {
    request.lease_token = 1000 + k;
    REQUIRE(must(s.claim(request, started - 1h)).applied);
    REQUIRE(must(s.fail(failure_of(id, m, request.lease_token, "retry"), started - 1h)).applied);
  }
  request.lease_token = 2000;
  REQUIRE(must(s.claim(request, started)).applied);
}

std::vector<month_state> by_advertiser(std::vector<month_state> rows) {
  std::sort(rows.begin(), rows.end(), [](const month_state& a, const month_state& b) {
    return a.advertiser_id < b.advertiser_id;
  });
  return rows;
}

} // namespace

TEST_CASE("the reaper fails months RUNNING longer than the threshold and schedules their retry") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  for (auto id : {"a-stale", "b-fresh", "c-second", "d-beyond-delays", "e-exhausted"})
    create(s, id);
  run_with_retries(s, "a-stale", 0, now - 31min);
  run_with_retries(s, "b-fresh", 0, now - 29min);
  run_with_retries(s, "c-second", 1, now - 40min);
  run_with_retries(s, "d-beyond-delays", 5, now - 2h, 10);
  run_with_retries(s, "e-exhausted", 3, now - 1h);

  auto reaped = by_advertiser(must(s.reap_stale(now, 30min, delays)));
  REQUIRE(reaped.size() == 4);
  CHECK(reaped[0].advertiser_id == "a-stale");
  CHECK(reaped[0].next_attempt_at == now + 1min);
  CHECK(reaped[1].advertiser_id == "c-second");
  CHECK(reaped[1].next_attempt_at == now + 2min);
  CHECK(reaped[2].advertiser_id == "d-beyond-delays");
  CHECK(reaped[2].next_attempt_at == now + 4min);
  CHECK(reaped[3].advertiser_id == "e-exhausted");
  CHECK_FALSE(reaped[3].next_attempt_at.has_value());
  for (const auto& row : reaped) {
    CHECK(row.status == month_status::failed);
    CHECK_FALSE(row.error_message.empty());
    CHECK(row.updated_at == now);
    auto attempts = must(s.list_attempts(row.advertiser_id, row.month));
    CHECK(attempts.back().outcome == month_status::failed);
    CHECK(attempts.back().finished_at == now);
    CHECK_FALSE(attempts.back().error_message.empty());
  }
  CHECK(must(s.get_month("c-second", ym("2024-12"))).retry_count == 1);
  CHECK(must(s.get_month("b-fresh", ym("2024-12"))).status == month_status::running);
  // The store only reports exhaustion; deactivating is the engine's decision.
  CHECK(must(s.get_advertiser("e-exhausted")).active);

  CHECK(must(s.reap_stale(now, 30min, delays)).empty());
}

TEST_CASE("a reaped attempt's late outcome is refused and its retry can be claimed") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create(s, "adv-1");
  run_with_retries(s, "adv-1", 0, now - 1h);
  REQUIRE(must(s.reap_stale(now, 30min, delays)).size() == 1);

  auto late = must(s.complete(completion_of("adv-1", ym("2024-12"), 2000, 5), now + 1s));
  CHECK_FALSE(late.applied);
  CHECK(late.code == errc::conflict);
  CHECK(must(s.get_month("adv-1", ym("2024-12"))).status == month_status::failed);

  CHECK_FALSE(must(s.claim(claim_of("adv-1", ym("2024-12"), 3000), now + 30s)).applied);
  auto retry = must(s.claim(claim_of("adv-1", ym("2024-12"), 3000), now + 1min));
  REQUIRE(retry.applied);
  CHECK(retry.row->retry_count == 1);
}

TEST_CASE("with no retry delays a reaped month is due at once") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create(s, "adv-1");
  run_with_retries(s, "adv-1", 0, now - 1h);
  auto reaped = must(s.reap_stale(now, 30min, {}));
  REQUIRE(reaped.size() == 1);
  CHECK(reaped[0].next_attempt_at == now);
}

TEST_CASE("recovering a node makes its RUNNING months due at once without using a retry, their attempts FAILED") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  for (auto id : {"a-mine", "b-mine-last-retry", "c-other-node"})
    create(s, id);
  run_with_retries(s, "a-mine", 0, now - 5min);
  // On its last retry when the node died: that retry is not used up.
  run_with_retries(s, "b-mine-last-retry", 1, now - 5min, 1);
  auto other = claim_of("c-other-node", ym("2024-12"), 77, "node-2");
  other.create_if_missing = true;
  REQUIRE(must(s.claim(other, now - 5min)).applied);

  auto recovered = by_advertiser(must(s.recover_node("node-1", now)));
  REQUIRE(recovered.size() == 2);
  CHECK(recovered[0].advertiser_id == "a-mine");
  CHECK(recovered[0].retry_count == 0);
  CHECK(recovered[1].advertiser_id == "b-mine-last-retry");
  CHECK(recovered[1].retry_count == 1);
  for (const auto& row : recovered) {
    CHECK(row.status == month_status::pending);
    CHECK_FALSE(row.next_attempt_at.has_value());
    CHECK(row.error_message == "interrupted: cdpbatchd stopped while this month was running");
    auto attempts = must(s.list_attempts(row.advertiser_id, row.month));
    CHECK(attempts.back().outcome == month_status::failed);
    CHECK(attempts.back().error_message == row.error_message);
    CHECK(attempts.back().finished_at == now);
  }
  CHECK(must(s.get_month("c-other-node", ym("2024-12"))).status == month_status::running);
  CHECK(must(s.recover_node("node-1", now)).empty());
  CHECK(must(s.claim(claim_of("a-mine", ym("2024-12"), 5000), now)).applied);
  // The interrupted retry runs again as the same retry, not one past the limit.
  auto last = claim_of("b-mine-last-retry", ym("2024-12"), 5001);
  last.max_retries = 1;
  auto again = must(s.claim(last, now));
  REQUIRE(again.applied);
  CHECK(again.row->retry_count == 1);
  CHECK(must(s.list_attempts("b-mine-last-retry", ym("2024-12"))).size() == 3);
}
