#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "jobs/month_job.hpp"

using namespace std::chrono_literals;

TEST_CASE("the job factory makes the configured kind of job") {
  cdp::config cfg;
  cfg.job.kind = "simulated";
  cfg.job.simulated.latency = 0ms;
  cfg.job.simulated.failure_rate = 1.0;
  auto factory = cdp::make_job_factory(cfg);
  REQUIRE(factory);
  auto job = (*factory)();
  REQUIRE(job);
  auto result = job->run(cdp::job_request{"adv-1", *cdp::year_month::parse("2024-01"), 1, 1s});
  CHECK(result.error.find("simulated failure") == 0);

  cfg.job.kind = "command";
  cfg.job.command_argv = {"sh", "-c", "echo '{\"processed\":5}'"};
  factory = cdp::make_job_factory(cfg);
  REQUIRE(factory);
  result = (*factory)()->run(cdp::job_request{"adv-1", *cdp::year_month::parse("2024-01"), 1, 5s});
  CHECK(result.succeeded);
  CHECK(result.processed_records == 5);

  cfg.job.kind = "cdp-profile";
  factory = cdp::make_job_factory(cfg);
  REQUIRE(factory);
  CHECK((*factory)() != nullptr);
}

TEST_CASE("each call of the factory makes a job object of its own") {
  cdp::config cfg;
  cfg.job.kind = "simulated";
  auto factory = cdp::make_job_factory(cfg);
  REQUIRE(factory);
  auto a = (*factory)();
  auto b = (*factory)();
  CHECK(a.get() != b.get());
}

TEST_CASE("an unknown job kind or a command without a program is refused") {
  cdp::config cfg;
  cfg.job.kind = "magic";
  auto factory = cdp::make_job_factory(cfg);
  REQUIRE_FALSE(factory);
  CHECK(factory.error().code == cdp::errc::invalid_argument);
  CHECK(factory.error().message.find("magic") != std::string::npos);

  cfg.job.kind = "command";
  factory = cdp::make_job_factory(cfg);
  REQUIRE_FALSE(factory);
  CHECK(factory.error().code == cdp::errc::invalid_argument);
  CHECK(factory.error().message.find("job.command.argv") == 0);
}
