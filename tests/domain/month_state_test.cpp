#include <catch2/catch.hpp>

#include <string>

#include "domain/month_state.hpp"

using cdp::month_event;
using cdp::month_status;

TEST_CASE("a month moves PENDING to RUNNING to COMPLETED") {
  CHECK(*cdp::next_status(month_status::pending, month_event::claim) == month_status::running);
  CHECK(*cdp::next_status(month_status::running, month_event::complete) == month_status::completed);
}

TEST_CASE("a running month fails by its job or by the reaper") {
  CHECK(*cdp::next_status(month_status::running, month_event::fail) == month_status::failed);
  CHECK(*cdp::next_status(month_status::running, month_event::reap) == month_status::failed);
}

TEST_CASE("a failed month is claimed again for a retry, or reset by an operator") {
  CHECK(*cdp::next_status(month_status::failed, month_event::claim) == month_status::running);
  CHECK(*cdp::next_status(month_status::failed, month_event::manual_retry) == month_status::pending);
}

TEST_CASE("a completed month can be refreshed or rerun") {
  CHECK(*cdp::next_status(month_status::completed, month_event::claim) == month_status::running);
  CHECK(*cdp::next_status(month_status::completed, month_event::manual_retry) == month_status::pending);
}

TEST_CASE("every illegal transition is a conflict, not a crash") {
  struct bad {
    month_status from;
    month_event event;
  };
  for (auto [from, event] : {bad{month_status::running, month_event::claim},
                             bad{month_status::running, month_event::manual_retry},
                             bad{month_status::pending, month_event::complete},
                             bad{month_status::pending, month_event::fail},
                             bad{month_status::pending, month_event::reap},
                             bad{month_status::completed, month_event::complete},
                             bad{month_status::completed, month_event::fail},
                             bad{month_status::completed, month_event::reap},
                             bad{month_status::failed, month_event::complete},
                             bad{month_status::failed, month_event::fail},
                             bad{month_status::failed, month_event::reap}}) {
    auto r = cdp::next_status(from, event);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == cdp::errc::conflict);
    CHECK(r.error().message.find(std::string{cdp::to_string(from)}) != std::string::npos);
  }
}

TEST_CASE("statuses read and print in upper case") {
  for (auto s : {month_status::pending, month_status::running, month_status::completed,
                 month_status::failed})
    CHECK(cdp::parse_month_status(cdp::to_string(s)) == s);
  CHECK_FALSE(cdp::parse_month_status("done"));
}

TEST_CASE("an error message is cut to 1000 bytes without splitting a character") {
  CHECK(cdp::truncate_error_message(std::string(1001, 'e')).size() == 1000);
  CHECK(cdp::truncate_error_message("short") == "short");
  // 999 ASCII bytes then a 2-byte character straddling the limit.
  auto s = std::string(999, 'a') + "\xC3\xA9" + "tail";
  CHECK(cdp::truncate_error_message(s).size() == 999);
}

TEST_CASE("an error message keeps valid UTF-8 and replaces invalid bytes and NUL") {
  CHECK(cdp::truncate_error_message("caf\xC3\xA9 \xE2\x82\xAC") == "caf\xC3\xA9 \xE2\x82\xAC");
  CHECK(cdp::truncate_error_message("bad \xFF\xC3 end") == "bad ?? end");
  CHECK(cdp::truncate_error_message(std::string{"nul\0byte", 8}) == "nul?byte");
  CHECK(cdp::truncate_error_message("\xC0\xAF") == "??");
}
