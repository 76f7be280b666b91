#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "web/webdriver.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

const std::string v2 = "/api/v2/batch";
const std::string token = "s3cret";

/// Where the screenshots of the page's main states go (the build folder).
std::filesystem::path shots() { return std::filesystem::path{CDP_SCREENSHOT_DIR}; }

/// A daemon whose month job fails for advertisers named BAD*, with retries
/// a few milliseconds apart so they end deactivated within the test, and
/// takes its time for SLOW* ones, so their backfill can be seen.
std::vector<std::string> failing_command_job() {
  return {"--set", "http.token=" + token,
          "--set", "job.kind=command",
          "--set", R"(job.command.argv=["/bin/sh", "-c", "case {advertiser} in BAD*) echo 'source table locked' >&2; exit 3;; SLOW*) sleep 0.4;; esac"])",
          "--set", "retry.backoff_base=20ms",
          "--set", "retry.backoff_max=40ms"};
}

bool active_in_store(api_daemon& d, const std::string& id) {
  auto all = d.db().list_advertisers(false);
  REQUIRE(all);
  auto it = std::find_if(all->begin(), all->end(), [&](const auto& a) { return a.id == id; });
  REQUIRE(it != all->end());
  return it->active;
}

bool in_store(api_daemon& d, const std::string& id) {
  auto all = d.db().list_advertisers(false);
  REQUIRE(all);
  return std::any_of(all->begin(), all->end(), [&](const auto& a) { return a.id == id; });
}

/// Waits until the page has finished a round of questions begun after now,
/// so what it shows was asked after every change before this call.
void fresh_round(browser& b) {
  auto seen = b.rounds();
  REQUIRE(api_daemon::eventually([&] { return b.rounds() >= seen + 2; }, std::chrono::seconds{20}));
}

} // namespace

