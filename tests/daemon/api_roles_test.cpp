#include "daemon/api_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

const std::string v2 = "/api/v2/batch";

/// One caller of the table: the token they send ("" for none).
struct caller_row {
  const char* name;
  std::string token;
};

/// Every endpoint of the API, and whether it changes the engine. A change
/// that is let through is sent to an advertiser of its own, so every one of
/// them succeeds.
struct endpoint_row {
  const char* method;
  std::string path;
  std::string body;
  bool changes;
};

std::vector<endpoint_row> endpoints(const std::string& own) {
  return {
    {"GET", v2 + "/status", "", false},
    {"GET", v2 + "/health", "", false},
    {"GET", v2 + "/running-jobs", "", false},
    {"GET", v2 + "/watch", "", false},
    {"GET", v2 + "/nodes", "", false},
    {"GET", v2 + "/advertisers", "", false},
    {"GET", v2 + "/audit", "", false},
    {"GET", v2 + "/advertisers/A", "", false},
    {"GET", v2 + "/advertisers/A/backfill-progress", "", false},
    {"GET", v2 + "/advertisers/A/processing-states", "", false},
    {"GET", v2 + "/advertisers/A/months/2024-12/attempts", "", false},
    {"GET", "/metrics", "", false},
    {"POST", v2 + "/advertisers",
     R"({"advertiserId":")" + own + R"(","name":"n","type":"EXISTING"})", true},
    {"POST", v2 + "/advertisers:bulk", "{\"advertiserId\":\"" + own + "-i\",\"type\":\"NEW\"}\n",
     true},
    {"POST", v2 + "/advertisers/" + own + "/trigger", "", true},
    {"POST", v2 + "/advertisers/" + own + "/deactivate", R"({"reason":"role test"})", true},
    {"POST", v2 + "/advertisers/" + own + "/activate", "", true},
  };
}

} // namespace

TEST_CASE("REST roles: each caller against each endpoint: read tokens read, operate tokens change") {
  // Off loopback (0.0.0.0), so reads need a token too.
  api_daemon d{"sqlite",
               {"--set", "http.listen=0.0.0.0:0", "--set", "http.token=op-default", "--set",
                R"(api.tokens=[{name="dashboard", role="read", token="dash-t"},)"
                R"({name="alice", role="operate", token="alice-t"}])"}};
  REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"A","name":"a","type":"EXISTING"})",
                 "op-default")
            .status
          == 201);
  // Its month done first, so that a refused caller's dump compares a store at rest.
  REQUIRE(api_daemon::eventually([&] {
    auto months = d.request("GET", v2 + "/advertisers/A/processing-states", "", "dash-t");
    return months.doc.is_array() && months.doc.size() == 1
           && months.doc[0]["status"] == "COMPLETED";
  }));
  const std::vector<caller_row> callers{
    {"nobody", ""}, {"a wrong token", "guess"}, {"dashboard", "dash-t"},
    {"alice", "alice-t"}, {"default", "op-default"}};
  for (size_t row = 0; row < callers.size(); ++row) {
    const auto& who = callers[row];
    bool known = who.token == "dash-t" || who.token == "alice-t" || who.token == "op-default";
    bool operate = known && who.token != "dash-t";
    auto before = d.dump();
    for (const auto& e : endpoints("R" + std::to_string(row))) {
      INFO(who.name << ": " << e.method << " " << e.path);
      auto got = d.request(e.method, e.path, e.body, who.token);
      INFO(got.body);
      if (!known) {
        CHECK(got.status == 401);
        CHECK(got.doc["error"] == "unauthorized");
      } else if (e.changes && !operate) {
        CHECK(got.status == 403);
        CHECK(got.doc["error"] == "forbidden");
        CHECK(got.doc["detail"].get<std::string>().find("needs role operate")
              != std::string::npos);
      } else {
        CHECK((got.status == 200 || got.status == 201));
      }
    }
    if (!operate)
      CHECK(d.dump() == before);
  }
  // The trail names each token's caller, a read token's refusals too.
  auto trail = d.get(v2 + "/audit?limit=200");
  INFO(trail.body);
  REQUIRE(trail.status == 401);
  trail = d.request("GET", v2 + "/audit?limit=200", "", "dash-t");
  std::map<std::string, int> done, refused;
  for (const auto& e : trail.doc["entries"])
    (e["outcome"] == "done" ? done : refused)[e["who"].get<std::string>()]++;
  CHECK(refused["unauthenticated"] == 10);
  CHECK(refused["dashboard"] == 5);
  CHECK(done["alice"] >= 5);
  CHECK(done["default"] >= 6);
  CHECK(done.count("dashboard") == 0);
}

TEST_CASE("REST roles: /auth tells the page its token's name and role") {
  api_daemon d{"sqlite",
               {"--set", "http.token=op-default", "--set",
                R"(api.tokens=[{name="dashboard", role="read", token="dash-t"}])"}};
  auto mine = d.request("GET", v2 + "/auth", "", "dash-t").doc;
  CHECK(mine["tokenRequired"] == true);
  CHECK(mine["tokenAccepted"] == true);
  CHECK(mine["name"] == "dashboard");
  CHECK(mine["role"] == "read");
  auto ops = d.request("GET", v2 + "/auth", "", "op-default").doc;
  CHECK(ops["name"] == "default");
  CHECK(ops["role"] == "operate");
  auto none = d.request("GET", v2 + "/auth", "", "guess").doc;
  CHECK(none["tokenAccepted"] == false);
  CHECK(none["role"].is_null());
  // On loopback a read token's reads are as open as everyone's, its changes not.
  CHECK(d.request("GET", v2 + "/status", "", "").status == 200);
  CHECK(d.request("POST", v2 + "/advertisers/A/trigger", "", "dash-t").status == 403);
}
