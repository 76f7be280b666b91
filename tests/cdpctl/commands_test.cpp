#include <regex>

#include "cdpctl/json_answers.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

bool backfilled(store& db, const std::string& id) {
  auto who = db.get_advertiser(id);
  return who && who->backfill_completed;
}

} // namespace

TEST_CASE("cdpctl status, get advertisers, describe, progress, states and health print aligned answers") {
  console_daemon d;
  auto status = d.ctl({"status"});
  INFO(status.err);
  REQUIRE(status.code == 0);
  CHECK(contains(status.out, "node:"));
  CHECK(contains(status.out, "advertisers:   3: NEW 1 active, 0 inactive; EXISTING 2 active"));
  CHECK(contains(status.out, "runners:"));

  auto list = d.ctl({"get", "advertisers"});
  REQUIRE(list.code == 0);
  CHECK(list.out.rfind("ADVERTISER  NAME", 0) == 0);
  CHECK(lines_starting(list.out, "A ") == 1);
  CHECK(lines_starting(list.out, "B ") == 1);
  CHECK(lines_starting(list.out, "C ") == 1);
  auto page = d.ctl({"get", "advertisers", "--limit", "2"});
  REQUIRE(page.code == 0);
  CHECK(contains(page.out, "more: --after B"));
  auto rest = d.ctl({"get", "advertisers", "--after", "B"});
  CHECK(lines_starting(rest.out, "C ") == 1);
  CHECK(lines_starting(rest.out, "A ") == 0);

  auto detail = d.ctl({"describe", "C"});
  REQUIRE(detail.code == 0);
  CHECK(contains(detail.out, "advertiser:          C\n"));
  CHECK(contains(detail.out, "type:                NEW\n"));
  CHECK(contains(detail.out, "lifecycle:"));
  CHECK(contains(detail.out, "why:"));
  CHECK(contains(detail.out, "latest attempts"));

  auto progress = d.ctl({"progress", "C"});
  REQUIRE(progress.code == 0);
  CHECK(contains(progress.out, "of 24 months completed"));

  auto db = d.open();
  REQUIRE(eventually([&] { return backfilled(*db, "C"); }));
  auto states = d.ctl({"states", "C"});
  REQUIRE(states.code == 0);
  CHECK(states.out.rfind("MONTH    STATUS", 0) == 0);
  CHECK(lines_starting(states.out, "202") == 24);
  CHECK(contains(states.out, "2023-01  COMPLETED"));

  auto attempts = d.ctl({"attempts", "C", "2023-01"});
  REQUIRE(attempts.code == 0);
  CHECK(contains(attempts.out, "COMPLETED"));
  CHECK(lines_starting(attempts.out, "      1  ") == 1);

  auto running = d.ctl({"running"});
  REQUIRE(running.code == 0);
  CHECK(running.out.rfind("ADVERTISER  MONTH", 0) == 0);
  CHECK(contains(running.out.substr(0, running.out.find('\n')), "ATTEMPT  STARTED"));

  auto health = d.ctl({"health"});
  REQUIRE(health.code == 0);
  CHECK(health.out.rfind("UP", 0) == 0);
  CHECK(contains(health.out, "store"));
  CHECK(std::regex_search(health.out, std::regex{R"(supervisor +UP +\d+ advertiser actors, \d+ hibernated)"}));
  CHECK(std::regex_search(health.out, std::regex{R"(\nresident memory [1-9]\d* MiB\n$)"}));
}