TEST_CASE("the operator's page shows what the API says and its buttons do what the API does") {
  api_daemon d{"sqlite", failing_command_job()};
  REQUIRE(d);
  for (auto [id, type] : {std::pair{"A", "EXISTING"}, {"B", "EXISTING"}, {"C", "NEW"}, {"BAD", "NEW"}})
    REQUIRE(d.post(v2 + "/advertisers",
                   json{{"advertiserId", id}, {"name", std::string{"Advertiser "} + id}, {"type", type}}.dump(),
                   token)
              .status
            == 201);
  // Quiet before the page looks: C backfilled, BAD out of retries.
  REQUIRE(api_daemon::eventually([&] {
    auto s = d.get(v2 + "/status").doc;
    return s["lifecycles"]["LIVE"] == 3 && s["lifecycles"]["DEACTIVATED"] == 1 && s["runningJobs"] == 0;
  }));

  browser b;
  auto page = "http://127.0.0.1:" + std::to_string(d.port()) + "/";
  b.open(page);

  SECTION("without the token it shows only the prompt; a wrong one is refused") {
    REQUIRE(api_daemon::eventually([&] { return b.shown("#login"); }));
    CHECK_FALSE(b.shown("#dashboard"));
    CHECK(b.text("#stat-total") == "–");
    b.screenshot(shots() / "token-prompt.png");
    b.type("#token-input", "not-it\n");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#login-error"); }));
    CHECK_FALSE(b.shown("#dashboard"));
    CHECK(b.console_errors() == std::vector<std::string>{});
  }

  SECTION("with the token its numbers equal the API's, and actions change the store") {
    b.type("#token-input", token + "\n");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#dashboard") && b.rounds() > 0; }));
    fresh_round(b);

    auto status = d.get(v2 + "/status").doc;
    for (auto lc : {"NEW", "BACKFILLING", "LIVE", "DEGRADED", "DEACTIVATED"}) {
      INFO(lc);
      CHECK(b.text(std::string{"#count-"} + lc) == status["lifecycles"][lc].dump());
    }
    for (auto st : {"PENDING", "RUNNING", "COMPLETED", "FAILED"}) {
      INFO(st);
      CHECK(b.text(std::string{"#stat-months-"} + st) == status["states"][st].dump());
    }
    CHECK(b.text("#stat-total") == status["advertisers"]["total"].dump());
    CHECK(b.text("#stat-busy") == status["pool"]["busy"].dump());
    CHECK(b.text("#stat-runners") == status["pool"]["runners"].dump());
    CHECK(b.text("#stat-queue-cap") == status["pool"]["queueCapacity"].dump());
    CHECK(b.text("#stat-jobs-done") == status["pool"]["jobsDone"].dump());
    CHECK(b.text("#stat-running") == status["runningJobs"].dump());

    // The table is the API's first page, row for row, with each row's why.
    auto list = d.get(v2 + "/advertisers?limit=25").doc["advertisers"];
    auto ids = b.run("return [...document.querySelectorAll('#advertisers tbody tr')].map(r => r.dataset.id);");
    REQUIRE(ids.size() == list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      auto id = list[i]["advertiserId"].get<std::string>();
      CHECK(ids[i] == id);
      auto row = "#advertisers tr[data-id='" + id + "'] ";
      CHECK(b.text(row + ".progress-text")
            == list[i]["completedMonths"].dump() + "/" + list[i]["totalMonths"].dump());
      CHECK(b.text(row + ".why") == d.get(v2 + "/advertisers/" + id).doc["why"].get<std::string>());
    }
    CHECK(b.run("return document.querySelectorAll('#nodes tbody tr').length;")
          == d.get(v2 + "/nodes").doc.size());
    CHECK(b.run("return document.querySelectorAll('#health tbody tr').length;")
          == d.get(v2 + "/health").doc["components"].size());
    CHECK(b.text("#health-badge") == "UP");
    // BAD's failed attempts are the recent failures, with the job's error.
    CHECK(b.text("#failures tbody").find("source table locked") != std::string::npos);
    b.screenshot(shots() / "dashboard.png");

    // A filter asks the API for that lifecycle only.
    b.click(".lc[data-lifecycle='DEACTIVATED']");
    REQUIRE(api_daemon::eventually([&] {
      auto rows = b.run("return [...document.querySelectorAll('#advertisers tbody tr')].map(r => r.dataset.id);");
      return rows == json::array({"BAD"});
    }));
    b.click(".lc[data-lifecycle='DEACTIVATED']");

    // The detail panel: one cell per month, coloured by its status.
    b.open(page + "#advertiser=C");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#detail") && b.text("#detail-id") == "C"; }));
    fresh_round(b);
    auto months = d.get(v2 + "/advertisers/C/processing-states").doc;
    auto cells = b.run("return [...document.querySelectorAll('#month-grid .cell')]"
                       ".map(c => c.dataset.month + ' ' + c.dataset.status);");
    REQUIRE(cells.size() == months.size());
    CHECK(cells.size() == 24);
    for (size_t i = 0; i < months.size(); ++i)
      CHECK(cells[i] == months[i]["processingMonth"].get<std::string>() + " "
                          + months[i]["status"].get<std::string>());
    b.click("#month-grid .cell[data-month='2023-01']");
    REQUIRE(api_daemon::eventually([&] { return b.text("#attempts-title") == "Attempts of 2023-01"; }));
    b.screenshot(shots() / "advertiser-detail.png");
    CHECK(b.console_errors() == std::vector<std::string>{});

    // Deactivate asks first: cancelled, nothing changes.
    b.open(page + "#advertiser=B");
    REQUIRE(api_daemon::eventually([&] { return b.text("#detail-id") == "B" && b.shown("#act-deactivate"); }));
    auto before = d.dump();
    b.click("#act-deactivate");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#confirm"); }));
    CHECK(b.text("#confirm-text").find("Deactivate B?") == 0);
    b.screenshot(shots() / "confirm-deactivate.png");
    b.click("#confirm-cancel");
    fresh_round(b);
    CHECK(d.dump() == before);
    // Confirmed, the store holds what the API's deactivate writes.
    // Confirmed without a reason, the dialog stays: a deactivation says why.
    b.click("#act-deactivate");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#confirm"); }));
    b.click("#confirm-ok");
    CHECK(b.shown("#confirm"));
    b.type("#confirm-reason", "spam traffic");
    b.click("#confirm-ok");
    REQUIRE(api_daemon::eventually([&] { return !active_in_store(d, "B"); }));
    auto detail = d.get(v2 + "/advertisers/B").doc;
    CHECK(detail["deactivationReason"] == "deactivated by default: spam traffic");
    CHECK(detail["recentActions"][0]["action"] == "deactivate");
    CHECK(detail["recentActions"][0]["reason"] == "spam traffic");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#act-activate"); }));

    // A refusal shows the API's own words and changes nothing.
    b.open(page + "#advertiser=BAD");
    REQUIRE(api_daemon::eventually([&] { return b.text("#detail-id") == "BAD" && b.shown("#act-activate"); }));
    before = d.dump();
    auto refused = d.post(v2 + "/advertisers/BAD/activate", "", token);
    REQUIRE(refused.status == 409);
    b.click("#act-activate");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#confirm"); }));
    b.click("#confirm-ok");
    // The banner may still show the deactivation's answer until the refusal's comes.
    auto detail_text = refused.doc["detail"].get<std::string>();
    REQUIRE(api_daemon::eventually([&] {
      return b.shown("#banner") && b.text("#banner-text").find(detail_text) != std::string::npos;
    }));
    CHECK(d.dump() == before);
    b.screenshot(shots() / "refused-activate.png");
    // The browser reports the 409 it was given, and nothing else.
    for (const auto& line : b.console_errors()) {
      INFO(line);
      CHECK(line.find("/advertisers/BAD/activate") != std::string::npos);
      CHECK(line.find("409") != std::string::npos);
    }

    // Create, from the dialog, after a confirmation.
    b.click("#create-open");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#create"); }));
    b.type("#create-id", "SLOW-D");
    b.type("#create-name", "Advertiser D (slow months)");
    b.click("#create-ok");
    REQUIRE(api_daemon::eventually([&] { return b.shown("#confirm"); }));
    CHECK(b.text("#confirm-text") == "Create advertiser SLOW-D (NEW)?");
    b.click("#confirm-ok");
    REQUIRE(api_daemon::eventually([&] { return in_store(d, "SLOW-D"); }));
    REQUIRE(api_daemon::eventually([&] { return b.text("#detail-id") == "SLOW-D"; }));
    CHECK(d.get(v2 + "/advertisers/SLOW-D").doc["name"] == "Advertiser D (slow months)");
    // Its backfill as it runs: the README's picture.
    REQUIRE(api_daemon::eventually([&] {
      return b.run("return document.querySelectorAll('#month-grid .st-COMPLETED').length;") >= 4
             && b.shown("#month-grid .st-RUNNING");
    }));
    b.screenshot(shots() / "backfilling.png");
    CHECK(b.console_errors() == std::vector<std::string>{});
  }
}

