#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/year_month.hpp"
#include "persistence/store.hpp"

// Every contract test runs against both backends: FOR_EACH_BACKEND(db) makes
// the test case run once per backend (a Catch2 generator), each time on a
// database of its own that is removed afterwards.

namespace cdp::test {

/// Who the contract tests' changes are audited as.
inline const audit_note by_test{"test", "", "test-node"};

/// A throwaway database of one backend for one test case: a temporary SQLite
/// file, or a schema of its own in the PostgreSQL of CDPBATCH_TEST_PG_URL
/// (ctest runs test cases as parallel processes, so each needs its own).
class test_database {
public:
  /// "sqlite" or "postgresql". Without CDPBATCH_TEST_PG_URL the PostgreSQL
  /// variant fails under CI (env CI set) and is skipped with a warning
  /// elsewhere: then this returns nullptr.
  static std::unique_ptr<test_database> create(const std::string& backend);
  test_database(const test_database&) = delete;
  test_database& operator=(const test_database&) = delete;
  ~test_database();

  const std::string& backend() const { return backend_; }
  /// The store URL, for open_store and for child processes.
  const std::string& url() const { return url_; }

  /// A new store object (connection) on this database; not migrated.
  std::unique_ptr<store> connect(const store_options& options = {}) const;
  /// The test's own store object, migrated on first use.
  store& main();

  /// Raw SQL beneath the contract, for the few tests that must fake what no
  /// call can produce (a newer schema version) or look at the schema itself.
  void exec(const std::string& sql) const;
  /// The first column of the first row of `sql`, as an integer.
  int64_t scalar(const std::string& sql) const;

private:
  test_database() = default;

  std::string backend_;
  std::string url_;
  /// SQLite: the folder holding the file. PostgreSQL: the schema's name and
  /// the URL of the server without the schema.
  std::string sqlite_folder_;
  std::string pg_schema_;
  std::string pg_server_url_;
  std::unique_ptr<store> main_;
};

/// Both backend names, one per run of the test case (Catch2 GENERATE).
std::string each_backend();

/// "2024-03" as a year_month; the test fails on a malformed literal.
year_month ym(std::string_view text);

/// A fixed instant inside `month`: its first instant plus `offset`.
inline timestamp at(year_month month, std::chrono::milliseconds offset = {}) {
  return month.start_utc() + offset;
}

/// "Now" in most tests: two days into 2024-12, the current month.
inline const timestamp t0 = year_month::parse("2024-12")->start_utc() + std::chrono::hours{48};

/// A NEW advertiser backfilling `months` months up to 2024-12, created at t0.
void create_new(store& s, const std::string& id, int months = 24, int max_retries = 3);

/// A claim of `month` by `owner` with `token`; tests set the other fields.
inline claim_request claim_of(std::string id, year_month month, int64_t token,
                              std::string owner = "node-1") {
  claim_request r;
  r.advertiser_id = std::move(id);
  r.month = month;
  r.owner = std::move(owner);
  r.lease_token = token;
  return r;
}

inline complete_request completion_of(std::string id, year_month month, int64_t token,
                                      int64_t processed = 0, int64_t failed = 0) {
  complete_request r;
  r.advertiser_id = std::move(id);
  r.month = month;
  r.lease_token = token;
  r.processed_records = processed;
  r.failed_records = failed;
  return r;
}

inline fail_request failure_of(std::string id, year_month month, int64_t token,
                               std::string error,
                               std::optional<timestamp> next_attempt_at = std::nullopt) {
  fail_request r;
  r.advertiser_id = std::move(id);
  r.month = month;
  r.lease_token = token;
  r.error_message = std::move(error);
  r.next_attempt_at = next_attempt_at;
  return r;
}

/// A store call's value, failing the test with the store's message otherwise.
template <class T>
T must(expected<T> result) {
  if (!result)
    FAIL("store call failed: " << to_string(result.error().code) << ": "
                               << result.error().message);
  return std::move(result).value();
}

/// True when `result` is an error with `code`; says what came instead otherwise.
template <class T>
bool failed_with(const expected<T>& result, errc code) {
  if (result.has_value()) {
    UNSCOPED_INFO("expected " << to_string(code) << " but the call succeeded");
    return false;
  }
  UNSCOPED_INFO("failed with " << to_string(result.error().code) << ": "
                               << result.error().message);
  return result.error().code == code;
}

} // namespace cdp::test

/// Declares `db`, a fresh test_database of each backend in turn; returns from
/// the test case when that backend is not configured here.
#define FOR_EACH_BACKEND(db)                                                   \
  auto db = ::cdp::test::test_database::create(::cdp::test::each_backend());   \
  if (!db)                                                                     \
    return;                                                                    \
  INFO("backend: " << db->backend())
