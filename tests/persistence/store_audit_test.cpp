#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

const audit_note by_alice{"alice", "ticket 4711", "node-a"};

/// Every row of the trail, newest first.
std::vector<audit_entry> trail(store& s, const std::string& id = "") {
  audit_filter f;
  f.advertiser_id = id;
  f.limit = 1000;
  return must(s.page_audit(f)).entries;
}

} // namespace

TEST_CASE("each operator change writes its audit row in its own transaction") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  must(s.create_advertiser({"A", "Ay", advertiser_type::new_advertiser}, ym("2024-12"), 2, 3, t0,
                           by_alice));
  must(s.create_advertisers(std::vector<new_advertiser>{{"B", "", advertiser_type::existing},
                                                        {"C", "", advertiser_type::existing}},
                            ym("2024-12"), 2, 3, t0 + 1s, {}, {"demo", "the seed", "node-a"}));
  must(s.set_active("A", false, "deactivated by alice", t0 + 2s, by_alice));
  must(s.set_active("A", true, "", t0 + 3s, {"bob", "", "node-b"}));
  must(s.manual_retry("A", ym("2024-11"), t0 + 4s, by_alice));

  auto rows = trail(s);
  REQUIRE(rows.size() == 6);
  // Newest first, seq increasing with insertion.
  for (size_t i = 1; i < rows.size(); ++i)
    CHECK(rows[i - 1].seq > rows[i].seq);
  CHECK(rows[0].action == audit_action::retry);
  CHECK(rows[0].month == ym("2024-11"));
  CHECK(rows[0].at == t0 + 4s);
  CHECK(rows[1].action == audit_action::activate);
  CHECK(rows[1].who == "bob");
  CHECK(rows[1].node == "node-b");
  CHECK(rows[2].action == audit_action::deactivate);
  CHECK(rows[2].reason == "ticket 4711");
  CHECK(rows[3].who == "demo");
  CHECK(rows[3].advertiser_id == "C");
  CHECK(rows[4].advertiser_id == "B");
  CHECK(rows[5].action == audit_action::create);
  CHECK(rows[5].advertiser_id == "A");
  CHECK_FALSE(rows[5].month);
  for (const auto& r : rows) {
    CHECK(r.outcome == audit_outcome::done);
    CHECK(r.error.empty());
  }
}

TEST_CASE("a change the store refuses leaves no audit row") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "A", 2);
  auto before = trail(s).size();
  CHECK(failed_with(s.create_advertiser({"A", "", advertiser_type::existing}, ym("2024-12"), 2, 3,
                                        t0, by_alice),
                    errc::conflict));
  CHECK(failed_with(s.create_advertisers(std::vector<new_advertiser>{{"Z", "", advertiser_type::existing},
                                                                     {"A", "", advertiser_type::existing}},
                                         ym("2024-12"), 2, 3, t0, {}, by_alice),
                    errc::conflict));
  CHECK(failed_with(s.set_active("nobody", false, "x", t0, by_alice), errc::not_found));
  REQUIRE(must(s.claim(claim_of("A", ym("2024-11"), 1), t0)).applied);
  CHECK(failed_with(s.manual_retry("A", ym("2024-11"), t0 + 1s, by_alice), errc::conflict));
  CHECK(trail(s).size() == before);
}

TEST_CASE("an import audits each advertiser it creates and each row it refuses; a dry run none") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  must(s.create_advertiser({"OLD", "", advertiser_type::existing}, ym("2024-12"), 2, 3, t0,
                           by_alice));
  std::vector<import_row> rows{{1, "N1", "", advertiser_type::new_advertiser, true},
                               {2, "OLD", "", advertiser_type::new_advertiser, true},
                               {3, "E1", "", advertiser_type::existing, false}};
  must(s.import_advertisers(rows, ym("2024-12"), 2, 3, t0 + 1s, true, by_alice));
  CHECK(trail(s).size() == 1);
  auto out = must(s.import_advertisers(rows, ym("2024-12"), 2, 3, t0 + 2s, false, by_alice));
  CHECK(out.created == 2);
  REQUIRE(out.refused.size() == 1);
  auto all = trail(s);
  REQUIRE(all.size() == 4);
  int done = 0;
  for (const auto& r : std::span{all}.first(3)) {
    CHECK(r.action == audit_action::import);
    CHECK(r.who == "alice");
    CHECK(r.reason == "ticket 4711");
    if (r.outcome == audit_outcome::refused) {
      CHECK(r.advertiser_id == "OLD");
      CHECK(r.error.rfind("row 2: ", 0) == 0);
    } else {
      ++done;
      CHECK((r.advertiser_id == "N1" || r.advertiser_id == "E1"));
    }
  }
  CHECK(done == 2);
}

