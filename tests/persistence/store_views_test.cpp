#include <map>

#include "domain/progress.hpp"
#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

namespace {

/// One advertiser in each lifecycle: NEW n, BACKFILLING b (one month done),
/// LIVE l, DEGRADED d (a month failed with retries left), DEACTIVATED x.
void one_of_each(store& s) {
  create_new(s, "n", 3);
  create_new(s, "b", 3);
  must(s.create_advertiser({"l", "", advertiser_type::existing}, ym("2024-12"), 3, 3, t0, by_test));
  create_new(s, "d", 3);
  create_new(s, "x", 3);
  must(s.claim(claim_of("b", ym("2024-10"), 1), t0));
  must(s.complete(completion_of("b", ym("2024-10"), 1), t0 + 1s));
  must(s.claim(claim_of("d", ym("2024-10"), 2), t0));
  must(s.fail(failure_of("d", ym("2024-10"), 2, "boom", t0 + 1min), t0 + 1s));
  must(s.set_active("x", false, "by hand", t0, by_test));
}

std::map<std::string, lifecycle> stages(const advertiser_page& page) {
  std::map<std::string, lifecycle> out;
  for (const auto& a : page.advertisers)
    out[a.who.id] = a.stage;
  return out;
}

} // namespace

TEST_CASE("an advertiser page shows each advertiser's lifecycle as lifecycle_of decides it") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  one_of_each(s);
  auto page = must(s.page_advertisers({}));
  CHECK_FALSE(page.next.has_value());
  REQUIRE(page.advertisers.size() == 5);
  for (const auto& a : page.advertisers) {
    INFO(a.who.id);
    auto months = must(s.list_months(a.who.id));
    CHECK(a.stage == lifecycle_of(a.who, months));
    CHECK(a.total_months == static_cast<int>(months.size()));
    CHECK(a.completed_months == progress_of(months).completed_months);
  }
  CHECK(stages(page) == std::map<std::string, lifecycle>{{"b", lifecycle::backfilling},
                                                         {"d", lifecycle::degraded},
                                                         {"l", lifecycle::live},
                                                         {"n", lifecycle::new_advertiser},
                                                         {"x", lifecycle::deactivated}});
  auto b = page.advertisers.front();
  CHECK(b.who.id == "b");
  CHECK(b.completed_months == 1);
  CHECK(b.total_months == 3);
}

TEST_CASE("advertiser pages are keyset pages in id order with a next id while more follow") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  for (const auto* id : {"e", "a", "d", "c", "b"})
    create_new(s, id, 2);
  advertiser_filter f;
  f.limit = 2;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 5; ++pages) {
    auto page = must(s.page_advertisers(f));
    for (const auto& a : page.advertisers)
      seen.push_back(a.who.id);
    if (!page.next)
      break;
    CHECK(page.advertisers.size() == 2);
    CHECK(*page.next == page.advertisers.back().who.id);
    f.after = *page.next;
  }
  CHECK(seen == std::vector<std::string>{"a", "b", "c", "d", "e"});
  f.after = "e";
  CHECK(must(s.page_advertisers(f)).advertisers.empty());
}

TEST_CASE("advertiser pages filter by lifecycle and by activity") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  one_of_each(s);
  advertiser_filter f;
  f.stage = lifecycle::degraded;
  auto degraded = must(s.page_advertisers(f));
  REQUIRE(degraded.advertisers.size() == 1);
  CHECK(degraded.advertisers[0].who.id == "d");
  f = {};
  f.active = false;
  auto inactive = must(s.page_advertisers(f));
  REQUIRE(inactive.advertisers.size() == 1);
  CHECK(inactive.advertisers[0].who.id == "x");
  f = {};
  f.active = true;
  f.stage = lifecycle::new_advertiser;
  f.limit = 1;
  auto fresh = must(s.page_advertisers(f));
  REQUIRE(fresh.advertisers.size() == 1);
  CHECK(fresh.advertisers[0].who.id == "n");
  CHECK_FALSE(fresh.next.has_value());
}

TEST_CASE("lifecycle counts count every advertiser once") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  CHECK(must(s.count_lifecycles()).new_advertisers == 0);
  one_of_each(s);
  create_new(s, "n2", 3);
  auto c = must(s.count_lifecycles());
  CHECK(c.new_advertisers == 2);
  CHECK(c.backfilling == 1);
  CHECK(c.live == 1);
  CHECK(c.degraded == 1);
  CHECK(c.deactivated == 1);
}

TEST_CASE("an advertiser's recent attempts come newest first, and all advertisers' failures too") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  create_new(s, "a", 3);
  create_new(s, "b", 3);
  must(s.claim(claim_of("a", ym("2024-10"), 1), t0));
  must(s.fail(failure_of("a", ym("2024-10"), 1, "first", t0 + 1s), t0 + 1s));
  must(s.claim(claim_of("a", ym("2024-10"), 2), t0 + 2s));
  must(s.complete(completion_of("a", ym("2024-10"), 2), t0 + 3s));
  must(s.claim(claim_of("a", ym("2024-11"), 3), t0 + 4s));
  must(s.claim(claim_of("b", ym("2024-10"), 4), t0 + 5s));
  must(s.fail(failure_of("b", ym("2024-10"), 4, "second", t0 + 9s), t0 + 6s));

  auto recent = must(s.recent_attempts("a", 10));
  REQUIRE(recent.size() == 3);
  CHECK(recent[0].month == ym("2024-11"));
  CHECK(recent[0].outcome == month_status::running);
  CHECK(recent[1].outcome == month_status::completed);
  CHECK(recent[2].error_message == "first");
  CHECK(must(s.recent_attempts("a", 2)).size() == 2);
  CHECK(must(s.recent_attempts("b", 10)).size() == 1);
  CHECK(failed_with(s.recent_attempts("nobody", 10), errc::not_found));

  auto failures = must(s.recent_failures(10));
  REQUIRE(failures.size() == 2);
  CHECK(failures[0].advertiser_id == "b");
  CHECK(failures[0].error_message == "second");
  CHECK(failures[1].advertiser_id == "a");
  CHECK(must(s.recent_failures(1)).size() == 1);
}
