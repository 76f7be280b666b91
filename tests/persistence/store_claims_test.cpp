#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

TEST_CASE("claiming a PENDING month makes it RUNNING under the claimer's lease") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");

  auto claimed = must(s.claim(claim_of("adv-1", ym("2023-01"), 41, "node-a"), t0 + 1min));
  REQUIRE(claimed.applied);
  REQUIRE(claimed.row.has_value());
  const auto& row = *claimed.row;
  CHECK(row.advertiser_id == "adv-1");
  CHECK(row.month == ym("2023-01"));
  CHECK(row.status == month_status::running);
  CHECK(row.started_at == t0 + 1min);
  CHECK_FALSE(row.completed_at.has_value());
  CHECK(row.owner == "node-a");
  CHECK(row.lease_token == 41);
  CHECK(row.retry_count == 0);
  CHECK(row.updated_at == t0 + 1min);

  auto stored = must(s.get_month("adv-1", ym("2023-01")));
  CHECK(stored.status == month_status::running);
  CHECK(stored.lease_token == 41);
  CHECK(stored.id == row.id);

  auto attempts = must(s.list_attempts("adv-1", ym("2023-01")));
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].attempt == 1);
  CHECK(attempts[0].outcome == month_status::running);
  CHECK(attempts[0].started_at == t0 + 1min);
  CHECK_FALSE(attempts[0].finished_at.has_value());
  CHECK(attempts[0].owner == "node-a");
}

TEST_CASE("a RUNNING month cannot be claimed again") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-01"), 1, "node-a"), t0)).applied);

  auto second = must(s.claim(claim_of("adv-1", ym("2023-01"), 2, "node-b"), t0 + 1s));
  CHECK_FALSE(second.applied);
  CHECK(second.code == errc::conflict);
  CHECK_THAT(second.message, Catch::Contains("RUNNING"));
  CHECK(must(s.get_month("adv-1", ym("2023-01"))).lease_token == 1);
  CHECK(must(s.list_attempts("adv-1", ym("2023-01"))).size() == 1);
}

TEST_CASE("claiming a FAILED month counts a retry and waits for its next attempt time") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 1, "boom", t0 + 60s), t0 + 1s)).applied);

  auto early = must(s.claim(claim_of("adv-1", m, 2), t0 + 30s));
  CHECK_FALSE(early.applied);
  CHECK(early.code == errc::conflict);
  CHECK_THAT(early.message, Catch::Contains("FAILED"));
  CHECK(must(s.get_month("adv-1", m)).retry_count == 0);

  auto due = must(s.claim(claim_of("adv-1", m, 3), t0 + 60s));
  REQUIRE(due.applied);
  CHECK(due.row->retry_count == 1);
  CHECK(due.row->lease_token == 3);
  CHECK_FALSE(due.row->next_attempt_at.has_value());
  CHECK(must(s.list_attempts("adv-1", m)).size() == 2);
}

TEST_CASE("a FAILED month without a next attempt time is due at once while retries remain") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1", 24, /*max_retries=*/1);
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 1, "first"), t0)).applied);
  auto retry = must(s.claim(claim_of("adv-1", m, 2), t0));
  REQUIRE(retry.applied);
  CHECK(retry.row->retry_count == 1);

  REQUIRE(must(s.fail(failure_of("adv-1", m, 2, "second"), t0 + 1s)).applied);
  auto exhausted = must(s.claim(claim_of("adv-1", m, 3), t0 + 1h));
  CHECK_FALSE(exhausted.applied);
  CHECK(exhausted.code == errc::conflict);
  CHECK_THAT(exhausted.message, Catch::Contains("FAILED"));
  auto row = must(s.get_month("adv-1", m));
  CHECK(row.status == month_status::failed);
  CHECK(row.retry_count == 1);
  CHECK(row.error_message == "second");
}

