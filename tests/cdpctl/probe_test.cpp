#include <catch2/catch.hpp>

#include <regex>

#include "cdpctl/console_daemon.hpp"

using namespace cdp::test;

TEST_CASE("cdpctl describe shows a deactivated advertiser's next probe and its probe attempts") {
  console_daemon d{"[probe]\nenabled = true\ninterval = \"200ms\"\n[retry]\nmax_retries = 0\n",
                   {"--set", "job.simulated.failure_rate=1.0"}};
  program_result shown;
  REQUIRE(eventually([&] {
    shown = d.ctl({"describe", "C"});
    return contains(shown.out, "last probe FAILED") && contains(shown.out, "(probe)");
  }));
  INFO(shown.out);
  CHECK(shown.code == 0);
  CHECK(std::regex_search(shown.out, std::regex{R"(\nactive: +no\n)"}));
  CHECK(std::regex_search(shown.out, std::regex{R"(\nwhy: +deactivated: 2023-01 failed once: )"}));
}