TEST_CASE("cdpctl create, trigger, retry, deactivate and activate change the store") {
  console_daemon d;
  auto db = d.open();
  auto created = d.ctl({"create", "D", "--name", "Dee Dee"});
  INFO(created.err);
  REQUIRE(created.code == 0);
  CHECK(contains(created.out, "name:                Dee Dee"));
  auto dee = db->get_advertiser("D");
  REQUIRE(dee);
  CHECK(dee->name == "Dee Dee");
  CHECK(dee->type == advertiser_type::new_advertiser);
  CHECK(db->list_months("D")->size() == 24);

  auto existing = d.ctl({"create", "E", "--name", "Eve", "--existing"});
  REQUIRE(existing.code == 0);
  CHECK(db->get_advertiser("E")->type == advertiser_type::existing);

  REQUIRE(d.ctl({"trigger", "A"}).code == 0);

  CHECK(d.ctl({"deactivate", "B"}).code == 2);
  auto off = d.ctl({"deactivate", "B", "--reason", "test"});
  REQUIRE(off.code == 0);
  CHECK(contains(off.out, "active:               no"));
  CHECK_FALSE(db->get_advertiser("B")->active);
  auto trail = d.ctl({"audit", "--advertiser", "B", "--since", "1h"});
  REQUIRE(trail.code == 0);
  CHECK(std::regex_search(trail.out, std::regex{R"(\n\s*\d+ .* deactivate +B +- +done +test)"}));
  CHECK(std::regex_search(trail.out, std::regex{R"( create +B +- +done)"}));
  CHECK(contains(d.ctl({"describe", "B"}).out, "latest actions"));
  auto deactivated = d.ctl({"get", "advertisers", "--lifecycle", "DEACTIVATED"});
  CHECK(lines_starting(deactivated.out, "B ") == 1);
  CHECK(lines_starting(deactivated.out, "A ") == 0);
  REQUIRE(d.ctl({"activate", "B"}).code == 0);
  CHECK(db->get_advertiser("B")->active);

  // A month is retried while its advertiser rests, then runs once it is back.
  auto current = *year_month::parse("2024-12");
  REQUIRE(d.ctl({"deactivate", "A", "--reason", "test"}).code == 0);
  REQUIRE(eventually([&] { return db->get_month("A", current)->status != month_status::running; }));
  auto before = db->list_attempts("A", current)->size();
  auto retried = d.ctl({"retry", "A", "2024-12"});
  INFO(retried.err);
  REQUIRE(retried.code == 0);
  CHECK(contains(retried.out, "month:       2024-12"));
  CHECK(db->get_month("A", current)->retry_count == 0);
  REQUIRE(d.ctl({"activate", "A"}).code == 0);
  REQUIRE(eventually([&] { return db->list_attempts("A", current)->size() > before; }));
}

TEST_CASE("cdpctl prints the daemon's refusal, exits 1 and changes nothing") {
  console_daemon d;
  auto db = d.open();
  REQUIRE(d.ctl({"create", "D", "--name", "Dee"}).code == 0);
  auto again = d.ctl({"create", "D", "--name", "Other"});
  CHECK(again.code == 1);
  CHECK(again.err == "cdpctl: advertiser 'D' already exists\n");
  CHECK(db->get_advertiser("D")->name == "Dee");

  auto unknown = d.ctl({"describe", "nobody"});
  CHECK(unknown.code == 1);
  CHECK(contains(unknown.err, "nobody"));
  auto bad_id = d.ctl({"deactivate", "no spaces!", "--reason", "test"});
  CHECK(bad_id.code == 1);
  auto bad_month = d.ctl({"retry", "A", "2024-13"});
  CHECK(bad_month.code == 1);
  CHECK(contains(bad_month.err, "2024-13"));
  auto bad_lifecycle = d.ctl({"get", "advertisers", "--lifecycle", "SLEEPY"});
  CHECK(bad_lifecycle.code == 1);
  CHECK(db->get_advertiser("A")->active);
  CHECK_FALSE(db->get_advertiser("nobody"));
}

TEST_CASE("with an API token, cdpctl changes things only when it presents the token") {
  console_daemon d{"", {"--set", "http.token=s3cret"}};
  auto db = d.open();
  auto refused = d.ctl({"deactivate", "A", "--reason", "test"});
  CHECK(refused.code == 1);
  CHECK(contains(refused.err, "token"));
  CHECK(db->get_advertiser("A")->active);
  auto wrong_file = d.dir / "wrong.token";
  std::ofstream{wrong_file} << "guess\n";
  CHECK(d.ctl({"deactivate", "A", "--reason", "test", "--token-file", wrong_file.string()}).code == 1);
  CHECK(db->get_advertiser("A")->active);
  // Reading stays open to all.
  CHECK(d.ctl({"status"}).code == 0);

  auto token_file = d.dir / "api.token";
  std::ofstream{token_file} << "s3cret\n";
  REQUIRE(d.ctl({"deactivate", "A", "--reason", "test", "--token-file", token_file.string()}).code == 0);
  CHECK_FALSE(db->get_advertiser("A")->active);
  REQUIRE(d.ctl({"activate", "A"}, {"CDPBATCH_API_TOKEN=s3cret"}).code == 0);
  CHECK(db->get_advertiser("A")->active);
}

