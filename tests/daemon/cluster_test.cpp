// Several cdpbatchd on one PostgreSQL: leases spread the advertisers, a node
// killed with SIGKILL is taken over within the lease TTL, and no month ever
// runs on two nodes at once.
#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "daemon/daemon_fixture.hpp"
#include "persistence/store_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

constexpr int advertisers = 30;
constexpr int months_each = 6;
constexpr auto heartbeat = 200ms;
constexpr auto lease_ttl = 1s;

/// A PostgreSQL schema of its own and a folder for the daemons' logs.
struct cluster_fixture : daemon_fixture {
  std::unique_ptr<test_database> db = test_database::create("postgresql");

  std::vector<std::string> node_argv(const std::string& id) const {
    return {program("cdpbatchd"),
            "--config",
            std::string{CDP_SOURCE_DIR} + "/config.toml",
            "--set", "store.url=" + db->url(),
            "--set", "node.id=" + id,
            "--set", "log.file=" + (dir / (id + ".log")).string(),
            "--set", "schedule.current_month=2024-12",
            "--set", "schedule.tick_interval=100ms",
            "--set", "backfill.months=" + std::to_string(months_each),
            "--set", "node.heartbeat=200ms",
            "--set", "node.lease_ttl=1s",
            "--set", "retry.backoff_base=50ms",
            "--set", "retry.backoff_max=200ms",
            "--set", "reaper.interval=200ms",
            "--set", "job.kind=simulated",
            "--set", "job.simulated.latency=150ms",
            "--set", "batch.thread-pool.core-size=2",
            "--set", "http.listen=127.0.0.1:0",
            "--set", "admin.listen=127.0.0.1:0"};
  }

  void create_advertisers() {
    std::vector<new_advertiser> many;
    for (int i = 0; i < advertisers; ++i)
      many.push_back({"adv-" + std::to_string(i), "", advertiser_type::new_advertiser});
    must(db->main().create_advertisers(many, ym("2024-12"), months_each, 3, t0, {}, cdp::audit_note{"test", "", ""}));
  }

  std::map<std::string, node_view> nodes() {
    auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now());
    std::map<std::string, node_view> out;
    if (auto listed = db->main().list_nodes(now, lease_ttl))
      for (auto& n : *listed)
        out[n.node_id] = n;
    return out;
  }

  /// For a failure: each node as the store sees it, every unfinished
  /// advertiser's months, and what the daemons logged but their jobs' lines.
  void explain_unfinished(std::initializer_list<const process*> daemons) {
    for (const auto& [id, n] : nodes())
      UNSCOPED_INFO("node " << id << (n.live ? " live" : " not live") << ", owns "
                            << n.advertisers_owned << ", runs " << n.running_jobs);
    for (const auto& a : must(db->main().list_advertisers(false)))
      if (!a.backfill_completed)
        for (const auto& m : must(db->main().list_months(a.id)))
          UNSCOPED_INFO(a.id << " " << m.month.to_string() << " " << to_string(m.status)
                             << " owner '" << m.owner << "' retries " << m.retry_count);
    for (const auto* d : daemons) {
      std::istringstream lines{d->output()};
      std::string kept;
      for (std::string line; std::getline(lines, line);)
        if (line.find("] job ") == std::string::npos)
          kept += line + '\n';
      UNSCOPED_INFO(kept);
    }
  }

  /// Every advertiser backfilled: then it refreshes its current month on
  /// every tick, so some month is RUNNING at almost any instant.
  bool all_backfilled() {
    auto all = db->main().list_advertisers(false);
    return all && all->size() == advertisers
           && std::all_of(all->begin(), all->end(),
                          [](const advertiser& a) { return a.backfill_completed; });
  }
};

/// The REST port a daemon said it listens on (0 before it said so).
int rest_port(const process& p) {
  static const std::regex listening{R"(REST API listening on http://127\.0\.0\.1:(\d+)/)"};
  std::smatch m;
  auto out = p.output();
  return std::regex_search(out, m, listening) ? std::stoi(m[1]) : 0;
}