TEST_CASE("the operator's page pages through advertisers and never asks for them all") {
  api_daemon d{"sqlite", {"--set", "job.simulated.latency=1ms"}};
  REQUIRE(d);
  // 60 advertisers: three pages of 25.
  for (int i = 0; i < 60; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "P%02d", i);
    REQUIRE(d.post(v2 + "/advertisers", json{{"advertiserId", id}, {"type", "EXISTING"}}.dump()).status
            == 201);
  }
  browser b;
  // No token configured: no prompt.
  b.open("http://127.0.0.1:" + std::to_string(d.port()) + "/");
  REQUIRE(api_daemon::eventually([&] { return b.shown("#dashboard") && b.rounds() > 0; }));
  CHECK_FALSE(b.shown("#login"));
  CHECK_FALSE(b.shown("#forget-token"));
  auto first_id = [&] { return b.text("#advertisers tbody tr:first-child td:first-child"); };
  auto rows = [&] { return b.run("return document.querySelectorAll('#advertisers tbody tr').length;"); };
  CHECK(first_id() == "P00");
  CHECK(rows() == 25);
  b.click("#page-next");
  REQUIRE(api_daemon::eventually([&] { return first_id() == "P25"; }));
  b.click("#page-next");
  REQUIRE(api_daemon::eventually([&] { return first_id() == "P50"; }));
  CHECK(rows() == 10);
  CHECK(b.run("return document.getElementById('page-next').disabled;") == true);
  b.click("#page-prev");
  REQUIRE(api_daemon::eventually([&] { return first_id() == "P25"; }));
  // Search by id: the id itself and those that begin with it.
  b.type("#search", "P3\n");
  REQUIRE(api_daemon::eventually([&] { return first_id() == "P30"; }));
  CHECK(rows() == 10);
  b.type("#search", "7\n");
  REQUIRE(api_daemon::eventually([&] { return rows() == 1 && first_id() == "P37"; }));
  // Every list call it made was one page, never the whole list.
  auto log = b.run("return performance.getEntriesByType('resource').map(e => e.name)"
                   ".filter(n => n.includes('/advertisers?'));");
  REQUIRE_FALSE(log.empty());
  for (const auto& url : log) {
    INFO(url);
    CHECK(url.get<std::string>().find("limit=25") != std::string::npos);
  }
  CHECK(b.console_errors() == std::vector<std::string>{});
}
