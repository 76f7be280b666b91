#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "actors/hibernation.hpp"
#include "engine_fixture.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

struct hibernation_fixture : engine_fixture {
  hibernation_fixture() {
    // Only the start's own tick, and the ticks a test sends.
    cfg.schedule.tick_interval = std::chrono::hours{1};
  }

  /// Advertisers with an actor and without one.
  std::pair<int64_t, int64_t> census() {
    std::pair<int64_t, int64_t> n{-1, -1};
    caf::scoped_actor self{*sys};
    self->request(running->supervisor, std::chrono::seconds{5}, alive_atom_v)
      .receive([&](int64_t awake, int64_t asleep) { n = {awake, asleep}; }, [](caf::error&) {});
    return n;
  }

  int64_t alive() { return census().first; }

  void tick() {
    caf::scoped_actor self{*sys};
    self->send(running->director, sync_atom_v);
  }

  size_t runs_of(const std::string& id) { return script->attempts_of(id).size(); }

  advertiser_activity activity(const std::string& id) {
    advertiser_activity out;
    caf::scoped_actor self{*sys};
    self->request(running->supervisor, std::chrono::seconds{5}, activity_atom_v, id)
      .receive([&](advertiser_activity& a) { out = std::move(a); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  advertiser switch_to(const std::string& id, bool active) {
    advertiser out;
    caf::scoped_actor self{*sys};
    self->request(running->supervisor, std::chrono::seconds{5}, activate_atom_v, id, active,
                  std::string{"hibernation test"}, audit_note{"test", "hibernation test", ""})
      .receive([&](advertiser& a) { out = std::move(a); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }
};

month_state row(const char* month, month_status status) {
  month_state m;
  m.month = ym(month);
  m.status = status;
  m.retry_count = 2;
  m.error_message = "disk full";
  m.next_attempt_at = timestamp{std::chrono::milliseconds{1733000000000}};
  m.owner = "node-a";
  m.lease_token = 77;
  m.closed = true;
  return m;
}

} // namespace

TEST_CASE("a hibernated advertiser's packed state reads back as it was") {
  advertiser who;
  who.id = "adv-7";
  who.type = advertiser_type::new_advertiser;
  who.backfill_start_month = ym("2023-01");
  who.last_completed_month = ym("2024-11");
  who.deactivation_reason = "";
  who.updated_at = timestamp{std::chrono::milliseconds{1733000000123}};
  std::vector<month_state> months{row("2024-11", month_status::completed),
                                  row("2024-12", month_status::failed)};
  auto packed = pack_dormant(who, months);
  // Tens of bytes a month, not the ~250 of a month_state in memory.
  CHECK(packed.size() < 100 + months.size() * 110);
  auto back = unpack_dormant(packed);
  REQUIRE(back);
  CHECK(back->who.id == "adv-7");
  CHECK(back->who.type == advertiser_type::new_advertiser);
  CHECK(back->who.backfill_start_month == ym("2023-01"));
  CHECK(back->who.last_completed_month == ym("2024-11"));
  CHECK(back->who.updated_at == who.updated_at);
  REQUIRE(back->months.size() == 2);
  CHECK(back->months[1].month == ym("2024-12"));
  CHECK(back->months[1].status == month_status::failed);
  CHECK(back->months[1].retry_count == 2);
  CHECK(back->months[1].error_message == "disk full");
  CHECK(back->months[1].next_attempt_at == months[1].next_attempt_at);
  CHECK(back->months[1].owner == "node-a");
  CHECK(back->months[1].lease_token == 77);
  CHECK(back->months[0].closed);

  SECTION("bytes it did not write do not read back") {
    packed.pop_back();
    CHECK_FALSE(unpack_dormant(packed));
    packed.push_back('x');
    packed.push_back('y');
    CHECK_FALSE(unpack_dormant(packed));
  }
}

TEST_CASE_METHOD(hibernation_fixture, "idle advertisers keep no actor, and each tick wakes each once to refresh") {
  for (const auto* id : {"A", "B", "C"})
    add(id, advertiser_type::existing);
  start();
  REQUIRE(eventually([&] { return runs_of("A") == 1 && runs_of("B") == 1 && runs_of("C") == 1; }));
  REQUIRE(eventually([&] { return alive() == 0; }));
  CHECK(census().second == 3);
  for (size_t round = 2; round <= 3; ++round) {
    tick();
    REQUIRE(eventually([&] {
      return runs_of("A") == round && runs_of("B") == round && runs_of("C") == round;
    }));
    REQUIRE(eventually([&] { return alive() == 0; }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  CHECK(runs_of("A") == 3);
  CHECK(month("A", "2024-12").status == month_status::completed);
}

TEST_CASE_METHOD(hibernation_fixture, "a hibernated advertiser answers operators from its own woken actor") {
  add("A", advertiser_type::existing);
  start();
  REQUIRE(eventually([&] { return runs_of("A") == 1; }));
  REQUIRE(eventually([&] { return alive() == 0; }));

  // Answered from its packed state: asking does not wake it.
  auto now = activity("A");
  CHECK(now.now == advertiser_activity::phase::idle);
  CHECK(now.explanation.find("fresh") != std::string::npos);
  CHECK(alive() == 0);
  CHECK(runs_of("A") == 1);

  auto off = switch_to("A", false);
  CHECK_FALSE(off.active);
  CHECK_FALSE(who("A").active);
  tick();
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  CHECK(runs_of("A") == 1);
  CHECK(activity("A").now == advertiser_activity::phase::not_loaded);

  CHECK(switch_to("A", true).active);
  REQUIRE(eventually([&] { return runs_of("A") == 2; }));
  REQUIRE(eventually([&] { return alive() == 0; }));
}

TEST_CASE_METHOD(hibernation_fixture, "a tick over many hibernated advertisers wakes a window of them at a time") {
  // Two places (one runner, one queued): a window of 16 actors.
  cfg.pool = {1, 1, 1};
  constexpr int advertisers = 200;
  for (int i = 0; i < advertisers; ++i)
    add("w" + std::to_string(i), advertiser_type::existing);
  start();
  std::atomic<int64_t> most{0};
  std::atomic<bool> watching{true};
  std::thread watcher{[&] {
    while (watching) {
      most = std::max<int64_t>(most, alive());
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    }
  }};
  auto all_ran = [&](size_t times) {
    for (int i = 0; i < advertisers; ++i)
      if (runs_of("w" + std::to_string(i)) != times)
        return false;
    return true;
  };
  bool first = eventually([&] { return all_ran(1); }, std::chrono::seconds{30});
  tick();
  bool second = eventually([&] { return all_ran(2); }, std::chrono::seconds{30});
  watching = false;
  watcher.join();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(most > 1);
  // The window bounds the actors woken and not yet at rest; one that rested
  // while a message was on its way stays alive a moment longer, uncounted
  // (it rests again once it handled it). All 200 at once is what it prevents.
  CHECK(most <= 2 * 16);
  REQUIRE(eventually([&] { return alive() == 0; }));
}