/// GET /api/v2/batch/nodes of one daemon over HTTP, parsed.
nlohmann::json nodes_over_http(const process& p) {
  httplib::Client client{"127.0.0.1", rest_port(p)};
  client.set_read_timeout(std::chrono::seconds{10});
  auto r = client.Get("/api/v2/batch/nodes");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return nlohmann::json::parse(r->body);
}

/// Of one month's attempts, none starts before the one before it ended.
void check_no_overlap(store& s, const std::string& id, int& attempts_seen,
                      int& taken_over) {
  for (const auto& m : must(s.list_months(id))) {
    INFO(id << " " << m.month.to_string());
    CHECK(m.status == month_status::completed);
    auto history = must(s.list_attempts(id, m.month));
    attempts_seen += static_cast<int>(history.size());
    for (const auto& a : history)
      UNSCOPED_INFO("attempt " << a.attempt << " " << a.owner << " " << to_string(a.outcome)
                               << " " << to_iso8601(a.started_at) << " - "
                               << (a.finished_at ? to_iso8601(*a.finished_at) : "open") << " "
                               << a.error_message);
    for (size_t k = 1; k < history.size(); ++k) {
      REQUIRE(history[k - 1].finished_at.has_value());
      CHECK(*history[k - 1].finished_at <= history[k].started_at);
      taken_over += history[k - 1].owner != history[k].owner;
    }
  }
}

} // namespace

TEST_CASE_METHOD(cluster_fixture, "three cdpbatchd share one PostgreSQL, one killed with SIGKILL is taken over within the lease TTL and no month runs on two nodes at once") {
  if (!db)
    return;
  create_advertisers();
  std::vector<std::unique_ptr<process>> daemons;
  for (const auto* id : {"node-1", "node-2", "node-3"})
    daemons.push_back(std::make_unique<process>(node_argv(id), dir / (std::string{id} + ".out")));

  // The leases spread: every node holds some, together all of them.
  REQUIRE(eventually([&] {
    auto seen = nodes();
    int64_t owned = 0;
    for (const auto& [id, n] : seen) {
      if (!n.live || n.advertisers_owned == 0)
        return false;
      owned += n.advertisers_owned;
    }
    return seen.size() == 3 && owned == advertisers;
  }));
  // Nodes that came first give their surplus back: each ends with its share.
  CHECK(eventually([&] {
    for (const auto& [id, n] : nodes())
      if (n.advertisers_owned > (advertisers + 2) / 3)
        return false;
    return true;
  }, 10s));

  // Any node's REST API shows the whole cluster.
  REQUIRE(eventually([&] { return rest_port(*daemons[2]) > 0; }));
  // Leases move while the nodes settle on their shares: poll for a view in
  // which all three are live and own every advertiser between them.
  nlohmann::json seen_by_3;
  CHECK(eventually([&] {
    seen_by_3 = nodes_over_http(*daemons[2]);
    int64_t owned = 0;
    bool live = seen_by_3.size() == 3;
    for (const auto& n : seen_by_3) {
      live = live && n["live"] == true && n["heartbeatAgeSeconds"].get<double>() < 1.0;
      owned += n["advertisersOwned"].get<int64_t>();
    }
    return live && owned == advertisers;
  }, 10s));
  INFO(seen_by_3.dump());
  REQUIRE(seen_by_3.size() == 3);
  CHECK(seen_by_3[0]["nodeId"] == "node-1");

  // node-2 dies mid-backfill, jobs in flight.
  REQUIRE(eventually([&] { return nodes()["node-2"].running_jobs > 0; }));
  auto held_by_2 = must(db->main().list_leases("node-2")).size();
  REQUIRE(held_by_2 > 0);
  daemons[1]->signal(SIGKILL);
  REQUIRE(daemons[1]->wait(5s));
  auto killed_at = std::chrono::steady_clock::now();
  // A survivor's beat later than the victim's last beat plus the TTL sees its
  // leases as free and takes its share of them; once a survivor has beaten
  // again after such a beat, that balance is done. The bound is the
  // survivors' own beats, so a slow machine (a sanitizer build) delays them
  // without failing the test.
  auto expired_at = nodes()["node-2"].heartbeat_at + lease_ttl;
  std::map<std::string, timestamp> beat_after_expiry;
  std::set<std::string> balanced;
  bool taken = false;
  REQUIRE(eventually([&] {
    for (const auto& [id, n] : nodes()) {
      if (id == "node-2" || n.heartbeat_at <= expired_at)
        continue;
      auto first = beat_after_expiry.try_emplace(id, n.heartbeat_at).first;
      if (n.heartbeat_at > first->second)
        balanced.insert(id);
    }
    taken = must(db->main().list_leases("node-2")).empty();
    return taken || balanced.size() == 2;
  }, 10s));
  auto takeover = std::chrono::steady_clock::now() - killed_at;
  auto takeover_ms = std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count();
  WARN("takeover of " << held_by_2 << " advertisers " << takeover_ms << "ms after SIGKILL (TTL "
                      << lease_ttl.count() << "s, heartbeat " << heartbeat.count() << "ms)");
  CHECK(taken);
  CHECK(nodes()["node-1"].advertisers_owned + nodes()["node-3"].advertisers_owned == advertisers);
  auto after_kill = nodes_over_http(*daemons[0]);
  INFO(after_kill.dump());
  REQUIRE(after_kill.size() == 3);
  CHECK(after_kill[1]["nodeId"] == "node-2");
  CHECK(after_kill[1]["live"] == false);
  CHECK(after_kill[1]["advertisersOwned"] == 0);
  CHECK(after_kill[1]["heartbeatAgeSeconds"].get<double>() >= 1.0);

  bool backfilled = eventually([&] { return all_backfilled(); }, 60s);
  if (!backfilled)
    explain_unfinished({daemons[0].get(), daemons[2].get()});
  REQUIRE(backfilled);
  for (auto* d : {daemons[0].get(), daemons[2].get()})
    d->signal(SIGTERM);
  for (auto* d : {daemons[0].get(), daemons[2].get()}) {
    INFO(d->output());
    CHECK(d->wait(20s) == 0);
  }
  int attempts = 0;
  int taken_over = 0;
  for (int i = 0; i < advertisers; ++i) {
    auto id = "adv-" + std::to_string(i);
    CHECK(must(db->main().get_advertiser(id)).active);
    check_no_overlap(db->main(), id, attempts, taken_over);
  }
  CHECK(attempts >= advertisers * months_each);
  // The months node-2 had in flight went to a survivor.
  CHECK(taken_over > 0);
  // A clean stop frees the leases at once.
  for (const auto& [id, n] : nodes()) {
    CHECK_FALSE(n.live);
    CHECK(n.advertisers_owned == 0);
  }
}

