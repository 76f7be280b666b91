#include "console/admin_fixture.hpp"
#include "console/raw_peer.hpp"
#include "console/tls_files.hpp"

using namespace cdp;
using namespace cdp::test;

TEST_CASE("with TLS a console holding a certificate of the daemon's CA is served") {
  tls_files certs;
  scripted_daemon endpoint{scripted_daemon::quick_port(), certs.daemon()};
  console_side console{endpoint.port, certs.console()};
  REQUIRE(console.open() == "");
  auto status = console.daemon.ask<system_status>(status_atom_v);
  REQUIRE(status);
  CHECK(status->node == "scripted");
  REQUIRE(console.daemon.subscribe(50ms));
  auto frame = console.daemon.next_frame(2s);
  REQUIRE(frame);
  CHECK(*frame);
}

TEST_CASE("with TLS a console whose certificate another CA signed is refused, and others served") {
  tls_files certs;
  scripted_daemon endpoint{scripted_daemon::quick_port(), certs.daemon()};
  {
    console_side rogue{endpoint.port, certs.rogue()};
    auto hello = rogue.daemon.open();
    REQUIRE_FALSE(hello);
    CHECK(hello.error().status == console::exit_status::unreachable);
    CHECK(hello.error().message.find("the handshake failed") != std::string::npos);
  }
  CHECK(endpoint.log.shows("closed before its handshake finished"));
  console_side console{endpoint.port, certs.console()};
  REQUIRE(console.open() == "");
  CHECK(console.daemon.ask<system_status>(status_atom_v));
}

TEST_CASE("with TLS a console without TLS is refused, and others served") {
  tls_files certs;
  scripted_daemon endpoint{scripted_daemon::quick_port(), certs.daemon()};
  {
    console_side plain{endpoint.port};
    auto hello = plain.daemon.open();
    REQUIRE_FALSE(hello);
    CHECK(hello.error().status == console::exit_status::unreachable);
    CHECK(hello.error().message.find("the handshake failed") != std::string::npos);
  }
  raw_peer garbage{endpoint.port};
  garbage.send(std::string(512, 'x'));
  CHECK(garbage.closed_within(3s));
  raw_peer silent{endpoint.port};
  CHECK(silent.closed_within(3s));
  console_side console{endpoint.port, certs.console()};
  REQUIRE(console.open() == "");
  CHECK(console.daemon.ask<system_status>(status_atom_v));
}
