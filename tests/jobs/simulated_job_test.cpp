#include <catch2/catch.hpp>

#include <chrono>

#include "jobs/simulated_job.hpp"

using namespace std::chrono_literals;

namespace {

cdp::year_month month(const char* text) {
  return *cdp::year_month::parse(text);
}

cdp::simulated_job_options instant(double failure_rate, uint64_t seed = 1) {
  cdp::simulated_job_options o;
  o.latency = 0ms;
  o.failure_rate = failure_rate;
  o.seed = seed;
  return o;
}

cdp::job_request request(std::string advertiser, cdp::year_month m, int attempt = 1,
                         std::chrono::milliseconds timeout = 25min) {
  return cdp::job_request{std::move(advertiser), m, attempt, timeout};
}

/// Counts failures of `attempt` over `months` months of one advertiser.
int failures(cdp::simulated_job& job, int months, int attempt = 1) {
  int failed = 0;
  auto m = month("2000-01");
  for (int i = 0; i < months; ++i, m = m.next())
    failed += job.run(request("adv-1", m, attempt)).succeeded ? 0 : 1;
  return failed;
}

} // namespace

TEST_CASE("a simulated attempt's outcome depends only on seed, advertiser, month and attempt") {
  cdp::simulated_job first{instant(0.5)};
  cdp::simulated_job second{instant(0.5)};
  auto m = month("2010-01");
  for (int i = 0; i < 200; ++i, m = m.next()) {
    for (int attempt = 1; attempt <= 3; ++attempt) {
      auto a = first.run(request("adv-7", m, attempt));
      auto b = second.run(request("adv-7", m, attempt));
      REQUIRE(a.succeeded == b.succeeded);
      REQUIRE(a.processed_records == b.processed_records);
      REQUIRE(a.failed_records == b.failed_records);
      REQUIRE(a.error == b.error);
    }
  }
}

TEST_CASE("another seed makes other months fail") {
  int differ = 0;
  auto m = month("2010-01");
  for (int i = 0; i < 200; ++i, m = m.next()) {
    auto a = cdp::plan_simulated_attempt(instant(0.5, 1), "adv-7", m, 1);
    auto b = cdp::plan_simulated_attempt(instant(0.5, 2), "adv-7", m, 1);
    differ += a.fails != b.fails ? 1 : 0;
  }
  CHECK(differ > 50);
}

TEST_CASE("a successful simulated attempt reports records") {
  cdp::simulated_job job{instant(0.0)};
  auto result = job.run(request("adv-1", month("2024-05")));
  CHECK(result.succeeded);
  CHECK(result.processed_records > 0);
  CHECK(result.failed_records >= 0);
  CHECK(result.error.empty());
}

TEST_CASE("the simulated failure rate is roughly honoured over many months") {
  cdp::simulated_job job{instant(0.1)};
  int failed = failures(job, 5000);
  CHECK(failed > 400);
  CHECK(failed < 600);

  cdp::simulated_job never{instant(0.0)};
  CHECK(failures(never, 500) == 0);
  cdp::simulated_job always{instant(1.0)};
  CHECK(failures(always, 500) == 500);
}

TEST_CASE("a failed simulated attempt names the advertiser, month and attempt") {
  cdp::simulated_job job{instant(1.0)};
  auto result = job.run(request("adv-3", month("2024-02"), 2));
  CHECK_FALSE(result.succeeded);
  CHECK(result.error == "simulated failure of attempt 2 for adv-3 2024-02");
}

TEST_CASE("with fail_first_attempt_only only a month's first attempt can fail") {
  auto options = instant(0.1);
  options.fail_first_attempt_only = true;
  cdp::simulated_job job{options};
  int first = failures(job, 5000, 1);
  CHECK(first > 400);
  CHECK(first < 600);
  CHECK(failures(job, 5000, 2) == 0);
  CHECK(failures(job, 5000, 3) == 0);

  options.failure_rate = 1.0;
  cdp::simulated_job always{options};
  CHECK(failures(always, 100, 1) == 100);
  CHECK(failures(always, 100, 2) == 0);
}

TEST_CASE("a simulated attempt takes its latency plus a share of the jitter") {
  auto options = instant(0.0);
  options.latency = 20ms;
  options.latency_jitter = 10ms;
  bool jittered = false;
  auto m = month("2020-01");
  for (int i = 0; i < 100; ++i, m = m.next()) {
    auto planned = cdp::plan_simulated_attempt(options, "adv-1", m, 1);
    REQUIRE(planned.latency >= 20ms);
    REQUIRE(planned.latency <= 30ms);
    jittered = jittered || planned.latency != 20ms;
  }
  CHECK(jittered);

  cdp::simulated_job job{options};
  auto started = std::chrono::steady_clock::now();
  CHECK(job.run(request("adv-1", month("2020-01"))).succeeded);
  CHECK(std::chrono::steady_clock::now() - started >= 20ms);
}

TEST_CASE("a simulated attempt longer than the timeout waits only the timeout and fails") {
  auto options = instant(0.0);
  options.latency = 10s;
  cdp::simulated_job job{options};
  auto started = std::chrono::steady_clock::now();
  auto result = job.run(request("adv-1", month("2024-01"), 1, 30ms));
  auto took = std::chrono::steady_clock::now() - started;
  CHECK_FALSE(result.succeeded);
  CHECK(result.error == "timed out after 30ms");
  CHECK(took >= 30ms);
  CHECK(took < 2s);
}
