#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.hpp"

using namespace std::chrono_literals;

namespace {

/// A config file in a temp folder, removed afterwards.
struct temp_config {
  std::filesystem::path path;
  explicit temp_config(const std::string& text) {
    path = std::filesystem::temp_directory_path()
           / ("cdpbatch-config-" + std::to_string(::getpid()) + "-"
              + std::to_string(reinterpret_cast<uintptr_t>(this)) + ".toml");
    std::ofstream{path} << text;
  }
  ~temp_config() { std::filesystem::remove(path); }
};

cdp::config_result with(const std::vector<std::string>& overrides) {
  return cdp::load_config("", overrides);
}

/// The single error of a failed load, which must name `key`.
std::string error_naming(const cdp::config_result& r, const std::string& key) {
  REQUIRE_FALSE(r.value);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find(key) != std::string::npos);
  return r.errors[0];
}

std::string repo_config() {
  return std::string{CDP_SOURCE_DIR} + "/config.toml";
}

} // namespace

TEST_CASE("the repository's config.toml is valid and equals the built-in defaults") {
  auto r = cdp::load_config(repo_config(), {});
  INFO((r.errors.empty() ? "" : r.errors[0]));
  REQUIRE(r.value);
  CHECK(cdp::render_config(*r.value) == cdp::render_config(cdp::config{}));
}

TEST_CASE("the defaults are the seed's") {
  cdp::config c;
  CHECK(c.schedule.tick_interval == 5min);
  CHECK(c.backfill_months == 24);
  CHECK(c.retry.max_retries == 3);
  CHECK(c.reaper.interval == 10min);
  CHECK(c.reaper.stale_after == 30min);
  CHECK(c.pool.core_size == 5);
  CHECK(c.pool.max_size == 20);
  CHECK(c.pool.queue_capacity == 100);
  CHECK(c.pool.backfill_share == 0.25);
  CHECK(c.http.listen == "127.0.0.1:8080");
  CHECK(c.admin.listen == "127.0.0.1:4242");
}

TEST_CASE("an override sets a dotted key, including hyphenated seed keys") {
  auto r = with({"batch.thread-pool.core-size=10", "batch.thread-pool.max-size=50",
                 "schedule.tick_interval=250ms", "schedule.current_month=2024-12",
                 "store.url=postgresql://u:p@127.0.0.1:5432/cdp",
                 R"(job.command.argv=["/bin/echo", "{advertiser}", "{month}"])",
                 "job.simulated.failure_rate=0.25", "retry.backoff_factor=3"});
  INFO((r.errors.empty() ? "" : r.errors[0]));
  REQUIRE(r.value);
  CHECK(r.value->pool.core_size == 10);
  CHECK(r.value->pool.max_size == 50);
  CHECK(r.value->schedule.tick_interval == 250ms);
  CHECK(r.value->schedule.current_month == cdp::year_month::parse("2024-12"));
  CHECK(r.value->store.url == "postgresql://u:p@127.0.0.1:5432/cdp");
  CHECK(r.value->job.command_argv.size() == 3);
  CHECK(r.value->job.simulated.failure_rate == 0.25);
  CHECK(r.value->retry.backoff_factor == 3.0);
}

TEST_CASE("later overrides win over earlier ones and over the file") {
  temp_config file{"[retry]\nmax_retries = 7\n"};
  auto r = cdp::load_config(file.path.string(), {"retry.max_retries=4", "retry.max_retries=5"});
  REQUIRE(r.value);
  CHECK(r.value->retry.max_retries == 5);
}

TEST_CASE("a non-integer for an integer key is an error naming the override and key") {
  auto e = error_naming(with({"retry.max_retries=abc"}), "retry.max_retries");
  CHECK(e.find("--set retry.max_retries=abc") != std::string::npos);
  CHECK(e.find("integer") != std::string::npos);
}

TEST_CASE("an unknown key in the file is an error naming the file and key") {
  temp_config file{"[retry]\nmax_retry = 3\n"};
  auto e = error_naming(cdp::load_config(file.path.string(), {}), "retry.max_retry");
  CHECK(e.find(file.path.string()) != std::string::npos);
  CHECK(e.find("unknown key") != std::string::npos);
}

TEST_CASE("an unknown key in an override is an error") {
  error_naming(with({"schedule.tick=5m"}), "schedule.tick");
}

TEST_CASE("an override without = is an error") {
  auto r = with({"retry.max_retries"});
  REQUIRE_FALSE(r.value);
  CHECK(r.errors[0].find("key=value") != std::string::npos);
}

