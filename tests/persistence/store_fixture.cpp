#include "store_fixture.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>

namespace cdp::test {

namespace {

std::string random_suffix() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(dist(rd)));
  return std::to_string(::getpid()) + "_" + buf;
}

/// DROP SCHEMA … CASCADE lists every table as a NOTICE; tests need none.
void silence(PGconn* conn) {
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
}

/// A short libpq session for what the store itself never does (schemas).
struct pg_session {
  explicit pg_session(const std::string& url) : conn(PQconnectdb(url.c_str())) {
    if (PQstatus(conn) != CONNECTION_OK)
      FAIL("cannot reach PostgreSQL at " << url << ": " << PQerrorMessage(conn));
    silence(conn);
  }
  ~pg_session() { PQfinish(conn); }
  pg_session(const pg_session&) = delete;
  pg_session& operator=(const pg_session&) = delete;

  /// Runs `sql`; the caller PQclear()s the result.
  PGresult* run(const std::string& sql) {
    auto* r = PQexec(conn, sql.c_str());
    auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string why = PQresultErrorMessage(r);
      PQclear(r);
      FAIL("PostgreSQL refused `" << sql << "`: " << why);
    }
    return r;
  }

  PGconn* conn;
};

/// A raw SQLite connection beside the store's, for exec/scalar.
struct sqlite_session {
  explicit sqlite_session(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK)
      FAIL("cannot open " << path << ": " << sqlite3_errmsg(db));
    sqlite3_busy_timeout(db, 10000);
  }
  ~sqlite_session() { sqlite3_close(db); }
  sqlite_session(const sqlite_session&) = delete;
  sqlite_session& operator=(const sqlite_session&) = delete;

  sqlite3* db = nullptr;
};

constexpr std::string_view sqlite_scheme = "sqlite://";

} // namespace

std::string each_backend() {
  return GENERATE(as<std::string>{}, "sqlite", "postgresql");
}

year_month ym(std::string_view text) {
  auto parsed = year_month::parse(text);
  if (!parsed)
    FAIL("not a month: " << text);
  return *parsed;
}

void create_new(store& s, const std::string& id, int months, int max_retries) {
  must(s.create_advertiser({id, "", advertiser_type::new_advertiser}, ym("2024-12"), months,
                           max_retries, t0, by_test));
}

std::unique_ptr<test_database> test_database::create(const std::string& backend) {
  std::unique_ptr<test_database> db{new test_database};
  db->backend_ = backend;
  if (backend == "sqlite") {
    // A folder that does not exist yet: the store must create it.
    auto folder = std::filesystem::temp_directory_path() / ("cdpbatch-store-test-" + random_suffix());
    db->sqlite_folder_ = folder.string();
    db->url_ = std::string{sqlite_scheme} + (folder / "nested" / "store.db").string();
    return db;
  }
  const char* url = std::getenv("CDPBATCH_TEST_PG_URL");
  if (url == nullptr || *url == '\0') {
    if (std::getenv("CI") != nullptr)
      FAIL("CDPBATCH_TEST_PG_URL is not set: under CI the PostgreSQL variant must run "
           "(tools/test.sh starts a throwaway server and sets it)");
    WARN("PostgreSQL variant skipped: CDPBATCH_TEST_PG_URL is not set "
         "(tools/test.sh starts a throwaway server and sets it)");
    return nullptr;
  }
  db->pg_server_url_ = url;
  // The name is made here from a pid and random hex, never from input.
  db->pg_schema_ = "cdp_test_" + random_suffix();
  {
    pg_session admin{db->pg_server_url_};
    PQclear(admin.run("CREATE SCHEMA " + db->pg_schema_));
  }
  auto separator = db->pg_server_url_.find('?') == std::string::npos ? "?" : "&";
  db->url_ = db->pg_server_url_ + separator + "options=-csearch_path%3D" + db->pg_schema_;
  return db;
}

test_database::~test_database() {
  // Every connection closes before its database goes.
  main_.reset();
  if (!sqlite_folder_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(sqlite_folder_, ec);
  }
  if (!pg_schema_.empty()) {
    auto* conn = PQconnectdb(pg_server_url_.c_str());
    silence(conn);
    if (PQstatus(conn) == CONNECTION_OK)
      PQclear(PQexec(conn, ("DROP SCHEMA IF EXISTS " + pg_schema_ + " CASCADE").c_str()));
    PQfinish(conn);
  }
}

std::unique_ptr<store> test_database::connect(const store_options& options) const {
  auto opened = open_store(url_, options);
  if (!opened)
    FAIL("cannot open " << url_ << ": " << opened.error().message);
  return std::move(opened).value();
}

store& test_database::main() {
  if (!main_) {
    main_ = connect();
    auto migrated = main_->migrate();
    if (!migrated)
      FAIL("migrations failed: " << migrated.error().message);
  }
  return *main_;
}

void test_database::exec(const std::string& sql) const {
  if (backend_ == "sqlite") {
    sqlite_session s{url_.substr(sqlite_scheme.size())};
    char* message = nullptr;
    if (sqlite3_exec(s.db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string why = message != nullptr ? message : "";
      sqlite3_free(message);
      FAIL("SQLite refused `" << sql << "`: " << why);
    }
    return;
  }
  pg_session s{url_};
  PQclear(s.run(sql));
}

int64_t test_database::scalar(const std::string& sql) const {
  if (backend_ == "sqlite") {
    sqlite_session s{url_.substr(sqlite_scheme.size())};
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(s.db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      FAIL("SQLite refused `" << sql << "`: " << sqlite3_errmsg(s.db));
    int64_t value = 0;
    if (sqlite3_step(stmt) == SQLITE_ROW)
      value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  pg_session s{url_};
  auto* r = s.run(sql);
  int64_t value = PQntuples(r) > 0 ? std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10) : 0;
  PQclear(r);
  return value;
}

} // namespace cdp::test