TEST_CASE("a COMPLETED month is claimed again only as a refresh") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  REQUIRE(must(s.complete(completion_of("adv-1", m, 1, 10), t0 + 1s)).applied);

  auto plain = must(s.claim(claim_of("adv-1", m, 2), t0 + 2s));
  CHECK_FALSE(plain.applied);
  CHECK(plain.code == errc::conflict);
  CHECK_THAT(plain.message, Catch::Contains("COMPLETED"));

  auto refresh_request = claim_of("adv-1", m, 3);
  refresh_request.allow_refresh = true;
  auto refresh = must(s.claim(refresh_request, t0 + 3s));
  REQUIRE(refresh.applied);
  CHECK(refresh.row->status == month_status::running);
  CHECK(refresh.row->retry_count == 0);
  CHECK_FALSE(refresh.row->completed_at.has_value());
  CHECK(refresh.row->started_at == t0 + 3s);
  CHECK(must(s.list_attempts("adv-1", m)).size() == 2);
}

TEST_CASE("refreshing a COMPLETED month that needed retries starts again with all its retries") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 1, "flaky", t0), t0)).applied);
  auto retried = must(s.claim(claim_of("adv-1", m, 2), t0 + 1s));
  REQUIRE(retried.applied);
  CHECK(retried.row->retry_count == 1);
  REQUIRE(must(s.complete(completion_of("adv-1", m, 2, 10), t0 + 2s)).applied);
  CHECK(must(s.get_month("adv-1", m)).retry_count == 1);

  auto refresh_request = claim_of("adv-1", m, 3);
  refresh_request.allow_refresh = true;
  auto refresh = must(s.claim(refresh_request, t0 + 3s));
  REQUIRE(refresh.applied);
  CHECK(refresh.row->retry_count == 0);
}

TEST_CASE("a claim with create_if_missing inserts the month PENDING first") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  must(s.create_advertiser({"adv-old", "", advertiser_type::existing}, ym("2024-12"), 24, 3, t0, by_test));

  auto plain = must(s.claim(claim_of("adv-old", ym("2024-12"), 1), t0));
  CHECK_FALSE(plain.applied);
  CHECK(plain.code == errc::not_found);

  auto request = claim_of("adv-old", ym("2024-12"), 2);
  request.create_if_missing = true;
  request.max_retries = 5;
  auto created = must(s.claim(request, t0));
  REQUIRE(created.applied);
  CHECK(created.row->max_retries == 5);
  CHECK(created.row->status == month_status::running);
  CHECK(created.row->created_at == t0);
  CHECK(must(s.list_months("adv-old")).size() == 1);

  // The row exists now: the flag changes nothing for a month already there.
  request.lease_token = 3;
  auto again = must(s.claim(request, t0 + 1s));
  CHECK_FALSE(again.applied);
  CHECK(again.code == errc::conflict);
  CHECK(must(s.list_months("adv-old")).size() == 1);
}

TEST_CASE("claims on a deactivated advertiser lose until it is activated") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  must(s.set_active("adv-1", false, "operator said so", t0, by_test));

  auto lost = must(s.claim(claim_of("adv-1", ym("2023-01"), 1), t0 + 1s));
  CHECK_FALSE(lost.applied);
  CHECK(lost.code == errc::conflict);
  CHECK_THAT(lost.message, Catch::Contains("deactivated"));
  CHECK(must(s.get_month("adv-1", ym("2023-01"))).status == month_status::pending);
  CHECK(must(s.list_attempts("adv-1", ym("2023-01"))).empty());

  must(s.set_active("adv-1", true, "", t0 + 2s, by_test));
  CHECK(must(s.claim(claim_of("adv-1", ym("2023-01"), 2), t0 + 3s)).applied);
}

TEST_CASE("an outcome with a lease token that is not the month's loses and changes nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 7), t0)).applied);
  auto before = must(s.get_month("adv-1", m));

  auto wrong_complete = must(s.complete(completion_of("adv-1", m, 8, 99), t0 + 1s));
  CHECK_FALSE(wrong_complete.applied);
  CHECK(wrong_complete.code == errc::conflict);
  auto wrong_fail = must(s.fail(failure_of("adv-1", m, 8, "not mine"), t0 + 1s));
  CHECK_FALSE(wrong_fail.applied);
  CHECK(wrong_fail.code == errc::conflict);

  auto after = must(s.get_month("adv-1", m));
  CHECK(after.status == month_status::running);
  CHECK(after.lease_token == 7);
  CHECK(after.processed_records == before.processed_records);
  CHECK(after.updated_at == before.updated_at);
  CHECK(after.error_message.empty());
  auto attempts = must(s.list_attempts("adv-1", m));
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].outcome == month_status::running);
  CHECK_FALSE(must(s.get_advertiser("adv-1")).last_completed_month.has_value());

  auto pending = must(s.complete(completion_of("adv-1", ym("2023-02"), 7), t0 + 1s));
  CHECK_FALSE(pending.applied);
  CHECK(pending.code == errc::conflict);
  CHECK_THAT(pending.message, Catch::Contains("PENDING"));
}

