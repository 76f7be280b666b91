#include <catch2/catch.hpp>

#include "domain/operator_input.hpp"

using namespace cdp;

namespace {

import_line line(std::string id, std::string type = "", std::string active = "") {
  return {7, std::move(id), "", std::move(type), std::move(active)};
}

} // namespace

TEST_CASE("an import row takes its type, else the default type, and is active unless it says not") {
  auto a = check_import_line(line("A1", "NEW", "false"), std::nullopt);
  REQUIRE(a);
  CHECK(a->row == 7);
  CHECK(a->type == advertiser_type::new_advertiser);
  CHECK_FALSE(a->active);
  auto b = check_import_line(line("A2"), advertiser_type::existing);
  REQUIRE(b);
  CHECK(b->type == advertiser_type::existing);
  CHECK(b->active);
  auto own = check_import_line(line("A3", "NEW"), advertiser_type::existing);
  REQUIRE(own);
  CHECK(own->type == advertiser_type::new_advertiser);
}

TEST_CASE("an import row is checked as a create request is, each refusal naming the field") {
  auto no_type = check_import_line(line("A1"), std::nullopt);
  REQUIRE_FALSE(no_type);
  CHECK(no_type.error().message.find("no type") != std::string::npos);
  auto bad_type = check_import_line(line("A1", "new"), std::nullopt);
  REQUIRE_FALSE(bad_type);
  CHECK(bad_type.error().message == "type 'new' must be NEW or EXISTING");
  auto bad_active = check_import_line(line("A1", "NEW", "yes"), std::nullopt);
  REQUIRE_FALSE(bad_active);
  CHECK(bad_active.error().message == "active 'yes' must be true or false");
  for (const char* id : {"", "a b", "..", "x;y", "0123456789012345678901234567890123456789012345678901"})
    CHECK_FALSE(check_import_line(line(id, "NEW"), std::nullopt));
  auto long_name = line("A1", "NEW");
  long_name.name = std::string(201, 'n');
  CHECK_FALSE(check_import_line(long_name, std::nullopt));
}

TEST_CASE("an existing id with the same type is skipped, with another refused, a new one created") {
  import_row row{3, "A1", "", advertiser_type::existing, true};
  CHECK(decide_import(row, std::nullopt).verdict == import_verdict::create);
  CHECK(decide_import(row, advertiser_type::existing).verdict == import_verdict::skip);
  auto other = decide_import(row, advertiser_type::new_advertiser);
  CHECK(other.verdict == import_verdict::refuse);
  CHECK(other.reason == "advertiser 'A1' exists as NEW, the row says EXISTING: an import never "
                        "changes an existing advertiser");
}

TEST_CASE("an advertiser created NEW counts as NEW after its backfill, for a second import") {
  advertiser done;
  done.type = advertiser_type::existing;
  done.backfill_start_month = year_month::parse("2024-01");
  done.backfill_completed = true;
  CHECK(created_as(done) == advertiser_type::new_advertiser);
  advertiser existing;
  CHECK(created_as(existing) == advertiser_type::existing);
}

TEST_CASE("a report counts every refused row and lists the first ones in row order") {
  import_report whole;
  import_report late;
  for (int64_t row = 500; row < 700; ++row)
    add_refusal(late, {row, "", "late"});
  CHECK(late.refused == 200);
  CHECK(late.first_refused.size() == import_report_refusals);
  CHECK(late.first_refused.front().row == 500);
  CHECK(late.first_refused.back().row == 599);
  import_report early;
  early.rows = 10;
  early.created = 4;
  early.skipped = 3;
  add_refusal(early, {9, "X", "early"});
  add_refusal(early, {2, "Y", "earlier"});
  merge(whole, late);
  merge(whole, early);
  CHECK(whole.rows == 10);
  CHECK(whole.created == 4);
  CHECK(whole.skipped == 3);
  CHECK(whole.refused == 202);
  REQUIRE(whole.first_refused.size() == import_report_refusals);
  CHECK(whole.first_refused[0].row == 2);
  CHECK(whole.first_refused[1].row == 9);
  CHECK(whole.first_refused[2].row == 500);
  CHECK(whole.first_refused.back().row == 597);
}

TEST_CASE("an import part creates an id once, skipping or refusing its later rows") {
  std::vector<import_row> rows{{2, "A", "", advertiser_type::new_advertiser, false},
                               {3, "B", "", advertiser_type::existing, true},
                               {4, "A", "", advertiser_type::new_advertiser, true},
                               {5, "A", "", advertiser_type::existing, true},
                               {6, "C", "", advertiser_type::existing, true}};
  auto plan = plan_import(rows, {{"B", advertiser_type::existing}});
  REQUIRE(plan.create.size() == 2);
  CHECK(plan.create[0].id == "A");
  CHECK(plan.create[0].type == advertiser_type::new_advertiser);
  CHECK(plan.create[1].id == "C");
  CHECK(plan.inactive == std::vector<std::string>{"A"});
  CHECK(plan.skipped == 2);
  REQUIRE(plan.refused.size() == 1);
  CHECK(plan.refused[0].row == 5);
  CHECK(plan.refused[0].advertiser_id == "A");
}
