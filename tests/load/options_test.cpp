#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "load/options.hpp"

using namespace cdp::load;
using namespace std::chrono_literals;

namespace {

std::variant<options, parse_exit> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "cdpload");
  std::vector<const char*> argv;
  for (const auto& a : args)
    argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

/// The usage error for `args`: exit code 2 and its message.
std::string refused(std::vector<std::string> args) {
  auto got = parse(std::move(args));
  REQUIRE(std::holds_alternative<parse_exit>(got));
  CHECK(std::get<parse_exit>(got).code == 2);
  return std::get<parse_exit>(got).text;
}

} // namespace

TEST_CASE("cdpload takes every option the issue lists") {
  auto got = parse({"--advertisers", "300", "--new-ratio", "0.5", "--months", "6", "--latency",
                    "5ms", "--jitter", "2ms", "--failure-rate", "0.1", "--fail-first-only",
                    "--runners", "8", "--tick", "1s", "--duration", "30s", "--seed", "7",
                    "--json", "out.json", "--store", "sqlite:///tmp/x.db", "--sequential",
                    "--queue", "50", "--backoff", "10ms"});
  REQUIRE(std::holds_alternative<options>(got));
  const auto& o = std::get<options>(got);
  CHECK(o.advertisers == 300);
  CHECK(o.new_ratio == 0.5);
  CHECK(o.months == 6);
  CHECK(o.latency == 5ms);
  CHECK(o.jitter == 2ms);
  CHECK(o.failure_rate == 0.1);
  CHECK(o.fail_first_only);
  CHECK(o.runners == 8);
  CHECK(o.tick == 1s);
  CHECK(o.duration == 30s);
  CHECK(o.seed == 7);
  CHECK(o.json_file == "out.json");
  CHECK(o.store_url == "sqlite:///tmp/x.db");
  CHECK(o.sequential);
  CHECK(o.queue == 50);
  CHECK(o.backoff == 10ms);
  CHECK(o.new_count() == 150);
  CHECK(o.months_due() == 150 * 6 + 150);
}

TEST_CASE("cdpload's defaults run until the work is done once") {
  auto got = parse({});
  REQUIRE(std::holds_alternative<options>(got));
  CHECK_FALSE(std::get<options>(got).duration);
  CHECK(std::get<options>(got).store_url.empty());
}

TEST_CASE("--help is not an error") {
  auto got = parse({"--help"});
  REQUIRE(std::holds_alternative<parse_exit>(got));
  CHECK(std::get<parse_exit>(got).code == 0);
  CHECK(std::get<parse_exit>(got).text.find("--failure-rate") != std::string::npos);
}

TEST_CASE("bad option values are refused naming the option") {
  CHECK_THAT(refused({"--advertisers", "0"}), Catch::Contains("--advertisers"));
  CHECK_THAT(refused({"--advertisers", "many"}), Catch::Contains("--advertisers"));
  CHECK_THAT(refused({"--new-ratio", "1.5"}), Catch::Contains("--new-ratio"));
  CHECK_THAT(refused({"--months", "0"}), Catch::Contains("--months"));
  CHECK_THAT(refused({"--months", "121"}), Catch::Contains("--months"));
  CHECK_THAT(refused({"--failure-rate", "-0.1"}), Catch::Contains("--failure-rate"));
  CHECK_THAT(refused({"--runners", "0"}), Catch::Contains("--runners"));
  CHECK_THAT(refused({"--latency", "5"}), Catch::Contains("--latency")
                                             && Catch::Contains("not a duration"));
  CHECK_THAT(refused({"--jitter", "fast"}), Catch::Contains("--jitter"));
  CHECK_THAT(refused({"--tick", "0s"}), Catch::Contains("--tick"));
  CHECK_THAT(refused({"--duration", "0s"}), Catch::Contains("--duration"));
  CHECK_THAT(refused({"--store", "mysql://x"}), Catch::Contains("--store"));
  CHECK_THAT(refused({"--no-such-option"}), Catch::Contains("--no-such-option"));
}

TEST_CASE("cdpload --target takes the daemon's admin port and how to reach it") {
  auto got = parse({"--target", "127.0.0.1:9090", "--advertisers", "50", "--token-file", "t",
                    "--timeout", "2s", "--duration", "5s"});
  REQUIRE(std::holds_alternative<options>(got));
  const auto& o = std::get<options>(got);
  CHECK(o.target == "127.0.0.1:9090");
  CHECK(o.token_file == "t");
  CHECK(o.timeout == 2s);
  CHECK(o.duration == 5s);
  CHECK(o.advertisers == 50);
}

TEST_CASE("cdpload --target refuses what only the daemon's config decides, naming the key") {
  CHECK_THAT(refused({"--target", "h:1", "--store", "sqlite:///x"}),
             Catch::Contains("--store") && Catch::Contains("store.url"));
  CHECK_THAT(refused({"--target", "h:1", "--latency", "5ms"}),
             Catch::Contains("job.simulated.latency"));
  CHECK_THAT(refused({"--target", "h:1", "--runners", "4"}),
             Catch::Contains("batch.thread-pool.core-size"));
  CHECK_THAT(refused({"--target", "h:1", "--months", "3"}), Catch::Contains("backfill.months"));
  CHECK_THAT(refused({"--target", "h:1", "--sequential"}), Catch::Contains("in this process"));
  CHECK_THAT(refused({"--target", "nowhere"}), Catch::Contains("HOST:PORT"));
  CHECK_THAT(refused({"--target", "h:0"}), Catch::Contains("HOST:PORT"));
  CHECK_THAT(refused({"--target", "h:1", "--tls-cert", "c.pem"}), Catch::Contains("go together"));
  CHECK_THAT(refused({"--token-file", "t"}), Catch::Contains("is for --target"));
  CHECK_THAT(refused({"--timeout", "1s"}), Catch::Contains("is for --target"));
}
