#include <catch2/catch.hpp>

#include <fstream>

#include "cdpctl/console_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

TEST_CASE("cdpctl roles: each token against each command: a read token looks, only operate changes") {
  console_daemon d{"[[api.tokens]]\nname = \"dashboard\"\nrole = \"read\"\ntoken = \"dash-t\"\n"
                   "[[api.tokens]]\nname = \"alice\"\nrole = \"operate\"\ntoken = \"alice-t\"\n"};
  auto import_file = d.dir / "import.csv";
  std::ofstream{import_file} << "advertiserId,type,active\nI1,NEW,true\n";
  struct command {
    std::vector<std::string> args;
    bool changes;
  };
  const std::vector<command> commands{
    {{"status"}, false},
    {{"get", "advertisers"}, false},
    {{"describe", "A"}, false},
    {{"audit", "--since", "1h"}, false},
    {{"watch", "--once"}, false},
    {{"trigger", "A"}, true},
    {{"deactivate", "A", "--reason", "role test"}, true},
    {{"activate", "A"}, true},
    {{"create", "D", "--name", "Dee"}, true},
    {{"import", import_file.string()}, true},
  };
  auto db = d.open();
  for (const auto& [who, token] : {std::pair{"nobody", ""}, std::pair{"dashboard", "dash-t"},
                                   std::pair{"alice", "alice-t"}}) {
    bool operate = std::string{who} == "alice";
    for (const auto& c : commands) {
      auto args = c.args;
      std::vector<std::string> env;
      if (*token != '\0')
        env.push_back(std::string{"CDPBATCH_API_TOKEN="} + token);
      auto r = d.ctl(args, env);
      INFO(who << ": cdpctl " << args.front() << "\n" << r.out << r.err);
      if (!c.changes || operate) {
        CHECK(r.code == 0);
      } else {
        CHECK(r.code == 1);
        CHECK(contains(r.err, *token ? "needs role operate" : "needs an API token"));
      }
    }
    if (!operate) {
      CHECK(db->get_advertiser("A")->active);
      CHECK_FALSE(db->get_advertiser("D"));
      CHECK_FALSE(db->get_advertiser("I1"));
    }
  }
  CHECK(db->get_advertiser("D"));
  CHECK(db->get_advertiser("I1"));
  auto trail = d.ctl({"audit", "--since", "1h", "--limit", "100"});
  CHECK(contains(trail.out, "dashboard"));
  CHECK(contains(trail.out, "alice"));
}
