#include <catch2/catch.hpp>

#include "api/status_copy.hpp"

using namespace std::chrono_literals;
using cdp::timestamp;
using cdp::api::rendered;
using cdp::api::status_copy;

TEST_CASE("the status copy is given within the operator's age, never past it", "[status_copy]") {
  status_copy copy{1000ms};
  auto t0 = timestamp{} + 1000h;
  CHECK_FALSE(copy.young(t0));
  copy.keep({200, "count 1"}, t0);
  REQUIRE(copy.young(t0 + 499ms));
  CHECK(copy.young(t0 + 499ms)->body == "count 1");
  CHECK_FALSE(copy.young(t0 + 1000ms));
  CHECK_FALSE(copy.young(t0 + 5s));
  // A count from another clock's future is not young.
  CHECK_FALSE(copy.young(t0 - 1ms));
}

TEST_CASE("past half its age one caller at a time goes on to the operator", "[status_copy]") {
  status_copy copy{1000ms};
  auto t0 = timestamp{} + 1000h;
  copy.keep({200, "count 1"}, t0);
  CHECK_FALSE(copy.young(t0 + 500ms));  // this one asks the operator
  REQUIRE(copy.young(t0 + 600ms));      // the others keep the copy meanwhile
  CHECK(copy.young(t0 + 600ms)->body == "count 1");
  // The operator answered the old count (it recounts meanwhile): the next asks again.
  copy.keep({200, "count 1"}, t0);
  CHECK_FALSE(copy.young(t0 + 700ms));
  copy.failed();
  CHECK_FALSE(copy.young(t0 + 700ms));
  copy.keep({200, "count 2"}, t0 + 800ms);
  REQUIRE(copy.young(t0 + 900ms));
  CHECK(copy.young(t0 + 900ms)->body == "count 2");
}

TEST_CASE("the status copy keeps the newest count and never a failure", "[status_copy]") {
  status_copy copy{1000ms};
  auto t0 = timestamp{} + 1000h;
  copy.keep({200, "new"}, t0 + 100ms);
  copy.keep({200, "older"}, t0);
  copy.keep({503, "down"}, t0 + 200ms);
  REQUIRE(copy.young(t0 + 200ms));
  CHECK(copy.young(t0 + 200ms)->body == "new");
}
