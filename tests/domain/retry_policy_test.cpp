#include <catch2/catch.hpp>

#include "domain/retry_policy.hpp"

using namespace std::chrono_literals;

TEST_CASE("the default backoff is 1, 2 and 4 minutes, then retries are exhausted") {
  cdp::retry_policy p;
  CHECK(p.delay(1) == 1min);
  CHECK(p.delay(2) == 2min);
  CHECK(p.delay(3) == 4min);
  CHECK_FALSE(p.exhausted(0));
  CHECK_FALSE(p.exhausted(2));
  CHECK(p.exhausted(3));
}

TEST_CASE("the backoff never exceeds its cap") {
  cdp::retry_policy p;
  p.backoff_max = 3min;
  CHECK(p.delay(3) == 3min);
  CHECK(p.delay(500) == 3min);
}

TEST_CASE("jitter spreads the delay by the injected random draw") {
  cdp::retry_policy p;
  p.jitter = 0.5;
  CHECK(p.delay(1, 0.0) == 30s);
  CHECK(p.delay(1, 0.5) == 1min);
  CHECK(p.delay(1, 1.0) == 90s);
}

TEST_CASE("zero retries means the first failure is final") {
  cdp::retry_policy p;
  p.max_retries = 0;
  CHECK(p.exhausted(0));
}

TEST_CASE("reconnecting to the store waits 1s, doubling, at most 30s") {
  CHECK(cdp::reconnect_delay(1) == 1s);
  CHECK(cdp::reconnect_delay(2) == 2s);
  CHECK(cdp::reconnect_delay(5) == 16s);
  CHECK(cdp::reconnect_delay(6) == 30s);
  CHECK(cdp::reconnect_delay(1000) == 30s);
}

TEST_CASE("a zero base gives immediate retries") {
  cdp::retry_policy p;
  p.backoff_base = 0ms;
  CHECK(p.delay(1) == 0ms);
  CHECK(p.delay(3) == 0ms);
}