TEST_CASE_METHOD(cluster_fixture, "a second cdpbatchd with a live node's id is refused, and its restart after SIGKILL is not") {
  if (!db)
    return;
  create_advertisers();
  process first{node_argv("twin"), dir / "first.out"};
  REQUIRE(eventually([&] { return nodes()["twin"].live; }));
  auto second_argv = node_argv("twin");
  second_argv.push_back("--set");
  second_argv.push_back("log.file=" + (dir / "second.log").string());
  process second{second_argv, dir / "second.out"};
  auto code = second.wait(20s);
  INFO(second.output());
  REQUIRE(code);
  CHECK(*code == 1);
  CHECK(second.output().find("node.id 'twin' is in use by a live daemon") != std::string::npos);
  CHECK_FALSE(first.wait(100ms));

  first.signal(SIGKILL);
  REQUIRE(first.wait(5s));
  auto started = std::chrono::steady_clock::now();
  process again{node_argv("twin"), dir / "again.out"};
  REQUIRE(eventually([&] {
    return again.output().find("cdpbatchd running") != std::string::npos;
  }, 10s));
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  INFO(again.output());
  REQUIRE(eventually([&] { return all_backfilled(); }, 60s));
  again.signal(SIGTERM);
  CHECK(again.wait(20s) == 0);
}

