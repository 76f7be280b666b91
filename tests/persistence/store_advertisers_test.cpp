#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

new_advertiser make(std::string id, advertiser_type type = advertiser_type::new_advertiser,
                    std::string name = "Acme") {
  return new_advertiser{std::move(id), std::move(name), type};
}

} // namespace

TEST_CASE("a NEW advertiser gets exactly 24 PENDING months, 2023-01 to 2024-12 at 2024-12") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto now = at(ym("2024-12"), 36h);

  auto a = must(s.create_advertiser(make("adv-new"), ym("2024-12"), 24, 3, now, by_test));
  CHECK(a.id == "adv-new");
  CHECK(a.name == "Acme");
  CHECK(a.active);
  CHECK(a.type == advertiser_type::new_advertiser);
  CHECK(a.backfill_start_month == ym("2023-01"));
  CHECK(a.current_processing_month == ym("2023-01"));
  CHECK_FALSE(a.backfill_completed);
  CHECK_FALSE(a.last_completed_month.has_value());
  CHECK(a.deactivation_reason.empty());
  CHECK(a.created_at == now);

  auto months = must(s.list_months("adv-new"));
  REQUIRE(months.size() == 24);
  CHECK(months.front().month == ym("2023-01"));
  CHECK(months.back().month == ym("2024-12"));
  for (size_t i = 0; i < months.size(); ++i) {
    const auto& m = months[i];
    CHECK(m.month == ym("2023-01").plus(static_cast<int>(i)));
    CHECK(m.advertiser_id == "adv-new");
    CHECK(m.status == month_status::pending);
    CHECK(m.retry_count == 0);
    CHECK(m.max_retries == 3);
    CHECK(m.processed_records == 0);
    CHECK(m.failed_records == 0);
    CHECK_FALSE(m.started_at.has_value());
    CHECK_FALSE(m.completed_at.has_value());
    CHECK_FALSE(m.next_attempt_at.has_value());
    CHECK_FALSE(m.closed);
    CHECK(m.created_at == now);
  }
  CHECK(must(s.count_months_by_status()).pending == 24);
}

TEST_CASE("an EXISTING advertiser gets no months and starts at the current month") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto a = must(s.create_advertiser(make("adv-old", advertiser_type::existing), ym("2024-12"),
                                    24, 3, at(ym("2024-12")), by_test));
  CHECK(a.type == advertiser_type::existing);
  CHECK(a.current_processing_month == ym("2024-12"));
  CHECK_FALSE(a.backfill_start_month.has_value());
  CHECK(a.backfill_completed);
  CHECK(must(s.list_months("adv-old")).empty());
  CHECK(must(s.count_months_by_status()).pending == 0);
}

TEST_CASE("many advertisers are read by id in one call, in id order, unknown ones left out") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "b-adv", 3);
  create_new(s, "a-adv", 2);
  create_new(s, "c-adv", 1);
  std::vector<std::string> ids{"c-adv", "nobody", "a-adv", "c-adv"};
  auto found = must(s.list_advertisers_for(ids));
  REQUIRE(found.size() == 2);
  CHECK(found[0].id == "a-adv");
  CHECK(found[0].type == advertiser_type::new_advertiser);
  CHECK(found[1].id == "c-adv");
  CHECK(found[1].active);
  CHECK(must(s.list_advertisers_for({})).empty());
}

TEST_CASE("creating an advertiser that exists is a conflict and changes nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  must(s.create_advertiser(make("adv-1"), ym("2024-12"), 24, 3, at(ym("2024-12")), by_test));
  auto again = s.create_advertiser(make("adv-1", advertiser_type::existing, "Other"),
                                   ym("2025-06"), 24, 3, at(ym("2025-06")), by_test);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == errc::conflict);
  CHECK(must(s.get_advertiser("adv-1")).name == "Acme");
  CHECK(must(s.get_advertiser("adv-1")).type == advertiser_type::new_advertiser);
  CHECK(must(s.list_months("adv-1")).size() == 24);
}

