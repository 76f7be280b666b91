#include "console/admin_fixture.hpp"
#include "console/tls_basp_peer.hpp"
#include "console/tls_files.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

/// A change with the subject a console would like to have.
console::reply<advertiser_progress> deactivate_claiming(console_side& console, const std::string& subject) {
  return console.daemon.ask<advertiser_progress>(deactivate_atom_v,
                                                 operator_call{"token", "spam", subject},
                                                 std::string{"A"});
}

/// A TLS admin port with alice connected: her certificate says
/// "/O=Example/CN=alice", signed by the daemon's CA.
struct alice_on_tls {
  tls_files certs;
  scripted_daemon endpoint{scripted_daemon::quick_port(), certs.daemon()};
  console_side alice{endpoint.port, certs.named("alice", "/O=Example/CN=alice")};

  alice_on_tls() { REQUIRE(alice.open() == ""); }
};

} // namespace

TEST_CASE("over mutual TLS the operator gets the subject of the console's certificate, not the "
          "one the console sent") {
  alice_on_tls tls;
  auto& [certs, endpoint, alice] = tls;
  REQUIRE(deactivate_claiming(alice, "CN=root,O=Example"));
  REQUIRE(deactivate_claiming(alice, ""));
  console_side console{endpoint.port, certs.console()};
  REQUIRE(console.open() == "");
  REQUIRE(deactivate_claiming(console, "CN=alice,O=Example"));
  CHECK(endpoint.calls->seen_subjects()
        == std::vector<std::string>{"CN=alice,O=Example", "CN=alice,O=Example",
                                    "CN=cdpbatch console"});
  CHECK(endpoint.log.shows("is 'CN=alice,O=Example'"));
}

TEST_CASE("on the plain loopback port the operator gets no subject, whatever the console sent") {
  scripted_daemon endpoint;
  console_side console{endpoint.port};
  REQUIRE(console.open() == "");
  REQUIRE(deactivate_claiming(console, "CN=alice,O=Example"));
  CHECK(endpoint.calls->seen_subjects() == std::vector<std::string>{""});
}

TEST_CASE("a TLS console announcing the node of a console connected with another subject is "
          "dropped, and that console served") {
  alice_on_tls tls;
  auto& [certs, endpoint, alice] = tls;
  tls_basp_peer mallory{endpoint.port, certs.named("mallory", "/O=Example/CN=mallory")};
  mallory.announce(alice.sys, alice.sys.node());
  CHECK(mallory.closed_within(3s));
  CHECK(endpoint.log.shows("as 'CN=mallory,O=Example', but that node is connected as "
                           "'CN=alice,O=Example'"));
  REQUIRE(deactivate_claiming(alice, ""));
  CHECK(endpoint.calls->seen_subjects() == std::vector<std::string>{"CN=alice,O=Example"});
}

TEST_CASE("a TLS console sending a routed message, which names its own source node, is dropped") {
  tls_files certs;
  scripted_daemon endpoint{scripted_daemon::quick_port(), certs.daemon()};
  console_side other{0};
  tls_basp_peer mallory{endpoint.port, certs.console()};
  mallory.announce(other.sys, other.sys.node());
  mallory.send(basp_header(3, 0));
  CHECK(mallory.closed_within(3s));
  CHECK(endpoint.log.shows("it sent a routed message"));
}

TEST_CASE("a console's subject is known while one of its connections is open") {
  admin_peers peers;
  auto a = caf::make_node_id(1, caf::node_id::default_data::host_id_type{{1}});
  auto b = caf::make_node_id(2, caf::node_id::default_data::host_id_type{{1}});
  CHECK_FALSE(peers.subject_of(a));
  CHECK(peers.record(a, "CN=alice"));
  CHECK(peers.record(a, "CN=alice"));
  CHECK_FALSE(peers.record(a, "CN=mallory"));
  CHECK(peers.record(b, "CN=bob"));
  peers.forget(a);
  CHECK(peers.subject_of(a) == "CN=alice");
  peers.forget(a);
  CHECK_FALSE(peers.subject_of(a));
  CHECK(peers.record(a, "CN=mallory"));
  CHECK(peers.subject_of(b) == "CN=bob");
}
