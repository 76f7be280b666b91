#include <atomic>
#include <filesystem>
#include <functional>

#include <sqlite3.h>

#include "daemon/daemon_fixture.hpp"
#include "persistence/store.hpp"

using namespace cdp;
using namespace cdp::test;
using namespace std::chrono_literals;

namespace {

bool backfilled(store& db, const std::string& id) {
  auto who = db.get_advertiser(id);
  return who && who->type == advertiser_type::existing && who->backfill_completed;
}

} // namespace

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd runs the demo on a SQLite file and drains on SIGTERM") {
  process daemon{argv({"--demo"}), dir / "out.log"};
  REQUIRE(std::filesystem::exists(dir) );
  REQUIRE(eventually([&] {
    if (!std::filesystem::exists(dir / "cdpbatch.db"))
      return false;
    auto db = open_store(url);
    if (!db || !backfilled(**db, "C"))
      return false;
    auto a = (*db)->get_month("A", *year_month::parse("2024-12"));
    auto b = (*db)->get_month("B", *year_month::parse("2024-12"));
    return a && b && a->processed_records > 0 && b->processed_records > 0;
  }));
  daemon.signal(SIGTERM);
  auto code = daemon.wait(15s);
  INFO(daemon.output());
  REQUIRE(code);
  CHECK(*code == 0);
  auto log = daemon.output();
  CHECK(log.find("[advertiser=C month=2023-01] job start") != std::string::npos);
  CHECK(log.find("backfill complete") != std::string::npos);
  CHECK(log.find("drained") != std::string::npos);
  auto db = open();
  auto months = db->list_months("C");
  REQUIRE(months);
  CHECK(months->size() == 24);
  for (auto& m : *months) {
    CHECK(m.status != month_status::running);
    auto profiles = db->list_profiles("C", m.month);
    REQUIRE(profiles);
    CHECK_FALSE(profiles->empty());
  }
}

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd killed with SIGKILL mid-backfill resumes where it stopped") {
  auto slow = std::vector<std::string>{"--demo", "--set", "job.kind=simulated", "--set",
                                       "job.simulated.latency=40ms"};
  {
    process daemon{argv(slow), dir / "first.log"};
    REQUIRE(eventually([&] {
      auto db = open_store(url);
      if (!db)
        return false;
      auto c = (*db)->get_advertiser("C");
      return c && c->last_completed_month >= year_month::parse("2023-04");
    }));
    daemon.signal(SIGKILL);
    REQUIRE(daemon.wait(5s));
  }
  auto db = open();
  auto before = db->list_months("C");
  REQUIRE(before);
  int completed_before = 0;
  std::optional<year_month> interrupted;
  for (auto& m : *before) {
    completed_before += m.status == month_status::completed;
    if (m.status == month_status::running)
      interrupted = m.month;
  }
  CHECK(completed_before < 24);

  process again{argv(slow), dir / "second.log"};
  REQUIRE(eventually([&] { return backfilled(*db, "C"); }));
  again.signal(SIGTERM);
  REQUIRE(again.wait(15s) == 0);
  auto after = db->list_months("C");
  REQUIRE(after);
  for (auto& m : *after) {
    INFO(m.month.to_string());
    CHECK(m.status == month_status::completed);
  }
  // The month the kill interrupted was failed at start and retried at once.
  if (interrupted) {
    CHECK(again.output().find("recovered") != std::string::npos);
    auto history = db->list_attempts("C", *interrupted);
    REQUIRE(history);
    REQUIRE(history->size() >= 2);
    CHECK(history->front().outcome == month_status::failed);
    CHECK(history->front().error_message.find("interrupted") != std::string::npos);
  }
}

namespace {

/// One number from the SQLite store under the store contract's level: the
/// contract has no call that counts raw events.
int64_t count_rows(const std::filesystem::path& file, const char* table) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* q = nullptr;
    auto sql = std::string{"SELECT count(*) FROM "} + table;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr) == SQLITE_OK
        && sqlite3_step(q) == SQLITE_ROW)
      n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return n;
}

