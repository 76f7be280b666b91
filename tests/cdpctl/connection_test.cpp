#include <sys/socket.h>

#include "actors/interfaces.hpp"
#include "cdpctl/console_daemon.hpp"
#include "console/raw_peer.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

/// A loopback port with a listening socket that never accepts: the kernel
/// completes connections, nobody speaks.
struct silent_listener {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  uint16_t port = 0;
  silent_listener() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~silent_listener() { ::close(fd); }
};

program_result ctl_at(const std::string& address, const std::filesystem::path& scratch,
                      std::vector<std::string> args) {
  std::vector<std::string> argv{program("cdpctl"), "--connect", address};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, scratch);
}

} // namespace

TEST_CASE("cdpctl exits 3 naming the address when nothing listens there") {
  auto scratch = std::filesystem::temp_directory_path();
  uint16_t closed_port = 0;
  {
    silent_listener gone;
    closed_port = gone.port;
  }
  auto address = "127.0.0.1:" + std::to_string(closed_port);
  auto r = ctl_at(address, scratch, {"status"});
  CHECK(r.code == 3);
  CHECK(contains(r.err, "daemon unreachable at " + address));
  CHECK(r.took < 5s);
}

TEST_CASE("cdpctl exits 3 within its timeout when the daemon does not answer") {
  silent_listener mute;
  auto address = "127.0.0.1:" + std::to_string(mute.port);
  auto r = ctl_at(address, std::filesystem::temp_directory_path(),
                  {"status", "--timeout", "500ms"});
  CHECK(r.code == 3);
  CHECK(r.err == "cdpctl: daemon unreachable at " + address + ": no answer within 500ms\n");
  CHECK(r.took < 3s);
}

TEST_CASE("a console of another protocol version gets the clear error and exit 1, never a crash") {
  console_daemon d;
  auto other = run_program({program("other_console_child"), "127.0.0.1", std::to_string(d.port),
                            "hello"},
                           d.dir);
  CHECK(other.code == 1);
  CHECK(other.err
        == "cdpctl: incompatible daemon: protocol " + std::to_string(admin_protocol_version)
             + ", console speaks " + std::to_string(admin_protocol_version + 1) + "\n");
  CHECK(d.logged("refused a console speaking protocol"));
  // What a typed connect would have said instead: no versions, no crash.
  auto typed = run_program({program("other_console_child"), "127.0.0.1", std::to_string(d.port),
                            "typed"},
                           d.dir);
  CHECK(typed.code == 3);
  CHECK(contains(typed.err, "unexpected_actor_messaging_interface"));
  CHECK(d.ctl({"status"}).code == 0);
}

TEST_CASE("garbage, a 4 GB frame header, truncated frames and silent peers never stop the daemon") {
  console_daemon d;
  raw_peer garbage{d.port};
  garbage.send(std::string(2048, '\x7f'));
  raw_peer huge{d.port};
  huge.send(basp_header(0x01, 0xFFFFFFF0));
  raw_peer truncated{d.port};
  truncated.send(basp_header(0x01, 64).substr(0, 5));
  raw_peer half_payload{d.port};
  half_payload.send(basp_header(0x01, 64) + std::string(10, '\0'));
  raw_peer silent{d.port};
  // While all of them hang on, a real console is served.
  auto served = d.ctl({"status"});
  INFO(served.err);
  CHECK(served.code == 0);
  CHECK(garbage.closed_within(3s));
  CHECK(huge.closed_within(3s));
  CHECK(d.logged("it announced a frame of 4294967280 bytes"));
  // admin.connection_timeout is 3s in this daemon's config.
  CHECK(truncated.closed_within(8s));
  CHECK(half_payload.closed_within(8s));
  CHECK(silent.closed_within(8s));
  CHECK(d.logged("no handshake within 3000ms"));
  CHECK(d.ctl({"status"}).code == 0);
  CHECK(d.ctl({"get", "advertisers"}).code == 0);
}

TEST_CASE("a watching console that vanishes or freezes is dropped by the daemon") {
  console_daemon d;
  SECTION("killed") {
    process watcher{{program("cdpctl"), "--config", d.config.string(), "--connect", d.address(),
                     "watch", "--interval", "200ms"},
                    d.dir / "watch.out"};
    REQUIRE(eventually([&] { return lines_starting(watcher.output(), "status ") >= 2; }));
    CHECK(d.logged("a console watches every 200ms (1 watching)"));
    watcher.signal(SIGKILL);
    REQUIRE(watcher.wait(5s));
    CHECK(d.logged("a watching console went away (0 watching)"));
  }
  SECTION("frozen") {
    process watcher{{program("cdpctl"), "--config", d.config.string(), "--connect", d.address(),
                     "watch", "--interval", "200ms"},
                    d.dir / "watch.out"};
    REQUIRE(eventually([&] { return lines_starting(watcher.output(), "status ") >= 2; }));
    watcher.signal(SIGSTOP);
    // Heartbeats stop with it; admin.connection_timeout (3s) later it is gone.
    CHECK(d.logged("a watching console went away (0 watching)", 15s));
    watcher.signal(SIGKILL);
    watcher.signal(SIGCONT);
    watcher.wait(5s);
  }
  CHECK(d.ctl({"status"}).code == 0);
}

TEST_CASE("cdpbatchd refuses an admin.listen off loopback without TLS, naming the keys") {
  auto scratch = std::filesystem::temp_directory_path();
  auto r = run_program({program("cdpbatchd"), "--config", std::string{CDP_SOURCE_DIR} + "/config.toml",
                        "--check-config", "--set", "admin.listen=0.0.0.0:4242"},
                       scratch);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "admin.listen"));
  CHECK(contains(r.err, "admin.tls.cert, admin.tls.key and admin.tls.ca"));
}
