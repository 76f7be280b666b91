#include <catch2/catch.hpp>

#include <vector>

#include "caf/binary_deserializer.hpp"
#include "caf/binary_serializer.hpp"

#include "actors/type_ids.hpp"

using namespace cdp;

namespace {

timestamp at(int64_t ms) { return timestamp{std::chrono::milliseconds{ms}}; }

template <class T>
std::vector<char> encode(T value) {
  std::vector<char> bytes;
  caf::binary_serializer sink{nullptr, bytes};
  REQUIRE(!sink(value));
  return bytes;
}

template <class T>
T decode(const std::vector<char>& bytes) {
  T value;
  caf::binary_deserializer source{nullptr, bytes};
  REQUIRE(!source(value));
  return value;
}

template <class T>
T round_trip(T value) {
  return decode<T>(encode(std::move(value)));
}

advertiser sample_advertiser() {
  advertiser a;
  a.id = "adv-1";
  a.name = "Advertiser One";
  a.active = false;
  a.type = advertiser_type::new_advertiser;
  a.current_processing_month = year_month::parse("2024-03");
  a.backfill_start_month = year_month::parse("2023-01");
  a.last_completed_month = std::nullopt;
  a.deactivation_reason = "2024-03 failed 4 times";
  a.created_at = at(1'700'000'000'000);
  a.updated_at = at(1'700'000'100'000);
  return a;
}

} // namespace

TEST_CASE("an advertiser crosses the wire unchanged, absent months included") {
  auto a = round_trip(sample_advertiser());
  CHECK(a.id == "adv-1");
  CHECK(a.name == "Advertiser One");
  CHECK_FALSE(a.active);
  CHECK(a.type == advertiser_type::new_advertiser);
  CHECK(a.current_processing_month == year_month::parse("2024-03"));
  CHECK(a.backfill_start_month == year_month::parse("2023-01"));
  CHECK_FALSE(a.last_completed_month.has_value());
  CHECK(a.deactivation_reason == "2024-03 failed 4 times");
  CHECK(a.created_at == at(1'700'000'000'000));
  CHECK(a.updated_at == at(1'700'000'100'000));
}

TEST_CASE("a month row crosses the wire unchanged") {
  month_state m;
  m.id = 42;
  m.advertiser_id = "adv-1";
  m.month = *year_month::parse("2024-02");
  m.status = month_status::failed;
  m.started_at = at(5'000);
  m.error_message = "boom";
  m.retry_count = 2;
  m.next_attempt_at = at(9'000);
  m.owner = "node-a";
  m.lease_token = 77;
  auto back = round_trip(m);
  CHECK(back.id == 42);
  CHECK(back.month == *year_month::parse("2024-02"));
  CHECK(back.status == month_status::failed);
  CHECK(back.started_at == at(5'000));
  CHECK_FALSE(back.completed_at.has_value());
  CHECK(back.error_message == "boom");
  CHECK(back.retry_count == 2);
  CHECK(back.next_attempt_at == at(9'000));
  CHECK(back.owner == "node-a");
  CHECK(back.lease_token == 77);
}

TEST_CASE("the operator's answers cross the wire unchanged") {
  advertiser_detail d;
  d.progress.who = sample_advertiser();
  d.progress.progress.total_months = 24;
  d.progress.progress.completed_months = 3;
  d.progress.progress.progress_percent = 12.5;
  d.progress.progress.cursor = year_month::parse("2023-04");
  d.stage = lifecycle::backfilling;
  d.eta = at(123'456);
  d.why = "waiting for a runner, 37 ahead";
  attempt_record r;
  r.advertiser_id = "adv-1";
  r.month = *year_month::parse("2023-03");
  r.attempt = 1;
  r.started_at = at(1'000);
  r.finished_at = at(2'000);
  r.outcome = month_status::completed;
  r.owner = "node-a";
  d.recent_attempts = {r};
  auto back = round_trip(d);
  CHECK(back.progress.who.id == "adv-1");
  CHECK(back.progress.progress.completed_months == 3);
  CHECK(back.progress.progress.progress_percent == 12.5);
  CHECK(back.progress.progress.cursor == year_month::parse("2023-04"));
  CHECK(back.stage == lifecycle::backfilling);
  CHECK(back.eta == at(123'456));
  CHECK(back.why == "waiting for a runner, 37 ahead");
  REQUIRE(back.recent_attempts.size() == 1);
  CHECK(back.recent_attempts[0].finished_at == at(2'000));
  CHECK(back.recent_attempts[0].outcome == month_status::completed);

  advertiser_page page;
  page.advertisers.push_back({sample_advertiser(), lifecycle::deactivated, 3, 24});
  page.next = "adv-1";
  auto page_back = round_trip(page);
  REQUIRE(page_back.advertisers.size() == 1);
  CHECK(page_back.advertisers[0].stage == lifecycle::deactivated);
  CHECK(page_back.next == std::optional<std::string>{"adv-1"});
}

TEST_CASE("the director's schedule crosses the wire, with and without a next tick") {
  auto back = round_trip(tick_schedule{at(300'000), std::chrono::minutes{5}});
  CHECK(back.next_tick == at(300'000));
  CHECK(back.interval == std::chrono::minutes{5});
  CHECK_FALSE(round_trip(tick_schedule{}).next_tick.has_value());
}

TEST_CASE("a month outside 1970-01 to 9999-12 sent by a peer is refused, not taken") {
  // A year_month travels as its text; forge one that parse() refuses.
  std::vector<char> bytes;
  caf::binary_serializer sink{nullptr, bytes};
  std::string forged = "2024-13";
  REQUIRE(!sink(forged));
  year_month m;
  caf::binary_deserializer source{nullptr, bytes};
  auto err = source(m);
  CHECK(err);
  CHECK(m == year_month{});
}

TEST_CASE("truncated bytes from a peer are an error, not a crash") {
  auto bytes = encode(sample_advertiser());
  for (size_t cut : {size_t{0}, size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    std::vector<char> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    advertiser a;
    caf::binary_deserializer source{nullptr, part};
    CHECK(source(a));
  }
}

TEST_CASE("the cluster view crosses the wire unchanged, a stopped node included") {
  node_view live;
  live.node_id = "node-a";
  live.host = "host-a";
  live.pid = 4242;
  live.started_at = at(1'700'000'000'000);
  live.heartbeat_at = at(1'700'000'005'000);
  live.live = true;
  live.advertisers_owned = 17;
  live.running_jobs = 3;
  auto stopped = live;
  stopped.node_id = "node-b";
  stopped.stopped_at = at(1'700'000'006'000);
  stopped.live = false;
  auto back = round_trip(node_list{live, stopped});
  REQUIRE(back.size() == 2);
  CHECK(back[0].node_id == "node-a");
  CHECK(back[0].host == "host-a");
  CHECK(back[0].pid == 4242);
  CHECK(back[0].started_at == live.started_at);
  CHECK(back[0].heartbeat_at == live.heartbeat_at);
  CHECK_FALSE(back[0].stopped_at.has_value());
  CHECK(back[0].live);
  CHECK(back[0].advertisers_owned == 17);
  CHECK(back[0].running_jobs == 3);
  CHECK(back[1].stopped_at == stopped.stopped_at);
  CHECK_FALSE(back[1].live);
}