TEST_CASE_METHOD(cluster_fixture, "advertisers created in bulk on a running node are leased in bounded rounds back to back, not one batch a heartbeat, and all run") {
  if (!db)
    return;
  constexpr int imported = 400;
  constexpr int batch = 40;
  // A long heartbeat: ten rounds one a heartbeat would take ten seconds.
  auto argv = node_argv("node-1");
  for (std::string set : std::vector<std::string>{"node.heartbeat=1s", "node.lease_ttl=5s",
                          "node.lease_batch=" + std::to_string(batch), "schedule.tick_interval=5m",
                          "job.simulated.latency=0ms"}) {
    argv.push_back("--set");
    argv.push_back(set);
  }
  process daemon{argv, dir / "bulk.out"};
  REQUIRE(eventually([&] { return nodes()["node-1"].live; }));
  std::vector<new_advertiser> many;
  for (int i = 0; i < imported; ++i)
    many.push_back({"imp-" + std::to_string(i), "", advertiser_type::existing});
  must(db->main().create_advertisers(many, ym("2024-12"), months_each, 3, t0, {},
                                     cdp::audit_note{"test", "", ""}));
  auto created = std::chrono::steady_clock::now();
  REQUIRE(eventually([&] { return nodes()["node-1"].advertisers_owned == imported; }, 30s));
  auto leased = std::chrono::steady_clock::now() - created;
  INFO(daemon.output());
  // Well within the ten heartbeats that one round a heartbeat would need.
  CHECK(leased < 5s);
  auto out = daemon.output();
  std::regex took{R"(node node-1: took (\d+) advertiser leases)"};
  int rounds = 0;
  int64_t taken = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), took); it != std::sregex_iterator();
       ++it) {
    auto n = std::stoll((*it)[1]);
    CHECK(n <= batch);
    taken += n;
    ++rounds;
  }
  CHECK(taken == imported);
  CHECK(rounds >= imported / batch);
  // Every one got its actor and ran its current month, long before a tick.
  CHECK(eventually([&] {
    auto states = db->main().count_months_by_status();
    return states && states->completed >= imported;
  }, 20s));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
}

TEST_CASE_METHOD(cluster_fixture, "a node paused past its lease TTL, whose leases another node took meanwhile, rereads them all when it resumes and runs none of them twice") {
  if (!db)
    return;
  create_advertisers();
  process first{node_argv("node-1"), dir / "first.out"};
  REQUIRE(eventually([&] { return nodes()["node-1"].advertisers_owned == advertisers; }));
  REQUIRE(eventually([&] { return nodes()["node-1"].running_jobs > 0; }));
  // Paused, it neither beats nor knows: its rounds' account of its leases
  // stays what it was.
  first.signal(SIGSTOP);
  process second{node_argv("node-2"), dir / "second.out"};
  bool taken = eventually([&] { return nodes()["node-2"].advertisers_owned == advertisers; }, 15s);
  first.signal(SIGCONT);
  INFO(second.output());
  REQUIRE(taken);
  INFO(first.output());
  CHECK(eventually([&] {
    return first.output().find("node node-1: holds 0 advertiser leases, "
                               + std::to_string(advertisers) + " by its own account")
           != std::string::npos;
  }));
  // Back and live, it gets its share again from node-2's surplus.
  bool shared = eventually([&] {
    auto seen = nodes();
    return seen["node-1"].live && seen["node-1"].advertisers_owned > 0
           && seen["node-1"].advertisers_owned + seen["node-2"].advertisers_owned == advertisers;
  }, 15s);
  if (!shared)
    explain_unfinished({&first, &second});
  CHECK(shared);
  bool backfilled = eventually([&] { return all_backfilled(); }, 60s);
  if (!backfilled)
    explain_unfinished({&first, &second});
  REQUIRE(backfilled);
  for (auto* d : {&first, &second})
    d->signal(SIGTERM);
  for (auto* d : {&first, &second}) {
    INFO(d->output());
    CHECK(d->wait(20s) == 0);
  }
  int attempts = 0;
  int taken_over = 0;
  for (int i = 0; i < advertisers; ++i)
    check_no_overlap(db->main(), "adv-" + std::to_string(i), attempts, taken_over);
  // The months node-1 had in flight when it paused went to node-2.
  CHECK(taken_over > 0);
}
