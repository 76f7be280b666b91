#include "daemon/api_daemon.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

const std::string v2 = "/api/v2/batch";

json describe(api_daemon& d, const std::string& id) {
  auto a = d.get(v2 + "/advertisers/" + id);
  REQUIRE(a.status == 200);
  return a.doc;
}

void create(api_daemon& d, const std::string& id, const std::string& type) {
  auto a = d.post(v2 + "/advertisers", R"({"advertiserId":")" + id + R"(","type":")" + type + "\"}");
  INFO(a.body);
  REQUIRE(a.status == 201);
}

/// Polls until `id`'s description satisfies `ok`; returns the last one seen.
json until(api_daemon& d, const std::string& id, const std::function<bool(const json&)>& ok) {
  json last;
  api_daemon::eventually([&] {
    last = describe(d, id);
    return ok(last);
  });
  return last;
}

bool why_matches(const json& doc, const char* pattern) {
  return std::regex_match(doc.value("why", ""), std::regex{pattern});
}

std::vector<std::string> ids_with(api_daemon& d, const std::string& stage) {
  std::vector<std::string> ids;
  auto page = d.get(v2 + "/advertisers?lifecycle=" + stage);
  for (const auto& a : page.doc["advertisers"])
    ids.push_back(a["advertiserId"]);
  return ids;
}

} // namespace

TEST_CASE("views: one runner: live idle until the tick, backfills queued behind each other, NEW until claimed, ETA once a month is done") {
  api_daemon d{"sqlite",
               {"--set", "batch.thread-pool.core-size=1", "--set", "batch.thread-pool.max-size=1",
                "--set", "batch.thread-pool.queue-capacity=1", "--set",
                "job.simulated.latency=150ms"}};
  create(d, "L", "EXISTING");
  auto live = until(d, "L", [](const json& j) {
    return j["lifecycle"] == "LIVE" && j.value("why", "").rfind("idle", 0) == 0;
  });
  INFO(live.dump());
  CHECK(live["lifecycle"] == "LIVE");
  CHECK(why_matches(live, R"(idle until the next tick at (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d)"));
  CHECK(live["eta"].is_null());

  for (const auto* id : {"A", "B", "C"})
    create(d, id, "NEW");
  // One runs, one waits in the queue, the third is deferred without a claim.
  std::string queued;
  json waiting;
  REQUIRE(api_daemon::eventually([&] {
    for (const auto* id : {"A", "B", "C"}) {
      auto j = describe(d, id);
      if (why_matches(j, R"(waiting for a runner, \d+ ahead)")) {
        queued = id;
        waiting = j;
        return true;
      }
    }
    return false;
  }));
  INFO(waiting.dump());
  if (waiting["completedMonths"] == 0 && waiting["runningMonths"] == 0) {
    CHECK(waiting["lifecycle"] == "NEW");
    CHECK(waiting["eta"].is_null());
  }

  auto going = until(d, "A", [](const json& j) { return j["completedMonths"].get<int>() >= 2; });
  CHECK(going["lifecycle"] == "BACKFILLING");
  REQUIRE(going["eta"].is_string());
  CHECK(going["eta"].get<std::string>() > going["recentAttempts"][0]["startedAt"].get<std::string>());
  auto backfilling = ids_with(d, "BACKFILLING");
  CHECK(std::find(backfilling.begin(), backfilling.end(), "A") != backfilling.end());
}

TEST_CASE("views: a month in backoff makes its advertiser DEGRADED, with when and which attempt") {
  api_daemon d{"sqlite",
               {"--set", "job.simulated.failure_rate=1.0", "--set",
                "job.simulated.fail_first_attempt_only=true", "--set", "retry.backoff_base=5s"}};
  create(d, "A", "NEW");
  auto j = until(d, "A", [](const json& j) { return j["lifecycle"] == "DEGRADED"; });
  INFO(j.dump());
  CHECK(j["lifecycle"] == "DEGRADED");
  CHECK(why_matches(j, R"(in backoff until (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d \(attempt 2 of 4\))"));
  CHECK(ids_with(d, "DEGRADED") == std::vector<std::string>{"A"});
  auto months = d.get(v2 + "/advertisers/A/processing-states").doc;
  CHECK(months[0]["status"] == "FAILED");
  CHECK(months[0]["retryCount"] == 0);
  CHECK(months[0]["nextAttemptAt"].is_string());
}

TEST_CASE("views: an advertiser deactivated by exhausted retries says which month failed and why") {
  api_daemon d{"sqlite",
               {"--set", "job.simulated.failure_rate=1.0", "--set", "retry.max_retries=0"}};
  create(d, "A", "NEW");
  auto j = until(d, "A", [](const json& j) { return j["lifecycle"] == "DEACTIVATED"; });
  INFO(j.dump());
  CHECK(j["lifecycle"] == "DEACTIVATED");
  CHECK(j["active"] == false);
  CHECK(j["eta"].is_null());
  CHECK(j["why"].get<std::string>().rfind("deactivated: 2023-01 failed once: ", 0) == 0);
  CHECK(j["deactivationReason"].get<std::string>().find("2023-01") != std::string::npos);
  auto history = d.get(v2 + "/advertisers/A/months/2023-01/attempts").doc;
  REQUIRE(history.size() == 1);
  CHECK(history[0]["outcome"] == "FAILED");
  CHECK(history[0]["errorMessage"].is_string());
  // Activating would deactivate it again at once: refused until the month is retried.
  auto refused = d.post(v2 + "/advertisers/A/activate");
  CHECK(refused.status == 409);
  CHECK(d.post(v2 + "/advertisers/A/retry/2023-01").status == 200);
  CHECK(d.post(v2 + "/advertisers/A/activate").status == 200);
}
