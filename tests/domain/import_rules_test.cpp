#include <catch2/catch.hpp>

#include "domain/import_run.hpp"
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

TEST_CASE("an import run sends parts of 1,000 rows and adds up their answers with the parser's") {
  import_run run{"EXISTING", true};
  std::string text = "advertiserId,active\n";
  for (int i = 0; i < 2500; ++i)
    text += i == 1500 ? std::string{"bad,row,here\n"} : "R" + std::to_string(i) + ",true\n";
  std::vector<import_batch> parts;
  for (size_t at = 0; at < text.size(); at += 777)
    for (auto& p : run.feed(std::string_view{text}.substr(at, 777)))
      parts.push_back(std::move(p));
  for (auto& p : run.finish())
    parts.push_back(std::move(p));
  REQUIRE_FALSE(run.file_error());
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].lines.size() == 1000);
  CHECK(parts[0].lines.front().row == 2);
  CHECK(parts[1].lines.size() == 1000);
  CHECK(parts[2].lines.size() == 499);
  CHECK(parts[2].default_type == "EXISTING");
  CHECK(parts[2].dry_run);
  for (const auto& p : parts) {
    import_report answer;
    answer.rows = static_cast<int64_t>(p.lines.size());
    answer.created = answer.rows;
    run.add(answer);
  }
  auto report = run.report();
  CHECK(report.dry_run);
  CHECK(report.rows == 2500);
  CHECK(report.created == 2499);
  CHECK(report.refused == 1);
  REQUIRE(report.first_refused.size() == 1);
  CHECK(report.first_refused[0].row == 1502);
}

TEST_CASE("an import part is checked line by line, a refused line counted with its row") {
  import_batch batch{{{2, "ok", "", "NEW", ""}, {3, "bad id", "", "NEW", ""}, {4, "ok2", "", "", "no"}},
                     "",
                     false};
  auto checked = check_import_batch(batch);
  REQUIRE(checked);
  REQUIRE(checked->rows.size() == 1);
  CHECK(checked->rows[0].advertiser_id == "ok");
  CHECK(checked->report.rows == 3);
  CHECK(checked->report.refused == 2);
  CHECK(checked->report.first_refused[1].row == 4);
  batch.default_type = "existing";
  CHECK_FALSE(check_import_batch(batch));
  batch.default_type = "";
  batch.lines.resize(import_chunk_rows + 1);
  CHECK_FALSE(check_import_batch(batch));
}