TEST_CASE("a malformed duration is an error naming the key") {
  auto e = error_naming(with({"job.timeout=5 minutes"}), "job.timeout");
  CHECK(e.find("duration") != std::string::npos);
}

TEST_CASE("a malformed pinned month is an error naming the key") {
  error_naming(with({"schedule.current_month=2024-13"}), "schedule.current_month");
}

TEST_CASE("a pool whose max is below its core size is an error naming the key") {
  auto e = error_naming(with({"batch.thread-pool.core-size=8", "batch.thread-pool.max-size=4"}),
                        "batch.thread-pool.max-size");
  CHECK(e.find("--set batch.thread-pool.max-size=4") != std::string::npos);
}

TEST_CASE("sizes must be positive") {
  error_naming(with({"batch.thread-pool.queue-capacity=0"}), "batch.thread-pool.queue-capacity");
  error_naming(with({"backfill.months=0"}), "backfill.months");
}

TEST_CASE("the backfill share is a fraction of the runners, set like any key") {
  auto r = with({"batch.backfill_share=0.5"});
  REQUIRE(r.value);
  CHECK(r.value->pool.backfill_share == 0.5);
  CHECK(with({"batch.backfill_share=0"}).value->pool.backfill_share == 0.0);
  auto e = error_naming(with({"batch.backfill_share=1.25"}), "batch.backfill_share");
  CHECK(e.find("--set batch.backfill_share=1.25") != std::string::npos);
  error_naming(with({"batch.backfill_share=-0.1"}), "batch.backfill_share");
  error_naming(with({"batch.backfill_share=\"a quarter\""}), "batch.backfill_share");
}

TEST_CASE("rates must lie in [0, 1]") {
  error_naming(with({"job.simulated.failure_rate=1.5"}), "job.simulated.failure_rate");
  error_naming(with({"retry.jitter=-0.1"}), "retry.jitter");
}

TEST_CASE("a store URL of an unknown scheme is an error naming the key") {
  error_naming(with({"store.url=mysql://x"}), "store.url");
  error_naming(with({"store.url=sqlite://"}), "store.url");
}

TEST_CASE("a malformed listen address is an error naming the key") {
  error_naming(with({"http.listen=localhost"}), "http.listen");
  error_naming(with({"admin.listen=127.0.0.1:99999"}), "admin.listen");
}

TEST_CASE("an unknown job kind is an error naming the key") {
  error_naming(with({"job.kind=spark"}), "job.kind");
}

TEST_CASE("the command job needs a program") {
  error_naming(with({"job.kind=command"}), "job.command.argv");
}

TEST_CASE("an unknown time zone is an error naming the key") {
  error_naming(with({"schedule.timezone=Mars/Olympus"}), "schedule.timezone");
  error_naming(with({"schedule.timezone=../../etc/passwd"}), "schedule.timezone");
}

TEST_CASE("the REST API leaves loopback only with a token or api.allow_anonymous") {
  auto e = error_naming(with({"http.listen=0.0.0.0:8080"}), "http.listen");
  CHECK(e.find("http.token") != std::string::npos);
  CHECK(e.find("api.allow_anonymous") != std::string::npos);
  error_naming(with({"http.listen=10.1.2.3:8080"}), "http.listen");
  for (auto loopback : {"127.0.0.1:8080", "localhost:8080", "[::1]:8080"})
    CHECK(with({std::string{"http.listen="} + loopback}).value);
  CHECK(with({"http.listen=0.0.0.0:8080", "http.token=s3cret"}).value);
  auto open = with({"http.listen=0.0.0.0:8080", "api.allow_anonymous=true"});
  REQUIRE(open.value);
  CHECK(open.value->api.allow_anonymous);
}

TEST_CASE("TLS needs cert, key and CA together") {
  error_naming(with({"admin.tls.cert=" + repo_config()}), "admin.tls");
}

TEST_CASE("the admin port leaves loopback only with mutual TLS") {
  auto e = error_naming(with({"admin.listen=0.0.0.0:4242"}), "admin.listen");
  CHECK(e.find("admin.tls.cert, admin.tls.key and admin.tls.ca") != std::string::npos);
  error_naming(with({"admin.listen=10.1.2.3:4242"}), "admin.listen");
  error_naming(with({"admin.listen=127.evil.example:4242"}), "admin.listen");
  for (auto loopback : {"127.0.0.1:4242", "127.1.2.3:0", "localhost:4242", "[::1]:4242"})
    CHECK(with({std::string{"admin.listen="} + loopback}).value);
  auto tls = with({"admin.listen=0.0.0.0:4242", "admin.tls.cert=" + repo_config(),
                   "admin.tls.key=" + repo_config(), "admin.tls.ca=" + repo_config()});
  CHECK(tls.value);
}

