// SQLite is single-node: one daemon per database file, and a daemon killed
// with -9 is not mistaken for a live one.
#include "daemon/daemon_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> as_node(const std::string& id, const daemon_fixture& f) {
  return {"--set", "node.id=" + id, "--set",
          "log.file=" + (f.dir / (id + ".log")).string(), "--set", "job.kind=simulated"};
}

bool running(const process& daemon) {
  return daemon.output().find("cdpbatchd running") != std::string::npos;
}

} // namespace

TEST_CASE_METHOD(daemon_fixture, "a second cdpbatchd on the same SQLite file is refused with a clear error and the first runs on") {
  process first{argv(as_node("first", *this)), dir / "first.out"};
  REQUIRE(eventually([&] { return running(first); }));
  process second{argv(as_node("second", *this)), dir / "second.out"};
  auto code = second.wait(15s);
  INFO(second.output());
  REQUIRE(code);
  CHECK(*code == 1);
  auto said = second.output();
  CHECK(said.find("in use by cdpbatchd pid") != std::string::npos);
  CHECK(said.find("node.id 'first'") != std::string::npos);
  CHECK(said.find("one daemon at a time") != std::string::npos);
  CHECK_FALSE(running(second));
  // The refusal changed nothing for the first one.
  CHECK_FALSE(first.wait(200ms));
  first.signal(SIGTERM);
  CHECK(first.wait(15s) == 0);
}

TEST_CASE_METHOD(daemon_fixture, "a cdpbatchd killed with -9 restarts on its SQLite file at once") {
  {
    process killed{argv(as_node("solo", *this)), dir / "killed.out"};
    REQUIRE(eventually([&] { return running(killed); }));
    killed.signal(SIGKILL);
    REQUIRE(killed.wait(5s));
  }
  auto started = std::chrono::steady_clock::now();
  process again{argv(as_node("solo", *this)), dir / "again.out"};
  REQUIRE(eventually([&] { return running(again); }, 10s));
  INFO(again.output());
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK(again.output().find("cannot start") == std::string::npos);
  again.signal(SIGTERM);
  CHECK(again.wait(15s) == 0);
}