/// The demo: 2,000 events for each of A's and B's current month and each of
/// C's 24 backfill months.
constexpr int64_t demo_events = 2000 * (2 + 24);

} // namespace

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd --demo killed while it seeds leaves nothing half-seeded, and the restart seeds it whole") {
  auto file = dir / "cdpbatch.db";
  int killed_mid_seeding = 0;
  for (int round = 0; round < 10 && killed_mid_seeding == 0; ++round) {
    for (const auto* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(file.string() + suffix);
    process daemon{argv({"--demo"}), dir / ("seeding-" + std::to_string(round) + ".log")};
    REQUIRE(eventually([&] { return daemon.output().find("demo: seeding") != std::string::npos; },
                       10s));
    daemon.signal(SIGKILL);
    REQUIRE(daemon.wait(5s));
    auto advertisers = count_rows(file, "advertisers");
    auto events = count_rows(file, "customer_events");
    INFO("round " << round << ": " << advertisers << " advertisers, " << events << " events");
    // Whatever the moment of the kill: nothing, or everything.
    CHECK(((advertisers == 0 && events == 0) || (advertisers == 3 && events == demo_events)));
    killed_mid_seeding += advertisers == 0;
  }
  // The kill came after "seeding" was logged and before the commit at least once.
  REQUIRE(killed_mid_seeding > 0);

  process again{argv({"--demo"}), dir / "again.log"};
  REQUIRE(eventually([&] {
    auto db = open_store(url);
    return db && backfilled(**db, "C");
  }));
  again.signal(SIGTERM);
  REQUIRE(again.wait(15s) == 0);
  CHECK(count_rows(file, "advertisers") == 3);
  CHECK(count_rows(file, "customer_events") == demo_events);
  // Every month ran on its whole data: each of its 2,000 events was counted
  // valid or rejected.
  auto db = open();
  auto months = db->list_months("C");
  REQUIRE(months);
  REQUIRE(months->size() == 24);
  for (auto& m : *months) {
    INFO(m.month.to_string());
    CHECK(m.status == month_status::completed);
    CHECK(m.processed_records + m.failed_records == 2000);
  }
}

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd waits for an unreachable database, says so, and stops cleanly") {
  process daemon{{program("cdpbatchd"), "--config", std::string{CDP_SOURCE_DIR} + "/config.toml",
                  "--set", "store.url=postgresql://cdp@127.0.0.1:1/cdp", "--set",
                  "log.file=" + (dir / "cdpbatchd.log").string()},
                 dir / "out.log"};
  REQUIRE(eventually([&] { return daemon.output().find("store unreachable") != std::string::npos; }));
  daemon.signal(SIGTERM);
  auto code = daemon.wait(10s);
  INFO(daemon.output());
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd --check-config prints the configuration or fails with status 2") {
  {
    process ok{{program("cdpbatchd"), "--config", std::string{CDP_SOURCE_DIR} + "/config.toml",
                "--check-config"},
               dir / "ok.log"};
    REQUIRE(ok.wait(10s) == 0);
    CHECK(ok.output().find("batch.thread-pool.core-size = 5") != std::string::npos);
  }
  process bad{{program("cdpbatchd"), "--config", std::string{CDP_SOURCE_DIR} + "/config.toml",
               "--check-config", "--set", "retry.max_retries=abc"},
              dir / "bad.log"};
  REQUIRE(bad.wait(10s) == 2);
  CHECK(bad.output().find("retry.max_retries") != std::string::npos);
}

TEST_CASE_METHOD(daemon_fixture, "cdpbatchd refuses a REST API open to other hosts with no token, unless api.allow_anonymous says it is meant") {
  process refused{argv({"--set", "http.listen=0.0.0.0:0"}), dir / "refused.log"};
  REQUIRE(refused.wait(10s) == 2);
  CHECK(refused.output().find("http.listen") != std::string::npos);
  CHECK(refused.output().find("api.allow_anonymous") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "cdpbatch.db"));

  process meant{argv({"--set", "http.listen=0.0.0.0:0", "--set", "api.allow_anonymous=true"}),
                dir / "meant.log"};
  REQUIRE(eventually([&] {
    return meant.output().find("reachable from other hosts with no API token")
           != std::string::npos;
  }));
  meant.signal(SIGTERM);
  auto code = meant.wait(15s);
  INFO(meant.output());
  REQUIRE(code);
  CHECK(*code == 0);
}
