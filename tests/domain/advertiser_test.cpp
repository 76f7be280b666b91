#include <catch2/catch.hpp>

#include <string>

#include "domain/advertiser.hpp"

TEST_CASE("an advertiser id is 1-50 characters of letters, digits, _ . -, but not . or .. alone") {
  CHECK(cdp::is_valid_advertiser_id("A"));
  CHECK(cdp::is_valid_advertiser_id("adv_01.eu-west"));
  CHECK(cdp::is_valid_advertiser_id(std::string(50, 'x')));
  CHECK_FALSE(cdp::is_valid_advertiser_id(""));
  CHECK_FALSE(cdp::is_valid_advertiser_id("."));
  CHECK_FALSE(cdp::is_valid_advertiser_id(".."));
  CHECK(cdp::is_valid_advertiser_id("..."));
  CHECK_FALSE(cdp::is_valid_advertiser_id(std::string(51, 'x')));
  for (auto bad : {"a b", "a/b", "a'b", "a;b", "a%20", "ä", "a\nb", "../x"})
    CHECK_FALSE(cdp::is_valid_advertiser_id(bad));
}

TEST_CASE("a request for a new advertiser with a bad id names the id") {
  auto s = cdp::validate(cdp::new_advertiser{"bad id", "Name", cdp::advertiser_type::new_advertiser});
  REQUIRE_FALSE(s);
  CHECK(s.error().code == cdp::errc::invalid_argument);
  CHECK(s.error().message.find("'bad id'") != std::string::npos);
  CHECK(cdp::validate(cdp::new_advertiser{"C", "Name", cdp::advertiser_type::existing}));
}

TEST_CASE("advertiser types read and print as NEW and EXISTING") {
  CHECK(cdp::parse_advertiser_type("NEW") == cdp::advertiser_type::new_advertiser);
  CHECK(cdp::parse_advertiser_type("EXISTING") == cdp::advertiser_type::existing);
  CHECK_FALSE(cdp::parse_advertiser_type("new"));
  CHECK(cdp::to_string(cdp::advertiser_type::new_advertiser) == "NEW");
}
