#include <array>
#include <barrier>
#include <thread>

#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace std::chrono_literals;
using namespace cdp::test;

TEST_CASE("of two connections claiming the same month at once exactly one wins, 1000 times") {
  FOR_EACH_BACKEND(db);
  constexpr int rounds = 1000;
  auto now = at(ym("2024-12"));
  must(db->main().create_advertiser({"racer", "", advertiser_type::existing}, ym("2024-12"), 24,
                                    3, now, by_test));

  struct result {
    bool applied = false;
    errc code = errc::store_error;
    std::string message;
  };
  std::array<std::vector<result>, 2> results;
  std::barrier start_line{2};
  auto contender = [&](int who) {
    auto s = db->connect();
    results[who].resize(rounds);
    for (int r = 0; r < rounds; ++r) {
      // Every round a month of its own, created by whichever claim comes first.
      auto request = claim_of("racer", ym("1990-01").plus(r), r * 2 + who, "node-" + std::to_string(who));
      request.create_if_missing = true;
      start_line.arrive_and_wait();
      auto outcome = s->claim(request, now);
      auto& out = results[who][r];
      if (outcome) {
        out = {outcome->applied, outcome->code, outcome->message};
      } else {
        out.message = outcome.error().message;
        out.code = outcome.error().code;
      }
    }
  };
  std::thread other{contender, 1};
  contender(0);
  other.join();

  int wins = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto& a = results[0][r];
    const auto& b = results[1][r];
    INFO("round " << r << ": " << a.message << " / " << b.message);
    CHECK(a.applied != b.applied);
    const auto& loser = a.applied ? b : a;
    CHECK(loser.code == errc::conflict);
    wins += a.applied;
  }
  // Both must have won some rounds, or the race was not a race.
  CHECK(wins > 0);
  CHECK(wins < rounds);
  auto& s = db->main();
  CHECK(must(s.count_months_by_status()).running == rounds);
  CHECK(db->scalar("SELECT count(*) FROM month_attempts") == rounds);
  for (int r = 0; r < rounds; r += 97) {
    auto row = must(s.get_month("racer", ym("1990-01").plus(r)));
    auto winner = results[0][r].applied ? 0 : 1;
    CHECK(row.lease_token == r * 2 + winner);
    CHECK(row.owner == "node-" + std::to_string(winner));
  }
}
