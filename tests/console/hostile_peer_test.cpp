#include <random>

#include "console/admin_fixture.hpp"
#include "console/raw_peer.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

constexpr uint8_t client_handshake = 0x01;

/// A real console still gets its answers.
void still_serves(const scripted_daemon& endpoint) {
  console_side console{endpoint.port};
  REQUIRE(console.open() == "");
  CHECK(console.daemon.ask<system_status>(status_atom_v));
}

} // namespace

TEST_CASE("a peer announcing a 4 GB frame is cut off before anything is allocated") {
  scripted_daemon endpoint;
  raw_peer peer{endpoint.port};
  peer.send(basp_header(client_handshake, 0xFFFFFFF0));
  CHECK(peer.closed_within(2s));
  CHECK(endpoint.log.shows("it announced a frame of 4294967280 bytes (at most 1048576)"));
  still_serves(endpoint);
}

TEST_CASE("garbage bytes close that connection only") {
  scripted_daemon endpoint;
  std::mt19937 random{42};
  std::string garbage(4096, '\0');
  for (auto& c : garbage)
    c = static_cast<char>(random());
  raw_peer peer{endpoint.port};
  console_side console{endpoint.port};
  REQUIRE(console.open() == "");
  peer.send(garbage);
  CHECK(peer.closed_within(2s));
  CHECK(console.daemon.ask<system_status>(status_atom_v));
  still_serves(endpoint);
}

TEST_CASE("a truncated handshake and a silent peer are dropped at the handshake deadline") {
  scripted_daemon endpoint;
  raw_peer truncated{endpoint.port};
  truncated.send(basp_header(client_handshake, 100).substr(0, 7));
  raw_peer silent{endpoint.port};
  // While both hang on, a real console is served.
  still_serves(endpoint);
  CHECK(truncated.closed_within(3s));
  CHECK(silent.closed_within(3s));
  CHECK(endpoint.log.shows("no handshake within 300ms"));
  still_serves(endpoint);
}

TEST_CASE("a header without its payload waits for the deadline, then goes") {
  scripted_daemon endpoint;
  raw_peer peer{endpoint.port};
  peer.send(basp_header(client_handshake, 200));
  CHECK(peer.closed_within(3s));
  still_serves(endpoint);
}

TEST_CASE("a console that finished its handshake outlives the handshake deadline") {
  scripted_daemon endpoint;
  console_side console{endpoint.port};
  REQUIRE(console.open() == "");
  std::this_thread::sleep_for(800ms);
  CHECK(console.daemon.ask<system_status>(status_atom_v));
  CHECK_FALSE(endpoint.log.has("no handshake within"));
}