TEST_CASE("the admin connection timeout must outlast two heartbeats") {
  error_naming(with({"admin.heartbeat_interval=10s", "admin.connection_timeout=15s"}),
               "admin.connection_timeout");
  error_naming(with({"admin.heartbeat_interval=0ms"}), "admin.heartbeat_interval");
  CHECK(with({"admin.heartbeat_interval=100ms", "admin.connection_timeout=1s"}).value);
}

TEST_CASE("the probe is off by default, every hour when switched on") {
  cdp::config defaults;
  CHECK_FALSE(defaults.probe.enabled);
  CHECK(defaults.probe.interval == 1h);
  auto on = with({"probe.enabled=true", "probe.interval=250ms"});
  REQUIRE(on.value);
  CHECK(on.value->probe.enabled);
  CHECK(on.value->probe.interval == 250ms);
}

TEST_CASE("a bad probe interval is refused naming the key and why") {
  auto zero = error_naming(with({"probe.interval=0ms"}), "probe.interval");
  CHECK(zero.find("must be longer than 0ms") != std::string::npos);
  auto malformed = error_naming(with({"probe.interval=often"}), "probe.interval");
  CHECK(malformed.find("expected a duration") != std::string::npos);
  error_naming(with({"probe.interval=5"}), "probe.interval");
  error_naming(with({"probe.enabled=maybe"}), "probe.enabled");
}

TEST_CASE("an unknown log level is an error naming the key") {
  error_naming(with({"log.level=loud"}), "log.level");
}

TEST_CASE("a file that is not TOML is an error naming the file and line") {
  temp_config file{"[retry\nmax_retries = 3\n"};
  auto r = cdp::load_config(file.path.string(), {});
  REQUIRE_FALSE(r.value);
  CHECK(r.errors[0].find(file.path.string() + ":1:") != std::string::npos);
}

TEST_CASE("a missing file is an error naming the file") {
  auto r = cdp::load_config("/nonexistent/cdpbatch.toml", {});
  REQUIRE_FALSE(r.value);
  CHECK(r.errors[0].find("/nonexistent/cdpbatch.toml") != std::string::npos);
}

TEST_CASE("a wrongly typed value in the file is an error naming file and key") {
  temp_config file{"[schedule]\ntick_interval = 300\n"};
  auto e = error_naming(cdp::load_config(file.path.string(), {}), "schedule.tick_interval");
  CHECK(e.find(file.path.string()) != std::string::npos);
}

TEST_CASE("every error is reported, not just the first") {
  auto r = with({"retry.max_retries=abc", "job.timeout=soon"});
  REQUIRE_FALSE(r.value);
  CHECK(r.errors.size() == 2);
}

TEST_CASE("the token comes from the environment and is redacted when printed") {
  ::setenv("CDPBATCH_API_TOKEN", "s3cret", 1);
  auto r = with({});
  ::unsetenv("CDPBATCH_API_TOKEN");
  REQUIRE(r.value);
  CHECK(r.value->http.token == "s3cret");
  auto text = cdp::render_config(*r.value);
  CHECK(text.find("s3cret") == std::string::npos);
  CHECK(text.find("<redacted>") != std::string::npos);
}

TEST_CASE("the printed configuration reads back as the same configuration") {
  auto r = with({"retry.max_retries=5", "job.kind=simulated", "schedule.current_month=2024-12"});
  REQUIRE(r.value);
  temp_config file{cdp::render_config(*r.value)};
  auto again = cdp::load_config(file.path.string(), {});
  REQUIRE(again.value);
  CHECK(cdp::render_config(*again.value) == cdp::render_config(*r.value));
}

TEST_CASE("the store password never appears in the printed configuration") {
  auto r = with({"store.url=postgresql://cdp:hunter2@127.0.0.1:5432/cdp"});
  REQUIRE(r.value);
  auto text = cdp::render_config(*r.value);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("postgresql://cdp:***@127.0.0.1:5432/cdp") != std::string::npos);
  CHECK(cdp::redact_password("sqlite://var/x.db") == "sqlite://var/x.db");
}
