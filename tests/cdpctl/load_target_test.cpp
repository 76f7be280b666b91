// cdpload --target: the load tester driving a real cdpbatchd through its
// admin port, measured from what the daemon stored.
#include <nlohmann/json.hpp>

#include "cdpctl/console_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

/// A daemon whose every month fails its first attempt and then succeeds, so
/// a run's attempts and retries are known; 3 backfill months; the schedule
/// tick an hour away, so nothing refreshes during the run.
const std::vector<std::string> known_failures{
  "--set", "http.token=s3cret",
  "--set", "backfill.months=3",
  "--set", "schedule.tick_interval=1h",
  "--set", "job.simulated.latency=0ms",
  "--set", "job.simulated.failure_rate=1.0",
  "--set", "job.simulated.fail_first_attempt_only=true",
  "--set", "retry.backoff_base=10ms",
  "--set", "retry.backoff_max=10ms"};

program_result cdpload(const console_daemon& d, std::vector<std::string> args,
                       const std::vector<std::string>& env = {"CDPBATCH_API_TOKEN=s3cret"}) {
  args.insert(args.begin(), {program("cdpload"), "--target", d.address()});
  return run_program(args, d.dir, env, 60s);
}

} // namespace

TEST_CASE("cdpload --target creates its advertisers in the daemon and reports from their attempts") {
  console_daemon d{"", known_failures};
  auto json_file = (d.dir / "report.json").string();
  auto run = cdpload(d, {"--advertisers", "40", "--new-ratio", "0.5", "--json", json_file});
  INFO(run.out << run.err);
  REQUIRE(run.code == 0);
  CHECK(contains(run.out, "cdpbatchd at " + d.address()));
  CHECK(contains(run.out, "in the daemon: see its /metrics"));

  auto r = nlohmann::json::parse(slurp(json_file));
  CHECK(r["target"] == d.address());
  CHECK(r["advertisers"] == 40);
  // 20 NEW x 3 months and 20 EXISTING x their current month, each failed once.
  CHECK(r["jobs"] == 80);
  CHECK(r["attempts"] == 160);
  CHECK(r["retries"] == 80);
  CHECK(r["deactivated"] == 0);
  CHECK(r["order_violations"] == 0);
  CHECK(r["month_latency_ms"]["p50"].get<double>() >= 0);
  CHECK(r["backfill_s"].get<double>() > 0);
  CHECK(r["backfill_share"].get<double>() > 0);
  CHECK(r["jobs_per_s"].get<double>() > 0);
  CHECK(r["peak_rss_mb"].is_null());
  // The daemon's resident memory, grown or not, over 40 advertisers.
  CHECK(r["bytes_per_idle_advertiser"].get<double>() >= 0);
  CHECK(r["bytes_per_idle_advertiser"].get<double>() < 1e6);
  CHECK(contains(run.out, "bytes per idle advertiser (the daemon's resident memory)"));
  CHECK(r["commit_latency_ms"].is_null());

  auto s = d.open();
  auto counts = s->count_advertisers();
  REQUIRE(counts);
  // The demo's three and the run's forty, all still active.
  CHECK(counts->new_active + counts->existing_active == 43);
}

TEST_CASE("cdpload --target without the token, or at no daemon, says so and creates nothing") {
  console_daemon d{"", known_failures};
  auto denied = cdpload(d, {"--advertisers", "5"}, {"CDPBATCH_API_TOKEN=wrong"});
  CHECK(denied.code == 1);
  CHECK(contains(denied.err, "creating advertisers: "));
  CHECK(contains(denied.err, "API token"));
  auto counts = d.open()->count_advertisers();
  REQUIRE(counts);
  CHECK(counts->new_active + counts->existing_active == 3);

  auto nowhere = run_program({program("cdpload"), "--target", "127.0.0.1:1", "--timeout", "2s"},
                             d.dir, {}, 20s);
  CHECK(nowhere.code == 1);
  CHECK(contains(nowhere.err, "cannot drive 127.0.0.1:1"));
}
