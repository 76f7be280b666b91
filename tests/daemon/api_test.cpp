#include "daemon/api_daemon.hpp"

#include <cstdio>
#include <ctime>
#include <set>

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

const std::string v2 = "/api/v2/batch";

bool is_instant(const json& j) {
  return j.is_string() && j.get<std::string>().size() == 24 && j.get<std::string>().back() == 'Z';
}

void check_progress_fields(const json& p) {
  for (const auto* key : {"advertiserId", "advertiserType", "active", "backfillStartMonth",
                          "backfillCompleted", "currentProcessingMonth", "lastCompletedMonth",
                          "totalMonths", "completedMonths", "failedMonths", "pendingMonths",
                          "runningMonths", "progressPercent"}) {
    INFO(key);
    CHECK(p.contains(key));
  }
}

/// Waits for `id`'s lifecycle to become `stage`.
bool reaches(api_daemon& d, const std::string& id, const std::string& stage) {
  return api_daemon::eventually([&] {
    auto a = d.get(v2 + "/advertisers/" + id);
    return a.status == 200 && a.doc.value("lifecycle", "") == stage;
  });
}

} // namespace

TEST_CASE("REST: every endpoint answers its JSON over real HTTP") {
  api_daemon d{each_backend(), {}};
  if (!d)
    return;
  auto created = d.post(v2 + "/advertisers", R"({"advertiserId":"C","name":"Cee","type":"NEW"})");
  INFO(created.body);
  REQUIRE(created.status == 201);
  check_progress_fields(created.doc);
  CHECK(created.doc["advertiserId"] == "C");
  CHECK(created.doc["advertiserType"] == "NEW");
  CHECK(created.doc["totalMonths"] == 24);
  CHECK(created.doc["backfillStartMonth"] == "2023-01");
  CHECK(d.post(v2 + "/advertisers", R"({"advertiserId":"E","name":"Ee","type":"EXISTING"})").status
        == 201);
  REQUIRE(reaches(d, "C", "LIVE"));
  REQUIRE(reaches(d, "E", "LIVE"));

  auto status = d.get(v2 + "/status");
  REQUIRE(status.status == 200);
  CHECK(status.doc["advertisers"]["total"] == 2);
  CHECK(status.doc["advertisers"]["EXISTING"]["active"] == 2);
  CHECK(status.doc["lifecycles"]["LIVE"] == 2);
  CHECK(status.doc["states"]["COMPLETED"].get<int>() >= 25);
  CHECK(status.doc["pool"]["coreSize"] == 5);
  CHECK(status.doc.contains("runningJobs"));
  CHECK(is_instant(status.doc["now"]));

  auto page = d.get(v2 + "/advertisers?limit=1");
  REQUIRE(page.status == 200);
  REQUIRE(page.doc["advertisers"].size() == 1);
  CHECK(page.doc["advertisers"][0]["advertiserId"] == "C");
  CHECK(page.doc["advertisers"][0]["lifecycle"] == "LIVE");
  CHECK(page.doc["advertisers"][0]["completedMonths"] == 24);
  CHECK(page.doc["next"] == "C");
  auto rest = d.get(v2 + "/advertisers?limit=1&after=C");
  REQUIRE(rest.doc["advertisers"].size() == 1);
  CHECK(rest.doc["advertisers"][0]["advertiserId"] == "E");
  CHECK(rest.doc["next"].is_null());
  CHECK(d.get(v2 + "/advertisers?lifecycle=DEACTIVATED").doc["advertisers"].empty());
  CHECK(d.get(v2 + "/advertisers?active=true").doc["advertisers"].size() == 2);

  auto detail = d.get(v2 + "/advertisers/C");
  REQUIRE(detail.status == 200);
  check_progress_fields(detail.doc);
  CHECK(detail.doc["lifecycle"] == "LIVE");
  CHECK(detail.doc["eta"].is_null());
  CHECK(detail.doc["why"].get<std::string>().rfind("idle until the next tick at ", 0) == 0);
  CHECK_FALSE(detail.doc["recentAttempts"].empty());

  auto progress = d.get(v2 + "/advertisers/C/backfill-progress");
  REQUIRE(progress.status == 200);
  check_progress_fields(progress.doc);
  CHECK(progress.doc["completedMonths"] == 24);
  CHECK(progress.doc["progressPercent"] == 100.0);
  CHECK(progress.doc["backfillCompleted"] == true);

  auto months = d.get(v2 + "/advertisers/C/processing-states");
  REQUIRE(months.status == 200);
  REQUIRE(months.doc.size() == 24);
  const auto& first = months.doc[0];
  CHECK(first["processingMonth"] == "2023-01");
  CHECK(first["status"] == "COMPLETED");
  CHECK(is_instant(first["startedAt"]));
  CHECK(is_instant(first["completedAt"]));
  CHECK(first["processedRecords"].get<int64_t>() > 0);
  CHECK(first["errorMessage"].is_null());
  CHECK(first["retryCount"] == 0);
  CHECK(first["maxRetries"] == 3);

  auto attempts = d.get(v2 + "/advertisers/C/months/2023-01/attempts");
  REQUIRE(attempts.status == 200);
  REQUIRE(attempts.doc.size() == 1);
  CHECK(attempts.doc[0]["attempt"] == 1);
  CHECK(attempts.doc[0]["outcome"] == "COMPLETED");
  CHECK(is_instant(attempts.doc[0]["finishedAt"]));
  CHECK(attempts.doc[0].contains("node"));

  auto nodes = d.get(v2 + "/nodes");
  INFO(nodes.body);
  REQUIRE(nodes.status == 200);
  REQUIRE(nodes.doc.is_array());
  REQUIRE(nodes.doc.size() == 1);
  const auto& me = nodes.doc[0];
  CHECK(me["live"] == true);
  CHECK(me["nodeId"].is_string());
  CHECK(me["pid"].get<int64_t>() > 0);
  CHECK(is_instant(me["startedAt"]));
  CHECK(is_instant(me["heartbeatAt"]));
  CHECK(me["heartbeatAgeSeconds"].get<double>() >= 0.0);
  CHECK(me["heartbeatAgeSeconds"].get<double>() < 30.0);
  CHECK(me["stoppedAt"].is_null());
  CHECK(me["advertisersOwned"] == 2);
  CHECK(me["runningJobs"].get<int64_t>() >= 0);

  auto running = d.get(v2 + "/running-jobs");
  REQUIRE(running.status == 200);
  CHECK(running.doc.is_array());

  auto health = d.get(v2 + "/health");
  REQUIRE(health.status == 200);
  CHECK(health.doc["status"] == "UP");
  for (const auto* part : {"store", "director", "supervisor", "pool", "writes"})
    CHECK(health.doc["components"][part]["status"] == "UP");
  CHECK(health.doc["residentBytes"].get<int64_t>() > 1024 * 1024);
  // C and E, each with an actor or hibernated.
  CHECK(health.doc["advertiserActors"].get<int64_t>()
          + health.doc["hibernatedAdvertisers"].get<int64_t>()
        == 2);

  auto trigger = d.post(v2 + "/advertisers/E/trigger");
  REQUIRE(trigger.status == 200);
  check_progress_fields(trigger.doc);
  // What `curl -X POST` sends: no body and no Content-Length.
  CHECK(d.raw_status_line("POST " + v2 + "/advertisers/E/trigger HTTP/1.1\r\nHost: test\r\n\r\n")
        == "HTTP/1.1 200 OK");
  auto off = d.post(v2 + "/advertisers/E/deactivate", R"({"reason":"spam traffic"})");
  REQUIRE(off.status == 200);
  CHECK(off.doc["active"] == false);
  CHECK(off.doc["deactivationReason"] == "deactivated by anonymous: spam traffic");
  REQUIRE(reaches(d, "E", "DEACTIVATED"));
  // The triggered attempt may still be finishing; once done, it names the reason alone.
  REQUIRE(api_daemon::eventually([&] {
    return d.get(v2 + "/advertisers/E").doc["why"]
           == "deactivated: deactivated by anonymous: spam traffic";
  }));
  auto on = d.post(v2 + "/advertisers/E/activate");
  REQUIRE(on.status == 200);
  CHECK(on.doc["active"] == true);
  auto retried = d.post(v2 + "/advertisers/C/retry/2024-12");
  INFO(retried.body);
  REQUIRE(retried.status == 200);
  CHECK(retried.doc["processingMonth"] == "2024-12");
  CHECK(retried.doc["retryCount"] == 0);
  REQUIRE(api_daemon::eventually([&] {
    auto history = d.get(v2 + "/advertisers/C/months/2024-12/attempts");
    return history.doc.size() == 2 && history.doc[1]["outcome"] == "COMPLETED";
  }));

  auto metrics = d.get("/metrics");
  REQUIRE(metrics.status == 200);
  for (const auto* name :
       {"cdpbatch_advertisers{lifecycle=\"LIVE\"}", "cdpbatch_months{status=\"COMPLETED\"}",
        "cdpbatch_running_jobs", "cdpbatch_pool_busy_runners", "cdpbatch_pool_runners",
        "cdpbatch_pool_queue_depth{lane=\"backfill\"}", "cdpbatch_attempts_total{outcome=\"completed\"}",
        "cdpbatch_job_duration_seconds_bucket", "cdpbatch_tick_duration_seconds",
        "cdpbatch_store_commit_duration_seconds", "cdpbatch_store_commit_batch_size",
        "cdpbatch_reaper_reaped_total", "cdpbatch_http_requests_total{code=\"201\",route=\"create\"}"}) {
    INFO(name);
    CHECK(metrics.body.find(name) != std::string::npos);
  }
}

