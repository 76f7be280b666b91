#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/errors.hpp"
#include "domain/year_month.hpp"
#include "persistence/store.hpp"

// The SQLite backend's plumbing: one connection, its cached prepared
// statements, and the statement deadline. Private to persistence/.
namespace cdp::sqlite {

/// What an operator should know about the disk holding `path` when a write
/// failed with SQLite result `rc` (read-only, full), or "".
std::string disk_hint(int rc, const std::string& path);

/// A failed SQLite call, thrown inside the backend and turned back into a
/// `failure` value at the store's boundary by `guarded`.
struct error {
  failure what;
};

/// Runs `body` (which returns an `expected`) and turns a thrown `error` into
/// its failure, so every public call of the store returns errors as values.
template <class Body>
auto guarded(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (error& e) {
    return std::move(e.what);
  } catch (const std::exception& e) {
    // Anything else (allocation, a library's own throw) is still an error
    // value: a worker that throws would die and take its queue with it.
    return failure{errc::store_error, e.what()};
  }
}

class connection;

/// One use of a cached prepared statement: parameters are bound with ?N
/// numbering, rows read by column index. Resetting on destruction returns the
/// statement to the cache clean, whatever path the caller took.
class statement {
public:
  statement(connection& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  statement& bind(int index, std::string_view text);
  statement& bind(int index, const char* text) { return bind(index, std::string_view{text}); }
  statement& bind(int index, int64_t value);
  statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  statement& bind(int index, bool value) { return bind(index, static_cast<int64_t>(value)); }
  statement& bind(int index, timestamp value);
  statement& bind(int index, year_month value);
  statement& bind_null(int index);
  template <class T>
  statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  /// Advances to the next row: true while there is one.
  bool step();
  /// Runs a statement that returns no rows (or whose rows are not wanted).
  void run();
  /// Rows changed by the last `run`/`step` of this connection.
  int64_t changes() const;

  bool is_null(int column) const;
  std::string text(int column) const;
  int64_t int64(int column) const;
  int int32(int column) const { return static_cast<int>(int64(column)); }
  bool boolean(int column) const { return int64(column) != 0; }
  timestamp time(int column) const;
  std::optional<timestamp> optional_time(int column) const;
  year_month month(int column) const;
  std::optional<year_month> optional_month(int column) const;

private:
  connection* db_;
  sqlite3_stmt* stmt_;
  bool started_ = false;
};

/// One SQLite connection in WAL mode. Not thread-safe: one thread at a time,
/// like the store that owns it.
class connection {
public:
  /// Opens (creating the file and its folder) and applies the settings every
  /// connection needs: WAL, synchronous=FULL, foreign keys, busy timeout.
  static std::unique_ptr<connection> open(const std::string& path,
                                          const store_options& options);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  /// The cached statement for `sql`, which must be a constant that outlives
  /// the connection (the cache is keyed on its text).
  statement prepare(std::string_view sql);
  /// Runs SQL without parameters (DDL of migrations), several statements allowed.
  void exec_script(const char* sql);

  /// The failure for the result code `rc` of an operation described by `what`.
  failure error_for(int rc, std::string_view what) const;
  [[noreturn]] void fail(int rc, std::string_view what) const;

  /// Starts the statement deadline (options' statement_timeout); SQLite's
  /// progress handler interrupts whatever runs past it.
  void arm_deadline();
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

private:
  connection(sqlite3* db, std::string path, const store_options& options);
  static int on_progress(void* self);

  sqlite3* db_;
  std::string path_;
  std::chrono::milliseconds statement_timeout_;
  std::chrono::steady_clock::time_point deadline_{};
  std::unordered_map<std::string_view, sqlite3_stmt*> cache_;
};

/// `BEGIN IMMEDIATE` at construction (the write lock is taken up front, so a
/// transaction never fails half-way for want of it), `ROLLBACK` on
/// destruction unless `commit` ran.
class write_transaction {
public:
  explicit write_transaction(connection& db);
  write_transaction(const write_transaction&) = delete;
  write_transaction& operator=(const write_transaction&) = delete;
  ~write_transaction();
  void commit();

private:
  connection& db_;
  bool done_ = false;
};

/// A deferred `BEGIN` for reads that must see one snapshot.
class read_transaction {
public:
  explicit read_transaction(connection& db);
  read_transaction(const read_transaction&) = delete;
  read_transaction& operator=(const read_transaction&) = delete;
  ~read_transaction();

private:
  connection& db_;
};

inline int64_t to_millis(timestamp t) { return t.time_since_epoch().count(); }

} // namespace cdp::sqlite
