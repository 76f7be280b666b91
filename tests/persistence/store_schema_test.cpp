#include <filesystem>
#include <thread>

#include "persistence/store.hpp"
#include "store_fixture.hpp"

using namespace cdp;
using namespace cdp::test;

TEST_CASE("migrations create the schema once and record each version in schema_version") {
  FOR_EACH_BACKEND(db);
  auto s = db->connect();
  CHECK(must(s->schema_version()) == 0);

  must(s->migrate());
  auto version = must(s->schema_version());
  CHECK(version >= 1);
  CHECK(db->scalar("SELECT count(*) FROM schema_version") == version);
  CHECK(db->scalar("SELECT max(version) FROM schema_version") == version);

  must(s->migrate());
  must(db->connect()->migrate());
  CHECK(must(s->schema_version()) == version);
  CHECK(db->scalar("SELECT count(*) FROM schema_version") == version);
}

TEST_CASE("two processes migrating the same fresh database at once both succeed") {
  FOR_EACH_BACKEND(db);
  auto a = db->connect();
  auto b = db->connect();
  status result_a = ok, result_b = ok;
  std::thread other{[&] { result_b = b->migrate(); }};
  result_a = a->migrate();
  other.join();
  CHECK(result_a.has_value());
  CHECK(result_b.has_value());
  auto version = must(a->schema_version());
  CHECK(db->scalar("SELECT count(*) FROM schema_version") == version);
}

TEST_CASE("a database migrated by a newer cdpbatch is refused with schema_too_new") {
  FOR_EACH_BACKEND(db);
  auto& s = db->main();
  auto version = must(s.schema_version());
  auto applied_at = db->backend() == "sqlite" ? "0" : "now()";
  db->exec("INSERT INTO schema_version (version, applied_at) VALUES (9999, "
           + std::string{applied_at} + ")");

  auto refused = db->connect()->migrate();
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == errc::schema_too_new);
  CHECK_THAT(refused.error().message, Catch::Contains("9999"));
  CHECK(db->scalar("SELECT count(*) FROM schema_version") == version + 1);
}

TEST_CASE("a reachable store answers ping") {
  FOR_EACH_BACKEND(db);
  CHECK(db->main().ping().has_value());
}

TEST_CASE("a store URL of another scheme is invalid_argument") {
  auto opened = open_store("mysql://localhost/cdp");
  REQUIRE_FALSE(opened.has_value());
  CHECK(opened.error().code == errc::invalid_argument);
}

TEST_CASE("a store that cannot be opened is store_unavailable") {
  auto sqlite = open_store("sqlite:///proc/cdpbatch-cannot-be-here/store.db");
  REQUIRE_FALSE(sqlite.has_value());
  CHECK(sqlite.error().code == errc::store_unavailable);

  store_options quick;
  quick.connect_timeout = std::chrono::seconds{2};
  auto pg = open_store("postgresql://nobody@127.0.0.1:1/none", quick);
  REQUIRE_FALSE(pg.has_value());
  CHECK(pg.error().code == errc::store_unavailable);
}

TEST_CASE("the SQLite store keeps its file in WAL mode, in a folder it creates") {
  auto db = cdp::test::test_database::create("sqlite");
  db->main();
  CHECK(db->scalar("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1);
}

TEST_CASE("the SQLite write-ahead log stays bounded under a stream of commits") {
  auto db = cdp::test::test_database::create("sqlite");
  auto& s = db->main();
  for (int i = 0; i < 3000; ++i)
    REQUIRE(s.create_advertiser({"adv-" + std::to_string(i), "n", advertiser_type::existing},
                                ym("2024-12"), 24, 3, t0, by_test));
  // Each commit appends pages; checkpoints must keep recycling the log
  // (SQLite's default: about 1000 pages, 4 MiB).
  auto wal = std::filesystem::path{db->url().substr(std::string{"sqlite://"}.size())}.string()
             + "-wal";
  REQUIRE(std::filesystem::exists(wal));
  CHECK(std::filesystem::file_size(wal) < 16 * 1024 * 1024);
}