TEST_CASE("cdpctl exits 2 on a command line it cannot use") {
  console_daemon d;
  CHECK(d.ctl({}).code == 2);
  CHECK(d.ctl({"frobnicate"}).code == 2);
  CHECK(d.ctl({"describe"}).code == 2);
  CHECK(d.ctl({"create", "D"}).code == 2);
  CHECK(d.ctl({"status", "--timeout", "soon"}).code == 2);
  CHECK(d.ctl({"status", "--tls-cert", d.config.string()}).code == 2);
  CHECK(d.ctl({"watch", "--interval", "often"}).code == 2);
  auto bad = run_program({program("cdpctl"), "--connect", "nowhere", "status"}, d.dir);
  CHECK(bad.code == 2);
  CHECK(contains(bad.err, "--connect"));
  auto missing = run_program({program("cdpctl"), "--config", "/nonexistent.toml", "status"}, d.dir);
  CHECK(missing.code == 2);
  CHECK(d.ctl({"--help"}).code == 0);
}


TEST_CASE("cdpctl --output json prints the REST API's fields for every command") {
  console_daemon d;
  auto db = d.open();
  REQUIRE(eventually([&] { return backfilled(*db, "C"); }));
  auto ctl_json = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    return parsed(d.ctl(args));
  };

  auto status = ctl_json({"status"});
  CHECK(status["advertisers"]["total"] == 3);
  CHECK(keys_of(status) == keys_of(rest_get(d, "/status")));
  auto detail = ctl_json({"describe", "C"});
  CHECK(detail["advertiserId"] == "C");
  CHECK(detail["lifecycle"] == "LIVE");
  CHECK(keys_of(detail) == keys_of(rest_get(d, "/advertisers/C")));
  auto page = ctl_json({"get", "advertisers", "--limit", "2"});
  CHECK(page["advertisers"].size() == 2);
  CHECK(page["next"] == "B");
  CHECK(keys_of(page) == keys_of(rest_get(d, "/advertisers?limit=2")));
  auto progress = ctl_json({"progress", "C"});
  // Backfilled, C is EXISTING now and refreshes its current month.
  CHECK(progress["totalMonths"] == 24);
  CHECK(progress["completedMonths"].get<int>() + progress["runningMonths"].get<int>() == 24);
  CHECK(keys_of(progress) == keys_of(rest_get(d, "/advertisers/C/backfill-progress")));
  auto states = ctl_json({"states", "C"});
  REQUIRE(states.size() == 24);
  CHECK(states[0]["processingMonth"] == "2023-01");
  CHECK(keys_of(states) == keys_of(rest_get(d, "/advertisers/C/processing-states")));
  auto attempts = ctl_json({"attempts", "C", "2023-01"});
  CHECK(attempts[0]["outcome"] == "COMPLETED");
  CHECK(keys_of(attempts) == keys_of(rest_get(d, "/advertisers/C/months/2023-01/attempts")));
  CHECK(ctl_json({"running"}).is_array());
  CHECK(ctl_json({"health"})["status"] == "UP");
  auto created = ctl_json({"create", "D", "--name", "Dee"});
  CHECK(created["advertiserId"] == "D");
  CHECK(created["totalMonths"] == 24);
  CHECK(ctl_json({"deactivate", "D", "--reason", "test"})["active"] == false);
  CHECK(ctl_json({"activate", "D"})["active"] == true);
  CHECK(ctl_json({"trigger", "A"})["advertiserId"] == "A");
  auto frame = ctl_json({"watch", "--once"});
  CHECK(frame["status"]["node"].is_string());
  CHECK(frame["running"].is_array());
  CHECK(frame["backfilling"].is_array());
  CHECK(frame["recentFailures"].is_array());

  auto refused = d.ctl({"--output", "json", "describe", "nobody"});
  CHECK(refused.code == 1);
  auto body = json::parse(refused.out);
  CHECK(body["error"] == "not_found");
  CHECK(body["detail"] == "unknown advertiser 'nobody'");
}
