#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "load/run.hpp"
#include "persistence/store.hpp"

using namespace cdp;
using namespace std::chrono_literals;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path()
           / ("cdpload-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, f))
    text.append(buf, n);
  return text;
}

} // namespace

TEST_CASE("a short cdpload run does every advertiser's work once, in order, as the store has it") {
  temp_dir dir;
  load::options o;
  o.advertisers = 300;
  o.new_ratio = 0.2;
  o.months = 6;
  o.failure_rate = 0.1;
  o.fail_first_only = true;
  o.runners = 4;
  o.tick = 1h;
  o.store_url = "sqlite://" + (dir.path / "load.db").string();
  auto progress = std::tmpfile();
  REQUIRE(progress);
  auto r = load::run(o, progress);
  auto shown = read_all(progress);
  std::fclose(progress);
  REQUIRE(r);

  // 60 NEW x 6 months and 240 EXISTING x their current month.
  const int64_t due = 60 * 6 + 240;
  CHECK(r->advertisers == 300);
  CHECK(r->jobs >= due);
  CHECK(r->retries > 0);
  CHECK(r->attempts == r->jobs + r->retries);
  CHECK(r->deactivated == 0);
  CHECK(r->order_violations == 0);
  CHECK(r->wall_s > 0);
  CHECK(r->jobs_per_s == Approx(static_cast<double>(r->jobs) / r->wall_s));
  CHECK(r->first_tick_s > 0);
  CHECK(r->first_tick_s <= r->wall_s);
  CHECK(r->backfill_s > 0);
  CHECK(r->backfill_s <= r->wall_s);
  CHECK(r->ticks >= 1);
  CHECK(r->batch_size_mean >= 1);
  CHECK(r->commit_latency_p99_ms >= r->commit_latency_p50_ms);
  CHECK(r->month_latency_ms.p99 >= r->month_latency_ms.p50);
  CHECK(r->peak_rss_mb > 0);
  // Measured (not -1); over 300 advertisers a few MB of allocator noise
  // dominate it, so only its order is checked here (bench/ has the figure).
  CHECK(r->bytes_per_idle_advertiser >= 0);
  CHECK(r->bytes_per_idle_advertiser < 1e6);
  CHECK(r->cpu_s > 0);
  CHECK_THAT(shown, Catch::Contains(std::to_string(due) + "/" + std::to_string(due) + " months"));

  // What the report counted is what the store holds.
  auto db = open_store(o.store_url);
  REQUIRE(db);
  auto counts = (*db)->count_advertisers();
  REQUIRE(counts);
  CHECK(counts->new_active == 0);
  CHECK(counts->existing_active == 300);
  auto months = (*db)->count_months_by_status();
  REQUIRE(months);
  CHECK(months->completed == due);
  CHECK(months->failed == 0);
  int64_t attempts = 0;
  auto all = (*db)->list_advertisers(false);
  REQUIRE(all);
  for (const auto& a : *all) {
    auto rows = (*db)->list_months(a.id);
    REQUIRE(rows);
    for (const auto& m : *rows) {
      auto history = (*db)->list_attempts(a.id, m.month);
      REQUIRE(history);
      attempts += static_cast<int64_t>(history->size());
    }
  }
  CHECK(attempts == r->attempts);
}

TEST_CASE("cdpload --sequential runs the same work one advertiser after another") {
  temp_dir dir;
  load::options o;
  o.advertisers = 40;
  o.new_ratio = 0.25;
  o.months = 4;
  o.latency = 5ms;
  o.runners = 8;
  o.tick = 1h;
  o.sequential = true;
  o.store_url = "sqlite://" + (dir.path / "load.db").string();
  auto progress = std::tmpfile();
  auto r = load::run(o, progress);
  std::fclose(progress);
  REQUIRE(r);
  REQUIRE(r->sequential);
  CHECK(r->sequential->jobs == 10 * 4 + 30);
  CHECK(r->sequential->attempts == r->sequential->jobs);
  // 70 jobs of 5ms: at least 350ms alone; 8 runners share them.
  CHECK(r->sequential->wall_s >= 0.35);
  CHECK(r->sequential->speedup > 1.5);
}

TEST_CASE("cdpload refuses a store it cannot open and says why") {
  load::options o;
  o.advertisers = 5;
  // Under a file: no directory can be made there.
  o.store_url = "sqlite:///dev/null/cdpload.db";
  auto progress = std::tmpfile();
  auto r = load::run(o, progress);
  std::fclose(progress);
  REQUIRE_FALSE(r);
  CHECK_FALSE(r.error().message.empty());
}