TEST_CASE("completing a month records its counts, closes it when asked and advances the advertiser") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 1, "flaky"), t0 + 1s)).applied);
  REQUIRE(must(s.claim(claim_of("adv-1", m, 2), t0 + 2s)).applied);

  auto done = completion_of("adv-1", m, 2, 1234, 5);
  done.closes_month = true;
  done.next_cursor = ym("2023-02");
  auto completed = must(s.complete(done, t0 + 3s));
  REQUIRE(completed.applied);

  auto row = must(s.get_month("adv-1", m));
  CHECK(row.status == month_status::completed);
  CHECK(row.completed_at == t0 + 3s);
  CHECK(row.processed_records == 1234);
  CHECK(row.failed_records == 5);
  CHECK(row.error_message.empty());
  CHECK(row.closed);
  CHECK(row.retry_count == 1);
  auto a = must(s.get_advertiser("adv-1"));
  CHECK(a.last_completed_month == m);
  CHECK(a.current_processing_month == ym("2023-02"));
  CHECK(a.type == advertiser_type::new_advertiser);
  CHECK_FALSE(a.backfill_completed);
  CHECK(a.updated_at == t0 + 3s);

  // A closed month is never refreshed. Rerun after an operator's retry, it
  // stays closed, and completing it never moves last_completed_month back.
  auto refresh = claim_of("adv-1", m, 3);
  refresh.allow_refresh = true;
  auto refused = must(s.claim(refresh, t0 + 4s));
  CHECK_FALSE(refused.applied);
  CHECK(refused.code == errc::conflict);
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-03"), 4), t0 + 6s)).applied);
  REQUIRE(must(s.complete(completion_of("adv-1", ym("2023-03"), 4), t0 + 7s)).applied);
  REQUIRE(s.manual_retry("adv-1", m, t0 + 8s, by_test));
  REQUIRE(must(s.claim(claim_of("adv-1", m, 5), t0 + 8s)).applied);
  REQUIRE(must(s.complete(completion_of("adv-1", m, 5, 1300), t0 + 9s)).applied);
  CHECK(must(s.get_month("adv-1", m)).closed);
  CHECK(must(s.get_month("adv-1", m)).processed_records == 1300);
  a = must(s.get_advertiser("adv-1"));
  CHECK(a.last_completed_month == ym("2023-03"));
  CHECK(a.current_processing_month == ym("2023-02"));
}

TEST_CASE("completing the last backfill month makes the advertiser EXISTING") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1", /*months=*/1);
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2024-12"), 1), t0)).applied);
  auto last = completion_of("adv-1", ym("2024-12"), 1);
  last.backfill_done = true;
  REQUIRE(must(s.complete(last, t0 + 1s)).applied);
  auto a = must(s.get_advertiser("adv-1"));
  CHECK(a.type == advertiser_type::existing);
  CHECK(a.backfill_completed);
  CHECK(a.last_completed_month == ym("2024-12"));
  CHECK(a.current_processing_month == ym("2024-12"));
}

TEST_CASE("failing a month stores its error and next attempt time, and closes the attempt") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  auto failed = must(s.fail(failure_of("adv-1", m, 1, "source table locked", t0 + 2min), t0 + 1s));
  REQUIRE(failed.applied);

  auto row = must(s.get_month("adv-1", m));
  CHECK(row.status == month_status::failed);
  CHECK(row.error_message == "source table locked");
  CHECK(row.next_attempt_at == t0 + 2min);
  CHECK(row.retry_count == 0);
  CHECK(must(s.get_advertiser("adv-1")).active);
  auto attempts = must(s.list_attempts("adv-1", m));
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].outcome == month_status::failed);
  CHECK(attempts[0].error_message == "source table locked");
  CHECK(attempts[0].finished_at == t0 + 1s);
}

