#include <catch2/catch.hpp>

#include "domain/cluster.hpp"

using namespace cdp;
using namespace std::chrono_literals;

TEST_CASE("a node is live while it renews its heartbeat within the lease TTL and has not stopped") {
  timestamp t{std::chrono::milliseconds{1'000'000}};
  CHECK(node_is_live(t, false, t + 30s, 30s));
  CHECK_FALSE(node_is_live(t, false, t + 30s + 1ms, 30s));
  CHECK_FALSE(node_is_live(t, true, t, 30s));
}

TEST_CASE("a node below its fair share takes what is available, up to the share") {
  auto plan = plan_leases({100, 3, 10, 200});
  CHECK(plan.share == 34);
  CHECK(plan.acquire == 24);
  CHECK(plan.release == 0);
  CHECK(plan_leases({100, 3, 10, 5}).acquire == 5);
  CHECK(plan_leases({0, 1, 0, 0}).acquire == 0);
}

TEST_CASE("a node above its fair share gives the surplus back when a node joins") {
  auto plan = plan_leases({100, 2, 100, 0});
  CHECK(plan.share == 50);
  CHECK(plan.acquire == 0);
  CHECK(plan.release == 50);
}

TEST_CASE("the fair shares of the live nodes cover every advertiser") {
  for (int64_t advertisers : {0, 1, 7, 50, 200, 1001})
    for (int64_t nodes = 1; nodes <= 5; ++nodes) {
      INFO(advertisers << " advertisers on " << nodes << " nodes");
      auto share = plan_leases({advertisers, nodes, 0, advertisers}).share;
      CHECK(share * nodes >= advertisers);
      CHECK((share - 1) * nodes < advertisers + (advertisers == 0 ? 1 : 0));
    }
  // No live node counted (a clock behind the others): it still takes a share.
  CHECK(plan_leases({10, 0, 0, 10}).acquire == 10);
}

TEST_CASE("a node takes at most one batch of leases a round and says when more is to be had") {
  // 100,000 advertisers imported at once onto one live node, batches of 10,000.
  auto plan = plan_leases({100'000, 1, 0, 100'000}, 10'000);
  CHECK(plan.share == 100'000);
  CHECK(plan.acquire == 10'000);
  CHECK(plan.more);
  // The last round takes the rest and is the last.
  plan = plan_leases({100'000, 1, 95'000, 5'000}, 10'000);
  CHECK(plan.acquire == 5'000);
  CHECK_FALSE(plan.more);
  // Two nodes: each stops at its share, the other half stays for the other.
  plan = plan_leases({100'000, 2, 45'000, 55'000}, 10'000);
  CHECK(plan.share == 50'000);
  CHECK(plan.acquire == 5'000);
  CHECK_FALSE(plan.more);
  // A bound below one still takes one a round.
  CHECK(plan_leases({10, 1, 0, 10}, 0).acquire == 1);
  CHECK_FALSE(plan_leases({100, 2, 100, 0}, 10).more);
}

namespace {

std::vector<std::string> ids_of(const std::vector<advertiser_lease>& leases) {
  std::vector<std::string> out;
  for (const auto& l : leases)
    out.push_back(l.advertiser_id);
  return out;
}

} // namespace

TEST_CASE("surplus leases whose months still run stay held, and are told held again once no longer surplus") {
  using ids = std::vector<std::string>;
  std::vector<advertiser_lease> surplus{{"a", 3, ""}, {"b", 4, ""}, {"c", 5, ""}};
  // b still ran: the store kept it.
  auto round = hand_over({}, surplus, ids{"a", "c"});
  CHECK(ids_of(round.draining) == ids{"b"});
  CHECK(round.draining[0].epoch == 4);
  CHECK(round.held_again.empty());
  // Still surplus the next round: it stays let go until it is freed.
  auto next = hand_over(round.draining, {{{"b", 4, ""}}}, ids{});
  CHECK(ids_of(next.draining) == ids{"b"});
  CHECK(next.held_again.empty());
  CHECK(hand_over(next.draining, {{{"b", 4, ""}}}, ids{"b"}).draining.empty());
  // The other node went away: nothing is surplus, and b is this node's to run.
  auto alone = hand_over(round.draining, {}, ids{});
  CHECK(alone.draining.empty());
  REQUIRE(ids_of(alone.held_again) == ids{"b"});
  CHECK(alone.held_again[0].epoch == 4);
  // The other node took fewer than were freed: a smaller surplus.
  std::vector<advertiser_lease> two{{"x", 1, ""}, {"y", 2, ""}, {"z", 3, ""}};
  auto fewer = hand_over(hand_over({}, two, ids{}).draining, {{{"z", 3, ""}}}, ids{});
  CHECK(ids_of(fewer.held_again) == ids{"x", "y"});
  CHECK(ids_of(fewer.draining) == ids{"z"});
}
