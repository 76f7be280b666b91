// A daemon whose REST or admin port another daemon holds is refused at start
// and exits at once: it never shares a port (the kernel would split the
// requests between the two), and its failed start does not leave it hanging.
#include "daemon/daemon_fixture.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

TEST_CASE_METHOD(daemon_fixture, "a cdpbatchd whose REST or admin port is taken is refused, says which, and exits at once") {
  process first{argv({"--set", "node.id=first"}), dir / "first.out"};
  int rest = 0;
  int admin = 0;
  REQUIRE(eventually([&] {
    rest = logged_port(first, "REST API listening on http://");
    admin = logged_port(first, "cdpctl endpoint on ");
    return rest > 0 && admin > 0;
  }));

  struct taken {
    std::string key;
    int port;
  };
  for (const auto& t : {taken{"http.listen", rest}, taken{"admin.listen", admin}}) {
    INFO(t.key);
    auto where = "127.0.0.1:" + std::to_string(t.port);
    auto own_store = "store.url=sqlite://" + (dir / (t.key + ".db")).string();
    process second{argv({"--set", own_store, "--set", "node.id=second", "--set", t.key + "=" + where}),
                   dir / (t.key + ".out")};
    auto code = second.wait(15s);
    INFO(second.output());
    REQUIRE(code);
    CHECK(*code == 1);
    CHECK(second.output().find(t.key + ": cannot listen on " + where) != std::string::npos);
    CHECK(second.output().find("cdpbatchd running") == std::string::npos);
  }
  // The refusals changed nothing for the first one.
  CHECK_FALSE(first.wait(200ms));
  first.signal(SIGTERM);
  CHECK(first.wait(15s) == 0);
}