TEST_CASE("an invalid advertiser id is refused before anything is stored") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  for (std::string id : {std::string{}, std::string{"has space"}, std::string(51, 'a'),
                         std::string{"x'; DROP TABLE advertisers; --"}, std::string{"광고주"}}) {
    auto created = s.create_advertiser(make(id), ym("2024-12"), 24, 3, at(ym("2024-12")), by_test);
    REQUIRE_FALSE(created.has_value());
    CHECK(created.error().code == errc::invalid_argument);
  }
  CHECK(must(s.list_advertisers(false)).empty());
  CHECK(must(s.count_months_by_status()).pending == 0);
}

TEST_CASE("unknown advertisers and months are not_found everywhere") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto now = at(ym("2024-12"));
  must(s.create_advertiser(make("known"), ym("2024-12"), 2, 3, now, by_test));

  auto is_not_found = [](const auto& result) { return failed_with(result, errc::not_found); };
  CHECK(is_not_found(s.get_advertiser("nobody")));
  CHECK(is_not_found(s.list_months("nobody")));
  CHECK(is_not_found(s.get_month("nobody", ym("2024-12"))));
  CHECK(is_not_found(s.get_month("known", ym("2020-01"))));
  CHECK(is_not_found(s.set_active("nobody", false, "why", now, by_test)));
  CHECK(is_not_found(s.update_advertiser_progress("nobody", advertiser_type::existing,
                                                  std::nullopt, std::nullopt, true, now)));
  CHECK(is_not_found(s.manual_retry("nobody", ym("2024-12"), now, by_test)));
  CHECK(is_not_found(s.manual_retry("known", ym("2020-01"), now, by_test)));
  CHECK(is_not_found(s.list_attempts("nobody", ym("2024-12"))));
  CHECK(is_not_found(s.list_attempts("known", ym("2020-01"))));

  auto claim = must(s.claim(claim_of("nobody", ym("2024-12"), 1), now));
  CHECK_FALSE(claim.applied);
  CHECK(claim.code == errc::not_found);
  auto unknown_month = must(s.claim(claim_of("known", ym("2020-01"), 1), now));
  CHECK_FALSE(unknown_month.applied);
  CHECK(unknown_month.code == errc::not_found);
  auto create = claim_of("nobody", ym("2024-12"), 1);
  create.create_if_missing = true;
  auto created_for_nobody = must(s.claim(create, now));
  CHECK(created_for_nobody.code == errc::not_found);
  CHECK(must(s.complete(completion_of("nobody", ym("2024-12"), 1), now)).code
        == errc::not_found);
  CHECK(must(s.fail(failure_of("known", ym("2020-01"), 1, "boom"), now)).code
        == errc::not_found);
  CHECK(must(s.count_months_by_status()).pending == 2);
}

TEST_CASE("deactivating stores the first reason and activating clears it") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto t0 = at(ym("2024-12"));
  must(s.create_advertiser(make("adv-1"), ym("2024-12"), 24, 3, t0, by_test));

  must(s.set_active("adv-1", false, "2024-03 failed after 3 retries", t0 + 1h, by_test));
  auto off = must(s.get_advertiser("adv-1"));
  CHECK_FALSE(off.active);
  CHECK(off.deactivation_reason == "2024-03 failed after 3 retries");
  CHECK(off.updated_at == t0 + 1h);
  CHECK(must(s.list_advertisers(true)).empty());
  CHECK(must(s.list_advertisers(false)).size() == 1);

  // The first cause stays: an operator's later switch-off must not hide it.
  must(s.set_active("adv-1", false, "deactivated by an operator", t0 + 90min, by_test));
  CHECK(must(s.get_advertiser("adv-1")).deactivation_reason == "2024-03 failed after 3 retries");

  must(s.set_active("adv-1", true, "ignored when activating", t0 + 2h, by_test));
  auto on = must(s.get_advertiser("adv-1"));
  CHECK(on.active);
  CHECK(on.deactivation_reason.empty());
  CHECK(on.updated_at == t0 + 2h);
  CHECK(must(s.list_advertisers(true)).size() == 1);
}

