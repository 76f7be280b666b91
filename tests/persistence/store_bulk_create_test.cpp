#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

/// `n` advertisers `prefix0` … of one type.
std::vector<new_advertiser> many(const std::string& prefix, int n, advertiser_type type) {
  std::vector<new_advertiser> out;
  for (int i = 0; i < n; ++i)
    out.push_back({prefix + std::to_string(i), "bulk", type});
  return out;
}

/// Two events a month for `id` over `months` months ending at 2024-12.
std::vector<customer_event> events_of(const std::string& id, int months) {
  std::vector<customer_event> out;
  for (auto m : month_range(ym("2024-12").plus(1 - months), ym("2024-12")))
    for (int i = 0; i < 2; ++i) {
      customer_event e;
      e.advertiser_id = id;
      e.customer_id = "cust-" + std::to_string(i);
      e.event_time = at(m, std::chrono::hours{i + 1});
      e.event_type = "view";
      out.push_back(e);
    }
  return out;
}

int64_t count_events(test_database& db) {
  return db.scalar("SELECT count(*) FROM customer_events");
}

} // namespace

TEST_CASE("a bulk creation stores advertisers, their backfill months and their events in one call") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto requests = many("new-", 3, advertiser_type::new_advertiser);
  auto existing = many("old-", 2, advertiser_type::existing);
  requests.insert(requests.end(), existing.begin(), existing.end());
  auto events = events_of("new-0", 24);

  CHECK(must(s.create_advertisers(requests, ym("2024-12"), 24, 3, t0, events, by_test)) == 5);

  auto fresh = must(s.get_advertiser("new-1"));
  CHECK(fresh.type == advertiser_type::new_advertiser);
  CHECK(fresh.backfill_start_month == ym("2023-01"));
  CHECK(fresh.current_processing_month == ym("2023-01"));
  CHECK(fresh.created_at == t0);
  auto months = must(s.list_months("new-2"));
  REQUIRE(months.size() == 24);
  CHECK(months.front().month == ym("2023-01"));
  CHECK(months.back().status == month_status::pending);
  CHECK(months.back().max_retries == 3);
  auto old = must(s.get_advertiser("old-1"));
  CHECK(old.type == advertiser_type::existing);
  CHECK(old.current_processing_month == ym("2024-12"));
  CHECK(old.backfill_completed);
  CHECK(must(s.list_months("old-0")).empty());
  CHECK(must(s.count_months_by_status()).pending == 72);
  CHECK(count_events(*db) == 48);
  // The events are the cdp-profile job's input like any others.
  CHECK(must(s.build_monthly_profiles("new-0", ym("2024-03"))).processed_records == 2);
}

TEST_CASE("a bulk creation of thousands of advertisers is one transaction") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto requests = many("adv-", 12000, advertiser_type::existing);
  auto backfilling = many("bf-", 500, advertiser_type::new_advertiser);
  requests.insert(requests.end(), backfilling.begin(), backfilling.end());
  CHECK(must(s.create_advertisers(requests, ym("2024-12"), 24, 3, t0, {}, by_test)) == 12500);
  auto counts = must(s.count_advertisers());
  CHECK(counts.existing_active == 12000);
  CHECK(counts.new_active == 500);
  CHECK(must(s.count_months_by_status()).pending == 500 * 24);
}

TEST_CASE("a bulk creation with one id that exists changes nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  must(s.create_advertiser({"taken", "first", advertiser_type::existing}, ym("2024-12"), 24, 3,
                           t0, by_test));
  auto requests = many("adv-", 50, advertiser_type::new_advertiser);
  requests.push_back({"taken", "second", advertiser_type::new_advertiser});
  auto result = s.create_advertisers(requests, ym("2024-12"), 24, 3, t0, events_of("adv-0", 3), by_test);
  REQUIRE(failed_with(result, errc::conflict));
  CHECK(result.error().message.find("taken") != std::string::npos);
  CHECK(must(s.list_advertisers(false)).size() == 1);
  CHECK(must(s.get_advertiser("taken")).name == "first");
  CHECK(must(s.count_months_by_status()).pending == 0);
  CHECK(count_events(*db) == 0);
}

TEST_CASE("a bulk creation naming one id twice, or an invalid one, changes nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto twice = many("adv-", 5, advertiser_type::new_advertiser);
  twice.push_back({"adv-3", "again", advertiser_type::existing});
  auto repeated = s.create_advertisers(twice, ym("2024-12"), 24, 3, t0, events_of("adv-0", 1), by_test);
  REQUIRE(failed_with(repeated, errc::conflict));
  CHECK(repeated.error().message.find("adv-3") != std::string::npos);

  auto invalid = many("ok-", 5, advertiser_type::existing);
  invalid.push_back({"not valid!", "bad", advertiser_type::existing});
  CHECK(failed_with(s.create_advertisers(invalid, ym("2024-12"), 24, 3, t0, {}, by_test),
                    errc::invalid_argument));
  CHECK(failed_with(s.create_advertisers(many("m-", 2, advertiser_type::new_advertiser),
                                         ym("2024-12"), 0, 3, t0, {}, by_test),
                    errc::invalid_argument));

  CHECK(must(s.list_advertisers(false)).empty());
  CHECK(count_events(*db) == 0);
}

TEST_CASE("an empty bulk creation stores nothing and succeeds") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  CHECK(must(s.create_advertisers({}, ym("2024-12"), 24, 3, t0, {}, by_test)) == 0);
  CHECK(must(s.list_advertisers(false)).empty());
}
