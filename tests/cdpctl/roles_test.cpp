#include <catch2/catch.hpp>

#include <fstream>

#include "cdpctl/console_daemon.hpp"
#include "console/tls_files.hpp"

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

TEST_CASE("cdpctl roles: over mutual TLS the certificate's subject is who, admin.roles its role") {
  tls_files certs;
  auto daemon = certs.daemon();
  console_daemon d{"[admin.tls]\ncert = \"" + daemon.tls_cert + "\"\nkey = \"" + daemon.tls_key
                   + "\"\nca = \"" + daemon.tls_ca + "\"\n[admin.roles]\n"
                   + "\"CN=alice,O=Example\" = \"operate\"\n\"CN=dash,O=Example\" = \"read\"\n",
                   {"--set", "http.token=op-default"}};
  auto as = [&](const remote_settings& side, std::vector<std::string> args) {
    for (const auto& x : {"--tls-cert", side.tls_cert.c_str(), "--tls-key", side.tls_key.c_str(),
                          "--tls-ca", side.tls_ca.c_str()})
      args.emplace_back(x);
    return d.ctl(args, {"CDPBATCH_API_TOKEN=op-default"});
  };
  auto alice = certs.named("alice", "/O=Example/CN=alice");
  auto dash = certs.named("dash", "/O=Example/CN=dash");
  auto mallory = certs.named("mallory", "/O=Example/CN=mallory");
  auto db = d.open();
  // A read subject looks but does not change, even with the operate token.
  CHECK(as(dash, {"describe", "A"}).code == 0);
  CHECK(as(dash, {"watch", "--once"}).code == 0);
  auto refused = as(dash, {"deactivate", "A", "--reason", "role test"});
  CHECK(refused.code == 1);
  CHECK(contains(refused.err, "'CN=dash,O=Example' has role read"));
  // A subject admin.roles does not name only reads.
  CHECK(as(mallory, {"trigger", "A"}).code == 1);
  CHECK(db->get_advertiser("A")->active);
  REQUIRE(as(alice, {"deactivate", "A", "--reason", "role test"}).code == 0);
  CHECK_FALSE(db->get_advertiser("A")->active);
  auto trail = db->page_audit({});
  REQUIRE(trail);
  std::vector<std::string> seen;
  for (const auto& e : trail->entries)
    if (e.who != "demo")
      seen.push_back(e.who + " " + std::string{to_string(e.outcome)});
  CHECK(seen == std::vector<std::string>{"CN=alice,O=Example done", "CN=mallory,O=Example refused",
                                         "CN=dash,O=Example refused"});
}
