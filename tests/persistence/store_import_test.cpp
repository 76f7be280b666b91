#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

import_row row(int64_t line, std::string id, advertiser_type type, bool active = true) {
  return {line, std::move(id), "", type, active};
}

constexpr auto is_new = advertiser_type::new_advertiser;
constexpr auto existing = advertiser_type::existing;

int64_t count(test_database& db, const std::string& table) {
  return db.scalar("SELECT count(*) FROM " + table);
}

} // namespace

TEST_CASE("an import creates new ids as a creation does, with their active flag") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  std::vector<import_row> rows{row(2, "imp-new", is_new), row(3, "imp-old", existing),
                               row(4, "imp-off", existing, false)};
  auto out = must(s.import_advertisers(rows, ym("2024-12"), 24, 3, t0, false, by_test));
  CHECK(out.created == 3);
  CHECK(out.skipped == 0);
  CHECK(out.refused.empty());
  REQUIRE(out.records.size() == 3);
  auto fresh = must(s.get_advertiser("imp-new"));
  CHECK(fresh.type == is_new);
  CHECK(fresh.active);
  CHECK(fresh.backfill_start_month == ym("2023-01"));
  CHECK(must(s.list_months("imp-new")).size() == 24);
  auto old = must(s.get_advertiser("imp-old"));
  CHECK(old.type == existing);
  CHECK(must(s.list_months("imp-old")).empty());
  auto off = must(s.get_advertiser("imp-off"));
  CHECK_FALSE(off.active);
  CHECK(off.deactivation_reason == imported_inactive);
  for (const auto& r : out.records)
    CHECK(r.active == (r.id != "imp-off"));
}

TEST_CASE("an import skips an id that exists with the same type and refuses one with another") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "was-new");
  must(s.create_advertiser({"was-old", "old", existing}, ym("2024-12"), 24, 3, t0, by_test));
  must(s.set_active("was-old", false, "deactivated by an operator", t0, by_test));
  std::vector<import_row> rows{row(2, "was-new", is_new), row(3, "was-old", existing),
                               row(4, "was-new", existing, false), row(5, "brand-new", existing)};
  auto out = must(s.import_advertisers(rows, ym("2024-12"), 24, 3, t0, false, by_test));
  CHECK(out.created == 1);
  CHECK(out.skipped == 2);
  REQUIRE(out.refused.size() == 1);
  CHECK(out.refused[0].row == 4);
  CHECK(out.refused[0].advertiser_id == "was-new");
  CHECK(out.refused[0].reason.find("exists as NEW") != std::string::npos);
  // Skipping changes nothing, the active flag neither.
  auto old = must(s.get_advertiser("was-old"));
  CHECK_FALSE(old.active);
  CHECK(old.deactivation_reason == "deactivated by an operator");
  CHECK(must(s.get_advertiser("was-new")).active);
}

TEST_CASE("a NEW advertiser whose backfill is done is skipped by the same import again") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  std::vector<import_row> rows{row(2, "done", is_new)};
  must(s.import_advertisers(rows, ym("2024-12"), 2, 3, t0, false, by_test));
  must(s.update_advertiser_progress("done", existing, ym("2024-12"), ym("2024-12"), true, t0));
  auto again = must(s.import_advertisers(rows, ym("2024-12"), 2, 3, t0, false, by_test));
  CHECK(again.created == 0);
  CHECK(again.skipped == 1);
  CHECK(again.refused.empty());
}

TEST_CASE("an import dry run decides as the import would and writes nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "there");
  auto advertisers = count(*db, "advertisers");
  auto months = count(*db, "advertiser_processing_states");
  std::vector<import_row> rows{row(2, "there", is_new), row(3, "there", existing),
                               row(4, "dry-1", is_new), row(5, "dry-1", is_new)};
  auto out = must(s.import_advertisers(rows, ym("2024-12"), 24, 3, t0, true, by_test));
  CHECK(out.created == 1);
  CHECK(out.skipped == 2);
  CHECK(out.refused.size() == 1);
  CHECK(out.records.empty());
  CHECK(count(*db, "advertisers") == advertisers);
  CHECK(count(*db, "advertiser_processing_states") == months);
}

TEST_CASE("an import transaction takes at most 1,000 valid rows, else changes nothing") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  std::vector<import_row> rows;
  for (size_t i = 0; i <= import_chunk_rows; ++i)
    rows.push_back(row(static_cast<int64_t>(i + 2), "many-" + std::to_string(i), existing));
  auto too_many = s.import_advertisers(rows, ym("2024-12"), 24, 3, t0, false, by_test);
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().code == errc::invalid_argument);
  rows.pop_back();
  rows.back().advertiser_id = "bad id";
  auto invalid = s.import_advertisers(rows, ym("2024-12"), 24, 3, t0, false, by_test);
  REQUIRE_FALSE(invalid);
  CHECK(invalid.error().message.find("row 1001") != std::string::npos);
  CHECK(count(*db, "advertisers") == 0);
  rows.pop_back();
  CHECK(must(s.import_advertisers(rows, ym("2024-12"), 24, 3, t0, false, by_test)).created == 999);
}
