// cdpctl get nodes: the cluster as any daemon sees it, on SQLite (one node)
// and on PostgreSQL with two daemons sharing the store.
#include <map>
#include <optional>

#include "cdpctl/json_answers.hpp"
#include "persistence/store_fixture.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

/// The nodes of `cdpctl -o json get nodes`, by id.
std::map<std::string, json> nodes_by_id(const console_daemon& d) {
  std::map<std::string, json> out;
  for (const auto& n : parsed(d.ctl({"--output", "json", "get", "nodes"})))
    out[n["nodeId"].get<std::string>()] = n;
  return out;
}

/// The table line of node `id`.
std::string line_of(const std::string& table, const std::string& id) {
  auto at = table.find("\n" + id + " ");
  if (at == std::string::npos)
    return {};
  return table.substr(at + 1, table.find('\n', at + 1) - at - 1);
}

} // namespace

TEST_CASE("cdpctl get nodes on SQLite shows the one daemon owning every advertiser") {
  console_daemon d{"", {"--set", "node.id=solo"}};
  auto listed = d.ctl({"get", "nodes"});
  INFO(listed.out << listed.err);
  REQUIRE(listed.code == 0);
  CHECK(listed.out.rfind("NODE  HOST", 0) == 0);
  CHECK(contains(listed.out.substr(0, listed.out.find('\n')),
                 "PID  LIVE  HEARTBEAT  ADVERTISERS  RUNNING  STARTED"));
  auto solo = line_of(listed.out, "solo");
  CHECK(contains(solo, " " + std::to_string(d.daemon->pid()) + "  yes "));
  CHECK(contains(solo, "s ago"));
  CHECK(lines_starting(listed.out, "solo ") == 1);

  auto nodes = parsed(d.ctl({"--output", "json", "get", "nodes"}));
  REQUIRE(nodes.size() == 1);
  const auto& n = nodes[0];
  CHECK(n["nodeId"] == "solo");
  CHECK(n["pid"] == d.daemon->pid());
  CHECK(n["live"] == true);
  CHECK(n["stoppedAt"].is_null());
  CHECK(n["advertisersOwned"] == 3);
  CHECK(n["runningJobs"].get<int64_t>() >= 0);
  CHECK(n["heartbeatAgeSeconds"].get<double>() < 10.0);
  CHECK(keys_of(nodes) == keys_of(rest_get(d, "/nodes")));
}

TEST_CASE("cdpctl get nodes on either of two daemons sharing PostgreSQL shows both, the advertisers each owns and a clean stop") {
  auto db = test_database::create("postgresql");
  if (!db)
    return;
  auto node = [&](const std::string& id) {
    return std::vector<std::string>{"--set", "store.url=" + db->url(), "--set", "node.id=" + id,
                                    "--set", "node.heartbeat=200ms", "--set", "node.lease_ttl=2s"};
  };
  console_daemon a{"", node("node-a")};
  std::optional<console_daemon> b{std::in_place, "", node("node-b")};

  // Both see both, and the demo's three advertisers split between them.
  for (const auto* d : {&a, &*b}) {
    std::map<std::string, json> seen;
    CHECK(eventually([&] {
      seen = nodes_by_id(*d);
      return seen.size() == 2 && seen["node-a"]["live"] == true && seen["node-b"]["live"] == true
             && seen["node-a"]["advertisersOwned"].get<int>() > 0
             && seen["node-b"]["advertisersOwned"].get<int>() > 0
             && seen["node-a"]["advertisersOwned"].get<int>()
                    + seen["node-b"]["advertisersOwned"].get<int>()
                  == 3;
    }));
    INFO(seen["node-a"].dump() << seen["node-b"].dump());
    CHECK(seen["node-b"]["pid"] == b->daemon->pid());
    CHECK(seen["node-a"]["pid"] == a.daemon->pid());
  }
  auto table = a.ctl({"get", "nodes"});
  REQUIRE(table.code == 0);
  CHECK(contains(line_of(table.out, "node-a"), "  yes "));
  CHECK(contains(line_of(table.out, "node-b"), "  yes "));

  // node-b stops cleanly: node-a shows it stopped, its leases free, and
  // takes every advertiser.
  b.reset();
  std::map<std::string, json> after;
  CHECK(eventually([&] {
    after = nodes_by_id(a);
    return after["node-b"]["live"] == false && after["node-a"]["advertisersOwned"] == 3;
  }));
  INFO(after["node-b"].dump());
  CHECK(after["node-b"]["advertisersOwned"] == 0);
  CHECK(after["node-b"]["runningJobs"] == 0);
  CHECK(after["node-b"]["stoppedAt"].is_string());
  auto stopped = line_of(a.ctl({"get", "nodes"}).out, "node-b");
  CHECK(contains(stopped, "  no "));
  REQUIRE_FALSE(stopped.empty());
  CHECK(stopped.back() != '-');
}