TEST_CASE("REST: every refused request gets its status and {error, detail}, and changes nothing") {
  api_daemon d{each_backend(), {"--set", "http.token=s3cret"}};
  if (!d)
    return;
  REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"C","name":"Cee","type":"NEW"})", "s3cret")
            .status
          == 201);
  REQUIRE(reaches(d, "C", "LIVE"));
  auto before = d.dump();
  struct refusal {
    const char* method;
    std::string path;
    std::string body;
    std::string token;
    int status;
  };
  const std::string big(65 * 1024, 'x');
  const std::string token = "s3cret";
  std::vector<refusal> refused{
    {"GET", v2 + "/advertisers/bad%20id", "", "", 400},
    {"GET", v2 + "/advertisers/" + std::string(51, 'a'), "", "", 400},
    {"GET", v2 + "/advertisers?limit=0", "", "", 400},
    {"GET", v2 + "/advertisers?limit=1001", "", "", 400},
    {"GET", v2 + "/advertisers?lifecycle=live", "", "", 400},
    {"GET", v2 + "/advertisers?active=maybe", "", "", 400},
    {"GET", v2 + "/advertisers/C/months/2024-13/attempts", "", "", 400},
    {"POST", v2 + "/advertisers/C/retry/2024-1", "", token, 400},
    {"POST", v2 + "/advertisers", "{not json", token, 400},
    {"POST", v2 + "/advertisers", R"(["C"])", token, 400},
    {"POST", v2 + "/advertisers", R"({"advertiserId":7,"type":"NEW"})", token, 400},
    {"POST", v2 + "/advertisers", R"({"advertiserId":"D","type":"OLD"})", token, 400},
    {"POST", v2 + "/advertisers", R"({"advertiserId":"D"})", token, 400},
    {"POST", v2 + "/advertisers", R"({"advertiserId":"D E","type":"NEW"})", token, 400},
    {"POST", v2 + "/advertisers/C/deactivate", "", token, 400},
    {"POST", v2 + "/advertisers/C/deactivate", R"({"reason":"  "})", token, 400},
    {"POST", v2 + "/advertisers/C/deactivate", R"({"reason":7})", token, 400},
    {"POST", v2 + "/advertisers/C/deactivate", "not json", token, 400},
    {"POST", v2 + "/advertisers/C/deactivate", R"({"reason":")" + std::string(501, 'x') + "\"}",
     token, 400},
    {"POST", v2 + "/advertisers/C/deactivate", "", "", 401},
    {"POST", v2 + "/advertisers/C/deactivate", "", "s3cre", 401},
    {"POST", v2 + "/advertisers", R"({"advertiserId":"D","type":"NEW"})", "S3CRET", 401},
    {"POST", v2 + "/advertisers/C/retry/2024-12", "", "", 401},
    {"POST", v2 + "/advertisers/C/trigger", "", "", 401},
    {"GET", v2 + "/advertisers/nobody", "", "", 404},
    {"GET", v2 + "/advertisers/nobody/processing-states", "", "", 404},
    {"GET", v2 + "/advertisers/nobody/backfill-progress", "", "", 404},
    {"GET", v2 + "/advertisers/C/months/2019-01/attempts", "", "", 404},
    {"POST", v2 + "/advertisers/nobody/trigger", "", token, 404},
    {"POST", v2 + "/advertisers/nobody/activate", "", token, 404},
    {"POST", v2 + "/advertisers/C/retry/2019-01", "", token, 404},
    {"GET", v2 + "/nothing-here", "", "", 404},
    {"GET", "/no-such-page.html", "", "", 404},
    {"DELETE", v2 + "/status", "", "", 405},
    {"GET", v2 + "/advertisers/C/trigger", "", "", 405},
    {"PUT", v2 + "/advertisers/C", "{}", token, 405},
    {"POST", v2 + "/advertisers", R"({"advertiserId":"C","name":"x","type":"NEW"})", token, 409},
    {"POST", v2 + "/advertisers/C/retry/2023-01", "", token, 409},
    {"POST", v2 + "/advertisers", big, token, 413},
  };
  for (const auto& r : refused) {
    INFO(r.method << " " << r.path.substr(0, 80) << " → " << r.status);
    auto a = d.request(r.method, r.path, r.body, r.token);
    INFO(a.body.substr(0, 300));
    CHECK(a.status == r.status);
    REQUIRE(a.doc.is_object());
    CHECK(a.doc["error"].is_string());
    CHECK_FALSE(a.doc["detail"].get<std::string>().empty());
    if (r.status == 401)
      CHECK(a.header("WWW-Authenticate") == "Bearer");
    if (r.status == 405)
      CHECK_FALSE(a.header("Allow").empty());
  }
  // Its own answers changed nothing either; an allowed GET neither.
  CHECK(d.get(v2 + "/advertisers/C").status == 200);
  CHECK(d.dump() == before);
  // With the token, the same call goes through.
  CHECK(d.post(v2 + "/advertisers/C/deactivate", R"({"reason":"test"})", token).status == 200);
  CHECK(d.dump() != before);
}