TEST_CASE("the engine's probes, deactivations and reactivations are audited with the transition") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "P", 24, /*max_retries=*/0);
  auto month = ym("2023-01");
  REQUIRE(must(s.claim(claim_of("P", month, 1), t0)).applied);
  auto f = failure_of("P", month, 1, "source down");
  f.deactivate_reason = "2023-01 failed once: source down";
  REQUIRE(must(s.fail(f, t0 + 1s)).applied);
  auto probe = claim_of("P", month, 2);
  probe.probe = true;
  REQUIRE(must(s.claim(probe, t0 + 1h)).applied);
  auto ok = completion_of("P", month, 2);
  ok.reactivate = true;
  REQUIRE(must(s.complete(ok, t0 + 1h + 1s)).applied);

  auto rows = trail(s, "P");
  REQUIRE(rows.size() == 4);  // the fixture's creation first
  CHECK(rows[0].action == audit_action::activate);
  CHECK(rows[0].reason == probe_success_reason);
  CHECK(rows[1].action == audit_action::probe);
  CHECK(rows[1].at == t0 + 1h);
  CHECK(rows[2].action == audit_action::deactivate);
  CHECK(rows[2].reason == "2023-01 failed once: source down");
  for (const auto& r : std::span{rows}.first(3)) {
    CHECK(r.who == engine_caller);
    CHECK(r.month == month);
    CHECK(r.node == claim_of("P", month, 1).owner);
  }
  // An ordinary failure deactivates nothing and is not an action.
  create_new(s, "Q", 2);
  REQUIRE(must(s.claim(claim_of("Q", ym("2024-11"), 3), t0)).applied);
  REQUIRE(must(s.fail(failure_of("Q", ym("2024-11"), 3, "flaky"), t0 + 1s)).applied);
  CHECK(trail(s, "Q").size() == 1);
}

TEST_CASE("the audit trail pages newest first, by advertiser and since an instant, and prunes by age") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  for (int i = 0; i < 5; ++i)
    must(s.record_audit(audit_of(audit_action::trigger, by_alice, i % 2 ? "odd" : "even",
                                 std::nullopt, t0 + std::chrono::hours{i})));
  must(s.record_audit(refusal_of(audit_action::deactivate, {unauthenticated_caller, "", "n"}, "x y",
                                 std::nullopt, {errc::unauthorized, "no token"}, t0 + 5h)));

  audit_filter f;
  f.limit = 4;
  auto first = must(s.page_audit(f));
  REQUIRE(first.entries.size() == 4);
  REQUIRE(first.next);
  CHECK(first.entries[0].outcome == audit_outcome::refused);
  CHECK(first.entries[0].error == "no token");
  CHECK(first.entries[0].advertiser_id == "x y");
  f.before = first.next;
  auto second = must(s.page_audit(f));
  CHECK(second.entries.size() == 2);
  CHECK_FALSE(second.next);
  CHECK(second.entries[0].seq < first.entries[3].seq);

  audit_filter odd;
  odd.advertiser_id = "odd";
  CHECK(must(s.page_audit(odd)).entries.size() == 2);
  audit_filter recent;
  recent.since = t0 + 3h;
  CHECK(must(s.page_audit(recent)).entries.size() == 3);

  CHECK(must(s.prune_audit(t0 + 2h)) == 2);
  CHECK(trail(s).size() == 4);
  CHECK(must(s.prune_audit(t0 + 2h)) == 0);
}