TEST_CASE("a failure with a deactivate reason deactivates the advertiser with it") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1", 24, /*max_retries=*/0);
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1), t0)).applied);
  auto last = failure_of("adv-1", m, 1, "bad data");
  last.deactivate_reason = "2023-01 failed after 0 retries: bad data";
  REQUIRE(must(s.fail(last, t0 + 1s)).applied);

  auto a = must(s.get_advertiser("adv-1"));
  CHECK_FALSE(a.active);
  CHECK(a.deactivation_reason == "2023-01 failed after 0 retries: bad data");
  CHECK(must(s.get_month("adv-1", m)).status == month_status::failed);
  CHECK_FALSE(must(s.get_month("adv-1", m)).next_attempt_at.has_value());
}

TEST_CASE("an error message of 1001 characters is stored as its first 1000") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  std::string long_error(1000, 'e');
  long_error += 'X';
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-01"), 1), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", ym("2023-01"), 1, long_error), t0)).applied);
  auto row = must(s.get_month("adv-1", ym("2023-01")));
  CHECK(row.error_message == std::string(1000, 'e'));
  CHECK(must(s.list_attempts("adv-1", ym("2023-01")))[0].error_message == std::string(1000, 'e'));

  // Never half a character: 999 bytes and a 2-byte 'é' keep 999 bytes.
  auto utf8 = std::string(999, 'u') + "é" + "tail";
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-02"), 2), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", ym("2023-02"), 2, utf8), t0)).applied);
  CHECK(must(s.get_month("adv-1", ym("2023-02"))).error_message == std::string(999, 'u'));
}

TEST_CASE("an error message with SQL metacharacters is stored verbatim") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  std::string error = "ERROR: syntax error at \"'; DROP TABLE month_attempts; --\" $1 ? 광고 🚀";
  REQUIRE(must(s.claim(claim_of("adv-1", ym("2023-01"), 1, "node'; --"), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", ym("2023-01"), 1, error), t0)).applied);
  auto row = must(s.get_month("adv-1", ym("2023-01")));
  CHECK(row.error_message == error);
  CHECK(row.owner == "node'; --");
  auto attempts = must(s.list_attempts("adv-1", ym("2023-01")));
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].error_message == error);
  CHECK(attempts[0].owner == "node'; --");
}

TEST_CASE("the attempt history keeps one row per attempt with its outcome and error") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "adv-1");
  auto m = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("adv-1", m, 1, "node-a"), t0)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 1, "first failure"), t0 + 1min)).applied);
  REQUIRE(must(s.claim(claim_of("adv-1", m, 2, "node-b"), t0 + 2min)).applied);
  REQUIRE(must(s.fail(failure_of("adv-1", m, 2, "second failure"), t0 + 3min)).applied);
  REQUIRE(must(s.claim(claim_of("adv-1", m, 3, "node-a"), t0 + 4min)).applied);
  REQUIRE(must(s.complete(completion_of("adv-1", m, 3, 10), t0 + 5min)).applied);

  auto attempts = must(s.list_attempts("adv-1", m));
  REQUIRE(attempts.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(attempts[i].advertiser_id == "adv-1");
    CHECK(attempts[i].month == m);
    CHECK(attempts[i].attempt == i + 1);
    CHECK(attempts[i].started_at == t0 + std::chrono::minutes{2 * i});
    CHECK(attempts[i].finished_at == t0 + std::chrono::minutes{2 * i + 1});
  }
  CHECK(attempts[0].outcome == month_status::failed);
  CHECK(attempts[0].error_message == "first failure");
  CHECK(attempts[0].owner == "node-a");
  CHECK(attempts[1].outcome == month_status::failed);
  CHECK(attempts[1].error_message == "second failure");
  CHECK(attempts[1].owner == "node-b");
  CHECK(attempts[2].outcome == month_status::completed);
  CHECK(attempts[2].error_message.empty());
  CHECK(must(s.get_month("adv-1", m)).retry_count == 2);
  CHECK(must(s.list_attempts("adv-1", ym("2023-02"))).empty());
}
