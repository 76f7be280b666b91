#pragma once

// Private to the PostgreSQL store: one libpq connection with its prepared
// statements, results that free themselves, and transactions that retry on
// deadlock. Nothing here knows the schema.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <libpq-fe.h>

#include "domain/errors.hpp"
#include "domain/year_month.hpp"
#include "persistence/store.hpp"

namespace cdp::pg {

/// A named SQL statement, prepared once per connection on first use. Only
/// compile-time constants go here: values are always bound as $n parameters.
struct query {
  const char* name;
  const char* sql;
};

/// Values for $1..$n, in libpq's text format (NULL for absent values).
class params {
public:
  params& add(std::string value);
  params& add(std::string_view value) { return add(std::string{value}); }
  params& add(const char* value) { return add(std::string{value}); }
  params& add(int64_t value) { return add(std::to_string(value)); }
  params& add(int value) { return add(std::to_string(value)); }
  params& add(bool value) { return add(std::string{value ? "t" : "f"}); }
  /// Timestamps travel as epoch milliseconds; SQL converts with cdp_ts().
  params& add(timestamp value) { return add(value.time_since_epoch().count()); }
  params& add(year_month value) { return add(value.to_string()); }
  params& add_null();
  template <class T>
  params& add(const std::optional<T>& value) {
    return value ? add(*value) : add_null();
  }

  int size() const { return static_cast<int>(values_.size()); }
  /// Pointers into this object: valid while it lives and is not changed.
  std::vector<const char*> pointers() const;

private:
  std::vector<std::optional<std::string>> values_;
};

/// Builds a PostgreSQL array literal (`{"a","b",NULL}`), bound as one
/// parameter: how a whole batch travels in one statement.
class array {
public:
  void add(std::string_view text);
  void add(int64_t value) { add_raw(std::to_string(value)); }
  void add(int value) { add_raw(std::to_string(value)); }
  void add(bool value) { add_raw(value ? "t" : "f"); }
  void add(timestamp value) { add(value.time_since_epoch().count()); }
  void add(year_month value) { add(value.to_string()); }
  void add_null() { add_raw("NULL"); }
  template <class T>
  void add(const std::optional<T>& value) {
    if (value)
      add(*value);
    else
      add_null();
  }
  /// The literal; the builder is empty afterwards.
  std::string take();

private:
  void add_raw(std::string_view element);
  std::string text_ = "{";
};

/// One query's rows, freed on destruction. Columns are read by position, in
/// the order the query lists them.
class result {
public:
  explicit result(PGresult* r) : r_(r, &PQclear) {}

  int rows() const { return PQntuples(r_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const;
  std::string string(int row, int col) const { return std::string{text(row, col)}; }
  int64_t int64(int row, int col) const;
  int int32(int row, int col) const { return static_cast<int>(int64(row, col)); }
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  std::optional<int64_t> opt_int64(int row, int col) const;
  /// A column read as cdp_ms(...): epoch milliseconds.
  timestamp time(int row, int col) const;
  std::optional<timestamp> opt_time(int row, int col) const;
  /// Rows an INSERT/UPDATE/DELETE touched.
  int64_t affected() const;
  const PGresult* get() const { return r_.get(); }

private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

/// One connection to PostgreSQL. Blocking; one thread at a time.
class connection {
public:
  /// Connects (connect_timeout from `options`) and sets statement_timeout.
  /// errc::store_unavailable when the server cannot be reached.
  static expected<std::unique_ptr<connection>> open(const std::string& url,
                                                    const store_options& options);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Called at the start of every store call: after a broken connection,
  /// tries PQreset once, so a caller that retries with backoff reconnects.
  status ready();

  /// Runs a prepared statement (prepared on this connection's first use).
  expected<result> exec(const query& q, const params& p);
  /// Runs parameterless SQL (BEGIN, COMMIT, migration DDL); may hold several
  /// statements.
  expected<result> exec_script(const char* what, const char* sql);

  /// Runs `body` (returning expected<T>) inside BEGIN/COMMIT. Rolls back when
  /// the body fails; retries the whole transaction a few times when it failed
  /// on a deadlock or serialization failure.
  template <class F>
  auto transact(F&& body) -> decltype(body());

  /// Whether the last failed statement was a deadlock/serialization failure.
  bool last_error_retryable() const { return last_retryable_; }

  /// Counts the server sessions this connection has had: it grows with every
  /// reconnect, when session state (locks, settings) is gone.
  uint64_t session() const { return session_; }

private:
  connection(PGconn* conn, std::string where, store_options options);
  status after_connect();
  status begin();
  status commit();
  void rollback();
  void backoff(int attempt);
  failure failure_of(const char* what, const PGresult* r);

  PGconn* conn_;
  /// host:port/db for messages, never the password.
  std::string where_;
  store_options options_;
  std::unordered_set<std::string> prepared_;
  bool broken_ = false;
  bool last_retryable_ = false;
  uint64_t session_ = 0;
};

template <class F>
auto connection::transact(F&& body) -> decltype(body()) {
  constexpr int attempts = 5;
  if (auto r = ready(); !r)
    return std::move(r).error();
  for (int attempt = 1;; ++attempt) {
    if (auto r = begin(); !r)
      return std::move(r).error();
    auto out = body();
    if (out) {
      auto c = commit();
      if (c)
        return out;
      if (!last_retryable_ || attempt == attempts)
        return std::move(c).error();
    } else {
      rollback();
      if (!last_retryable_ || attempt == attempts)
        return out;
    }
    backoff(attempt);
  }
}

} // namespace cdp::pg
