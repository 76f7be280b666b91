#include <catch2/catch.hpp>

#include "domain/duration.hpp"

using namespace std::chrono_literals;

TEST_CASE("durations read as a number and one unit") {
  CHECK(cdp::parse_duration("250ms") == 250ms);
  CHECK(cdp::parse_duration("30s") == 30s);
  CHECK(cdp::parse_duration("5m") == 5min);
  CHECK(cdp::parse_duration("1h") == 1h);
  CHECK(cdp::parse_duration("2d") == 48h);
  CHECK(cdp::parse_duration("0ms") == 0ms);
}

TEST_CASE("durations reject anything else") {
  for (auto bad : {"", "5", "m", "-5m", "5 m", "5min", "1.5s", "5M", "ms5", "99999999999999999999s"})
    CHECK_FALSE(cdp::parse_duration(bad));
}

TEST_CASE("durations print in their shortest exact unit") {
  CHECK(cdp::format_duration(5min) == "5m");
  CHECK(cdp::format_duration(1500ms) == "1500ms");
  CHECK(cdp::format_duration(0ms) == "0ms");
  CHECK(cdp::format_duration(25min) == "25m");
}
