#include <catch2/catch.hpp>

#include <vector>

#include "domain/why.hpp"

using namespace cdp;
using namespace std::chrono_literals;

namespace {

const timestamp noon = year_month::parse("2024-12")->start_utc() + 48h + 12h;

advertiser active_new() {
  advertiser a;
  a.id = "C";
  a.type = advertiser_type::new_advertiser;
  return a;
}

month_state row(const char* m, month_status s) {
  month_state r;
  r.advertiser_id = "C";
  r.month = *year_month::parse(m);
  r.status = s;
  r.max_retries = 3;
  return r;
}

std::string why(const advertiser& who, const std::vector<month_state>& months,
                const advertiser_activity& a, std::optional<timestamp> next_tick = std::nullopt) {
  return why_not_running({who, months, a, next_tick, noon, "node-a"});
}

advertiser_activity doing(advertiser_activity::phase p) {
  advertiser_activity a;
  a.advertiser_id = "C";
  a.now = p;
  return a;
}

} // namespace

TEST_CASE("why: a queued advertiser says how many jobs are ahead of it") {
  auto a = doing(advertiser_activity::phase::queued);
  a.ahead = 37;
  CHECK(why(active_new(), {}, a) == "waiting for a runner, 37 ahead");
  a.ahead = -1;
  CHECK(why(active_new(), {}, a) == "waiting for a runner");
}

TEST_CASE("why: an advertiser in backoff says until when and which attempt comes") {
  auto a = doing(advertiser_activity::phase::backoff);
  a.month = year_month::parse("2024-03");
  a.until = noon + 4min + 10s;
  a.attempt = 2;
  a.max_attempts = 4;
  CHECK(why(active_new(), {}, a) == "in backoff until 12:04:10 (attempt 2 of 4)");
  a.until = noon + 24h;
  CHECK(why(active_new(), {}, a) == "in backoff until 2024-12-04 12:00:00 (attempt 2 of 4)");
}

TEST_CASE("why: a deactivated advertiser names the month that used up its retries and its error") {
  auto who = active_new();
  who.active = false;
  who.deactivation_reason = "month 2024-03 failed after 3 retries: disk full";
  auto failed = row("2024-03", month_status::failed);
  failed.retry_count = 3;
  failed.error_message = "disk full";
  CHECK(why(who, {row("2024-02", month_status::completed), failed},
            doing(advertiser_activity::phase::not_loaded))
        == "deactivated: 2024-03 failed 4 times: disk full");
  failed.retry_count = 0;
  failed.max_retries = 0;
  CHECK(why(who, {failed}, doing(advertiser_activity::phase::idle))
        == "deactivated: 2024-03 failed once: disk full");
  CHECK(why(who, {}, doing(advertiser_activity::phase::idle))
        == "deactivated: month 2024-03 failed after 3 retries: disk full");
  who.deactivation_reason.clear();
  CHECK(why(who, {}, doing(advertiser_activity::phase::idle)) == "deactivated");
}

TEST_CASE("why: an idle advertiser waits for the next tick") {
  CHECK(why(active_new(), {}, doing(advertiser_activity::phase::idle), noon + 5min)
        == "idle until the next tick at 12:05:00");
  CHECK(why(active_new(), {}, doing(advertiser_activity::phase::idle)) == "idle until the next tick");
  CHECK(why(active_new(), {}, doing(advertiser_activity::phase::not_loaded), noon + 5min)
        == "not picked up yet until the next tick at 12:05:00");
}

TEST_CASE("why: a month running on another node is what it waits for") {
  auto held = row("2024-05", month_status::running);
  held.owner = "node-b";
  CHECK(why(active_new(), {held}, doing(advertiser_activity::phase::idle), noon + 5min)
        == "waiting for 2024-05, running on node node-b");
  held.owner = "node-a";
  CHECK(why(active_new(), {held}, doing(advertiser_activity::phase::idle), noon + 5min)
        == "idle until the next tick at 12:05:00");
}

TEST_CASE("why: a running advertiser says what it runs, which attempt and since when") {
  auto a = doing(advertiser_activity::phase::running);
  a.month = year_month::parse("2023-07");
  a.attempt = 1;
  a.max_attempts = 4;
  a.since = noon - 5s;
  CHECK(why(active_new(), {}, a) == "running 2023-07 (attempt 1 of 4) since 11:59:55");
}

TEST_CASE("why: store trouble, draining and bookkeeping each have their words") {
  auto trouble = doing(advertiser_activity::phase::store_trouble);
  trouble.until = noon + 8s;
  trouble.explanation = "store trouble while loading months: locked";
  CHECK(why(active_new(), {}, trouble)
        == "the store failed it; trying again at 12:00:08 (store trouble while loading months: locked)");
  CHECK(why(active_new(), {}, doing(advertiser_activity::phase::draining))
        == "draining: cdpbatchd is stopping and takes no new work");
  CHECK(why(active_new(), {}, doing(advertiser_activity::phase::loading))
        == "reading its months from the store");
  auto rec = doing(advertiser_activity::phase::recording);
  rec.month = year_month::parse("2023-02");
  CHECK(why(active_new(), {}, rec) == "writing 2023-02's state to the store");
}
