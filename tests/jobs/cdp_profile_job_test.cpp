#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include "jobs/cdp_profile_job.hpp"
#include "persistence/profile_answers.hpp"
#include "persistence/store_fixture.hpp"
#include "profile_data_set.hpp"

using namespace std::chrono_literals;
using cdp::test::describe;
using cdp::test::expected_answers;
using cdp::test::must;
using cdp::test::test_database;

namespace {

cdp::job_request request_for(const profile_data_set& data) {
  return cdp::job_request{data.advertiser_id, data.month, 1, 1min};
}

void check_month_matches(test_database& db, const cdp::job_result& result,
                         const profile_data_set& data,
                         const std::vector<cdp::customer_event>& events) {
  auto expected = expected_answers(events, data.advertiser_id, data.month);
  INFO(result.error);
  REQUIRE(result.succeeded);
  CHECK(result.processed_records == expected.counts.processed_records);
  CHECK(result.failed_records == expected.counts.failed_records);
  CHECK(describe(must(db.main().list_profiles(data.advertiser_id, data.month)))
        == expected.profiles);
  CHECK(describe(must(db.main().list_rejected(data.advertiser_id, data.month)))
        == expected.rejected);
}

/// The generated data set for `seed`, stored in `db`.
profile_data_set stored_data_set(test_database& db, uint64_t seed) {
  auto data = make_profile_data_set(seed);
  must(db.main().insert_events(data.events));
  return data;
}

/// Holds the store's write lock from a connection of its own, so the job's
/// next write has to wait.
class write_lock {
public:
  explicit write_lock(const test_database& db) {
    if (db.backend() == "sqlite") {
      auto path = db.url().substr(std::string{"sqlite://"}.size());
      REQUIRE(sqlite3_open(path.c_str(), &sqlite_) == SQLITE_OK);
      REQUIRE(sqlite3_exec(sqlite_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    } else {
      pg_ = PQconnectdb(db.url().c_str());
      PGresult* r = PQexec(pg_, "BEGIN; LOCK TABLE customer_monthly_profiles IN EXCLUSIVE MODE");
      auto status = PQresultStatus(r);
      PQclear(r);
      INFO(PQerrorMessage(pg_));
      REQUIRE(status == PGRES_COMMAND_OK);
    }
  }
  ~write_lock() {
    // Closing a connection ends its transaction and releases the lock.
    if (sqlite_)
      sqlite3_close(sqlite_);
    if (pg_)
      PQfinish(pg_);
  }
  write_lock(const write_lock&) = delete;
  write_lock& operator=(const write_lock&) = delete;

private:
  sqlite3* sqlite_ = nullptr;
  PGconn* pg_ = nullptr;
};

} // namespace

TEST_CASE("the cdp-profile job counts valid and invalid events and builds exact profiles") {
  FOR_EACH_BACKEND(db);
  auto data = stored_data_set(*db, 42);
  cdp::cdp_profile_job job{db->url(), 1min};
  check_month_matches(*db, job.run(request_for(data)), data, data.events);

  // A few answers worked out by hand, so the reference itself is checked:
  // 9 invalid kinds 3 times; 2000 generated valid events and c-edge's 3.
  auto expected = expected_answers(data.events, data.advertiser_id, data.month);
  CHECK(expected.counts.failed_records == 27);
  CHECK(expected.counts.processed_records == 2003);
  auto start = data.month.start_utc().time_since_epoch().count();
  auto end = data.month.next().start_utc().time_since_epoch().count();
  CHECK(expected.profiles.back()
        == "shop-a 2024-02 c-edge: events=3 purchases=1 revenue=1234 first="
             + std::to_string(start) + " last=" + std::to_string(end - 1));
}

TEST_CASE("a rerun of the cdp-profile job gives the same answer and picks up late events") {
  FOR_EACH_BACKEND(db);
  auto data = stored_data_set(*db, 7);
  cdp::cdp_profile_job job{db->url(), 1min};
  check_month_matches(*db, job.run(request_for(data)), data, data.events);
  check_month_matches(*db, job.run(request_for(data)), data, data.events);
  // A retry on another runner's connection sees the same.
  cdp::cdp_profile_job other{db->url(), 1min};
  check_month_matches(*db, other.run(request_for(data)), data, data.events);

  // Data that arrives later is in the next run, replacing, never adding.
  auto late = late_events(data);
  must(db->main().insert_events(late));
  auto all = data.events;
  all.insert(all.end(), late.begin(), late.end());
  check_month_matches(*db, job.run(request_for(data)), data, all);
}

TEST_CASE("the cdp-profile job succeeds for a month without events") {
  FOR_EACH_BACKEND(db);
  db->main();
  cdp::cdp_profile_job job{db->url(), 1min};
  auto result = job.run(cdp::job_request{"quiet", *cdp::year_month::parse("2023-07"), 1, 1min});
  INFO(result.error);
  CHECK(result.succeeded);
  CHECK(result.processed_records == 0);
  CHECK(result.failed_records == 0);
}

TEST_CASE("the cdp-profile job gives up at the job timeout while the store is locked") {
  FOR_EACH_BACKEND(db);
  auto data = stored_data_set(*db, 3);
  cdp::cdp_profile_job job{db->url(), 500ms};
  {
    write_lock lock{*db};
    auto started = std::chrono::steady_clock::now();
    auto result = job.run(request_for(data));
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK_FALSE(result.succeeded);
    CHECK_FALSE(result.error.empty());
  }
  // The same job works again once the lock is gone.
  check_month_matches(*db, job.run(request_for(data)), data, data.events);
}

TEST_CASE("the cdp-profile job fails with the store's message when the store cannot be opened") {
  auto data = make_profile_data_set(1);
  cdp::cdp_profile_job sqlite_job{"sqlite:///dev/null/cannot/be/here.db", 1min};
  auto result = sqlite_job.run(request_for(data));
  CHECK_FALSE(result.succeeded);
  CHECK(result.error.rfind("cdp-profile: cannot open the store: ", 0) == 0);
  CHECK(result.error.find("/dev/null/cannot/be/here.db") != std::string::npos);

  cdp::cdp_profile_job postgres_job{"postgresql://nobody@127.0.0.1:1/nothing", 1min};
  result = postgres_job.run(request_for(data));
  CHECK_FALSE(result.succeeded);
  CHECK(result.error.rfind("cdp-profile: cannot open the store: ", 0) == 0);

  cdp::cdp_profile_job unknown{"mysql://somewhere", 1min};
  CHECK(unknown.run(request_for(data)).error.find("store.url") != std::string::npos);
}

TEST_CASE("the cdp-profile job reports a store error as a failed month, not a crash") {
  FOR_EACH_BACKEND(db);
  // The job does not migrate: on a database nobody migrated the tables are
  // missing, and the store's error becomes the month's.
  cdp::cdp_profile_job job{db->url(), 1min};
  auto result = job.run(request_for(make_profile_data_set(1)));
  CHECK_FALSE(result.succeeded);
  CHECK_FALSE(result.error.empty());
}

TEST_CASE("the cdp-profile job opens a new PostgreSQL connection after losing its own") {
  auto db = test_database::create("postgresql");
  if (!db)
    return;
  auto data = stored_data_set(*db, 5);
  // Named, so the test can find and kill the job's connection only.
  auto name = "cdp_jobs_" + std::to_string(::getpid());
  cdp::cdp_profile_job job{db->url() + "&application_name=" + name, 1min};
  check_month_matches(*db, job.run(request_for(data)), data, data.events);

  CHECK(db->scalar("SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
                   " FROM pg_stat_activity WHERE application_name = '" + name + "') killed")
        == 1);

  // The run that finds the connection dead may fail; the one after it works.
  auto next = job.run(request_for(data));
  if (!next.succeeded) {
    CHECK_FALSE(next.error.empty());
    next = job.run(request_for(data));
  }
  check_month_matches(*db, next, data, data.events);
}
