#include <fstream>

#include "daemon/api_daemon.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

const std::string v2 = "/api/v2/batch";

/// A month job that fails while `broken` exists: the test mends the cause.
std::vector<std::string> probing_daemon(const std::filesystem::path& broken) {
  return {"--set", "probe.enabled=true",
          "--set", "probe.interval=300ms",
          "--set", "retry.max_retries=0",
          "--set", "backfill.months=2",
          "--set", "job.kind=command",
          "--set", R"(job.command.argv=["/bin/sh", "-c", "test ! -e )" + broken.string()
                     + R"( || { echo source down >&2; exit 1; }"])"};
}

json describe(api_daemon& d, const std::string& id) {
  auto a = d.get(v2 + "/advertisers/" + id);
  REQUIRE(a.status == 200);
  return a.doc;
}

json until(api_daemon& d, const std::function<bool(const json&)>& ok) {
  json last;
  api_daemon::eventually([&] {
    last = describe(d, "A");
    return ok(last);
  });
  return last;
}

size_t probes(const json& attempts, const char* outcome) {
  size_t n = 0;
  for (const auto& a : attempts)
    n += a["probe"] == true && a["outcome"] == outcome ? 1 : 0;
  return n;
}

} // namespace

TEST_CASE("probe: a failed month's advertiser is probed over REST until its source mends, then resumes") {
  auto broken = std::filesystem::temp_directory_path()
                / ("cdpbatch-source-down-" + std::to_string(::getpid()));
  std::ofstream{broken} << "down\n";
  api_daemon d{"sqlite", probing_daemon(broken)};
  auto made = d.post(v2 + "/advertisers", R"({"advertiserId":"A","type":"NEW"})");
  REQUIRE(made.status == 201);

  // Off after its first month failed; probed, and a failed probe keeps it off.
  auto off = until(d, [](const json& j) {
    return j["active"] == false && j["why"].get<std::string>().find("last probe FAILED")
                                     != std::string::npos;
  });
  INFO(off.dump());
  CHECK(off["lifecycle"] == "DEACTIVATED");
  CHECK(std::regex_search(
    off["why"].get<std::string>(),
    std::regex{R"(^deactivated: 2024-11 failed once: .*; (next probe at \d\d:\d\d:\d\d|probe due now); last probe FAILED at )"}));
  auto history = d.get(v2 + "/advertisers/A/months/2024-11/attempts").doc;
  INFO(history.dump());
  REQUIRE(history.size() >= 2);
  CHECK(history[0]["probe"] == false);
  CHECK(history[0]["outcome"] == "FAILED");
  CHECK(probes(history, "FAILED") >= 1);
  CHECK(d.get(v2 + "/advertisers/A/processing-states").doc[1]["status"] == "PENDING");

  std::filesystem::remove(broken);
  auto back = until(d, [](const json& j) {
    return j["active"] == true && j["completedMonths"] == 2;
  });
  INFO(back.dump());
  CHECK(back["lifecycle"] == "LIVE");
  CHECK(back["deactivationReason"].is_null());
  history = d.get(v2 + "/advertisers/A/months/2024-11/attempts").doc;
  CHECK(probes(history, "COMPLETED") == 1);
  CHECK(history.back()["probe"] == true);
  CHECK(history.back()["outcome"] == "COMPLETED");
  auto dec = d.get(v2 + "/advertisers/A/months/2024-12/attempts").doc;
  REQUIRE_FALSE(dec.empty());
  CHECK(dec[0]["probe"] == false);
}

TEST_CASE("probe: off by default, a failed month's advertiser stays off and why names no probe") {
  auto broken = std::filesystem::temp_directory_path()
                / ("cdpbatch-source-off-" + std::to_string(::getpid()));
  std::ofstream{broken} << "down\n";
  auto args = probing_daemon(broken);
  args[1] = "probe.enabled=false";
  api_daemon d{"sqlite", args};
  REQUIRE(d.post(v2 + "/advertisers", R"({"advertiserId":"A","type":"NEW"})").status == 201);
  auto off = until(d, [](const json& j) { return j["active"] == false; });
  std::filesystem::remove(broken);
  std::this_thread::sleep_for(900ms);
  auto still = describe(d, "A");
  INFO(still.dump());
  CHECK(still["active"] == false);
  CHECK(still["why"].get<std::string>().find("probe") == std::string::npos);
  CHECK(d.get(v2 + "/advertisers/A/months/2024-11/attempts").doc.size() == 1);
}