TEST_CASE("REST: the token can come from CDPBATCH_API_TOKEN") {
  ::setenv("CDPBATCH_API_TOKEN", "from-env", 1);
  api_daemon d{"sqlite", {}};
  ::unsetenv("CDPBATCH_API_TOKEN");
  auto body = std::string{R"({"advertiserId":"E","type":"EXISTING"})"};
  CHECK(d.post(v2 + "/advertisers", body).status == 401);
  CHECK(d.post(v2 + "/advertisers", body, "from-env").status == 201);
  CHECK(d.get(v2 + "/advertisers/E").status == 200);
}

TEST_CASE("REST: a list page is reused for a second at most, and a change through the API shows at once") {
  api_daemon d{"sqlite", {"--set", "schedule.tick_interval=1h"}};
  REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"A","type":"EXISTING"})").status == 201);
  auto ids = [&] {
    std::vector<std::string> out;
    auto page = d.get(v2 + "/advertisers?limit=10");
    for (const auto& a : page.doc["advertisers"])
      out.push_back(a["advertiserId"]);
    return out;
  };
  CHECK(ids() == std::vector<std::string>{"A"});
  REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"B","type":"EXISTING"})").status == 201);
  CHECK(ids() == std::vector<std::string>{"A", "B"});
  REQUIRE(d.post(v2 + "/advertisers/B/deactivate", R"({"reason":"test"})").status == 200);
  auto page = d.get(v2 + "/advertisers?limit=10").doc["advertisers"];
  REQUIRE(page.size() == 2);
  CHECK(page[1]["active"] == false);
  // The same query with its parameters in another order is the same page.
  CHECK(d.get(v2 + "/advertisers?active=false&limit=10").doc["advertisers"].size() == 1);
  CHECK(d.get(v2 + "/advertisers?limit=10&active=false").doc["advertisers"].size() == 1);
}

TEST_CASE("REST: polled without pause, every status is counted at most a second before it is answered, and recounted") {
  api_daemon d{"sqlite", {"--set", "schedule.tick_interval=1h"}};
  // "2026-12-08T00:45:01.123Z" as milliseconds since the epoch.
  auto counted_ms = [](const std::string& iso) {
    std::tm t{};
    int ms = 0;
    REQUIRE(std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday,
                        &t.tm_hour, &t.tm_min, &t.tm_sec, &ms) == 7);
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    return static_cast<int64_t>(::timegm(&t)) * 1000 + ms;
  };
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
  };
  std::set<int64_t> counts;
  int64_t oldest = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{2500};
  while (std::chrono::steady_clock::now() < until) {
    auto s = d.get(v2 + "/status");
    auto received = now_ms();
    REQUIRE(s.status == 200);
    auto counted = counted_ms(s.doc["now"].get<std::string>());
    counts.insert(counted);
    oldest = std::max(oldest, received - counted);
  }
  INFO(counts.size() << " counts, the oldest answered " << oldest << " ms after it was made");
  CHECK(oldest <= 1000);
  CHECK(counts.size() >= 3);
}