TEST_CASE("advertisers are listed by id, the inactive ones only when asked for") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto now = at(ym("2024-12"));
  for (auto id : {"c-3", "a-1", "b-2"})
    must(s.create_advertiser(make(id, advertiser_type::existing), ym("2024-12"), 24, 3, now, by_test));
  must(s.set_active("b-2", false, "operator", now, by_test));

  auto all = must(s.list_advertisers(false));
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == "a-1");
  CHECK(all[1].id == "b-2");
  CHECK(all[2].id == "c-3");
  auto active = must(s.list_advertisers(true));
  REQUIRE(active.size() == 2);
  CHECK(active[0].id == "a-1");
  CHECK(active[1].id == "c-3");
}

TEST_CASE("advertiser counts split by type and by active") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto now = at(ym("2024-12"));
  for (auto id : {"n1", "n2", "n3"})
    must(s.create_advertiser(make(id), ym("2024-12"), 2, 3, now, by_test));
  for (auto id : {"e1", "e2"})
    must(s.create_advertiser(make(id, advertiser_type::existing), ym("2024-12"), 2, 3, now, by_test));
  must(s.set_active("n3", false, "x", now, by_test));
  must(s.set_active("e2", false, "x", now, by_test));

  auto counts = must(s.count_advertisers());
  CHECK(counts.new_active == 2);
  CHECK(counts.new_inactive == 1);
  CHECK(counts.existing_active == 1);
  CHECK(counts.existing_inactive == 1);
}

TEST_CASE("repairing an advertiser's progress sets its type, cursor and last completed month") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto t0 = at(ym("2024-12"));
  must(s.create_advertiser(make("adv-1"), ym("2024-12"), 24, 3, t0, by_test));

  must(s.update_advertiser_progress("adv-1", advertiser_type::existing, ym("2024-12"),
                                    ym("2024-11"), true, t0 + 1min));
  auto a = must(s.get_advertiser("adv-1"));
  CHECK(a.type == advertiser_type::existing);
  CHECK(a.current_processing_month == ym("2024-12"));
  CHECK(a.last_completed_month == ym("2024-11"));
  CHECK(a.backfill_completed);
  CHECK(a.updated_at == t0 + 1min);
  CHECK(a.backfill_start_month == ym("2023-01"));

  must(s.update_advertiser_progress("adv-1", advertiser_type::new_advertiser, std::nullopt,
                                    std::nullopt, false, t0 + 2min));
  a = must(s.get_advertiser("adv-1"));
  CHECK(a.type == advertiser_type::new_advertiser);
  CHECK_FALSE(a.current_processing_month.has_value());
  CHECK_FALSE(a.last_completed_month.has_value());
  CHECK_FALSE(a.backfill_completed);
}

TEST_CASE("names and reasons with SQL metacharacters and unicode are stored verbatim") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto now = at(ym("2024-12"));
  std::vector<std::string> names{
    "'; DROP TABLE advertisers; --",
    "Robert'); DROP TABLE advertiser_processing_states;--",
    "O'Brien \"quoted\" \\backslash\\ $1 ?1 :name %s %_",
    "광고주 ☃ émoji 🚀",
    "line\nbreak\ttab",
  };
  for (size_t i = 0; i < names.size(); ++i)
    must(s.create_advertiser(make("adv-" + std::to_string(i), advertiser_type::new_advertiser,
                                  names[i]),
                             ym("2024-12"), 1, 3, now, by_test));
  must(s.set_active("adv-0", false, names[1], now, by_test));

  for (size_t i = 0; i < names.size(); ++i)
    CHECK(must(s.get_advertiser("adv-" + std::to_string(i))).name == names[i]);
  CHECK(must(s.get_advertiser("adv-0")).deactivation_reason == names[1]);
  CHECK(must(s.list_advertisers(false)).size() == names.size());
  CHECK(must(s.count_months_by_status()).pending == static_cast<int64_t>(names.size()));
}
