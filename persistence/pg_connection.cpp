#include "persistence/pg_connection.hpp"

#include <charconv>
#include <random>
#include <thread>

namespace cdp::pg {

namespace {

// SQLSTATEs that decide how a caller reacts.
constexpr std::string_view deadlock_detected = "40P01";
constexpr std::string_view serialization_failure = "40001";
constexpr std::string_view query_canceled = "57014";

/// Connection-level trouble: class 08 (connection exception) and the
/// server-going-away states of class 57 (admin/crash shutdown, cannot
/// connect now).
bool is_unavailable(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02"
         || state == "57P03";
}

// Session settings, after every (re)connect. Every statement of the store
// touches a bounded set of rows found by key, for which nested loops over
// unique indexes are right at any table size. Left to itself the planner
// sometimes hashes a whole table of month states for a batch of 1,000 keys
// (statistics lag behind a status mix that changes by the second), which cost
// a batch 30x; "off" only makes hash and merge joins a last resort. JIT
// compiling pays off for long analytical queries, which the store has none
// of: it added 1.1 s to a lease census over a million advertisers.
constexpr query session_settings{
  "cdp_session_settings",
  "SELECT set_config('statement_timeout', $1::text, false),"
  " set_config('idle_in_transaction_session_timeout', $2::text, false),"
  " set_config('enable_hashjoin', 'off', false), set_config('enable_mergejoin', 'off', false),"
  " set_config('jit', 'off', false)"};

std::string where_of(PGconn* conn) {
  std::string host = PQhost(conn) ? PQhost(conn) : "?";
  std::string port = PQport(conn) ? PQport(conn) : "?";
  std::string db = PQdb(conn) ? PQdb(conn) : "?";
  return host + ":" + port + "/" + db;
}

/// libpq's message on one line: log lines and JSON errors stay whole.
std::string trimmed(const char* message) {
  std::string text;
  for (const char* c = message ? message : ""; *c != '\0'; ++c) {
    bool space = *c == '\n' || *c == '\t' || *c == ' ';
    if (space && (text.empty() || text.back() == ' '))
      continue;
    text += space ? ' ' : *c;
  }
  if (!text.empty() && text.back() == ' ')
    text.pop_back();
  return text;
}

void ignore_notice(void*, const char*) {}

} // namespace

// -- params, array ------------------------------------------------------------

params& params::add(std::string value) {
  values_.emplace_back(std::move(value));
  return *this;
}

params& params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_)
    out.push_back(v ? v->c_str() : nullptr);
  return out;
}

void array::add(std::string_view text) {
  // Quoted element: only backslash and double quote need escaping inside.
  std::string element = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      element += '\\';
    element += c;
  }
  element += '"';
  add_raw(element);
}

void array::add_raw(std::string_view element) {
  if (text_.size() > 1)
    text_ += ',';
  text_ += element;
}

std::string array::take() {
  std::string out = std::move(text_);
  out += '}';
  text_ = "{";
  return out;
}

// -- result -------------------------------------------------------------------

std::string_view result::text(int row, int col) const {
  return {PQgetvalue(r_.get(), row, col),
          static_cast<size_t>(PQgetlength(r_.get(), row, col))};
}

int64_t result::int64(int row, int col) const {
  auto t = text(row, col);
  int64_t value = 0;
  std::from_chars(t.data(), t.data() + t.size(), value);
  return value;
}

std::optional<int64_t> result::opt_int64(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  return int64(row, col);
}

timestamp result::time(int row, int col) const {
  return timestamp{std::chrono::milliseconds{int64(row, col)}};
}

std::optional<timestamp> result::opt_time(int row, int col) const {
  if (is_null(row, col))
    return std::nullopt;
  return time(row, col);
}

int64_t result::affected() const {
  std::string_view t = PQcmdTuples(r_.get());
  int64_t value = 0;
  std::from_chars(t.data(), t.data() + t.size(), value);
  return value;
}

// -- connection -----------------------------------------------------------------

expected<std::unique_ptr<connection>> connection::open(const std::string& url,
                                                       const store_options& options) {
  // connect_timeout comes first so a value in the URL still wins; libpq
  // counts whole seconds.
  auto seconds = (options.connect_timeout.count() + 999) / 1000;
  std::string timeout = std::to_string(std::max<int64_t>(seconds, 1));
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), "cdpbatch", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr)
    return make_failure(errc::store_unavailable, "PostgreSQL: out of memory while connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    auto message = "cannot connect to PostgreSQL at " + where_of(conn) + ": "
                   + trimmed(PQerrorMessage(conn))
                   + " (check store.url and that the server is up; retrying)";
    PQfinish(conn);
    return make_failure(errc::store_unavailable, std::move(message));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  std::unique_ptr<connection> out{new connection(conn, where_of(conn), options)};
  if (auto r = out->after_connect(); !r)
    return std::move(r).error();
  return out;
}

connection::connection(PGconn* conn, std::string where, store_options options)
  : conn_(conn), where_(std::move(where)), options_(options) {}

connection::~connection() { PQfinish(conn_); }

status connection::after_connect() {
  prepared_.clear();
  ++session_;
  auto set = exec(session_settings,
                  params{}
                    .add(std::to_string(options_.statement_timeout.count()))
                    .add(std::to_string(options_.idle_in_transaction.count())));
  if (!set)
    return std::move(set).error();
  return ok;
}

status connection::ready() {
  if (!broken_)
    return ok;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK)
    return make_failure(errc::store_unavailable,
                        "PostgreSQL at " + where_ + " is unreachable: "
                          + trimmed(PQerrorMessage(conn_)) + " (will retry)");
  broken_ = false;
  return after_connect();
}

failure connection::failure_of(const char* what, const PGresult* r) {
  const char* state_field = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view state = state_field ? state_field : "";
  std::string detail = trimmed(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (detail.empty())
    detail = trimmed(PQerrorMessage(conn_));
  last_retryable_ = state == deadlock_detected || state == serialization_failure;
  if (PQstatus(conn_) != CONNECTION_OK || is_unavailable(state)) {
    broken_ = PQstatus(conn_) != CONNECTION_OK;
    return make_failure(errc::store_unavailable, "lost the connection to PostgreSQL at "
                                                   + where_ + " during " + what + ": "
                                                   + detail + " (will reconnect and retry)");
  }
  if (state == query_canceled)
    return make_failure(errc::timeout,
                        std::string{what} + " ran longer than store statement_timeout ("
                          + std::to_string(options_.statement_timeout.count())
                          + "ms) on PostgreSQL at " + where_);
  return make_failure(errc::store_error, "PostgreSQL " + where_ + " failed " + what + ": "
                                           + detail + " (SQLSTATE "
                                           + std::string{state} + ")");
}

expected<result> connection::exec(const query& q, const params& p) {
  if (broken_)
    return make_failure(errc::store_unavailable,
                        "the connection to PostgreSQL at " + where_ + " is broken");
  if (!prepared_.contains(q.name)) {
    result prep{PQprepare(conn_, q.name, q.sql, 0, nullptr)};
    if (PQresultStatus(prep.get()) != PGRES_COMMAND_OK)
      return failure_of(q.name, prep.get());
    prepared_.insert(q.name);
  }
  auto values = p.pointers();
  result r{PQexecPrepared(conn_, q.name, p.size(), values.data(), nullptr, nullptr, 0)};
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return failure_of(q.name, r.get());
  return r;
}

expected<result> connection::exec_script(const char* what, const char* sql) {
  if (broken_)
    return make_failure(errc::store_unavailable,
                        "the connection to PostgreSQL at " + where_ + " is broken");
  result r{PQexec(conn_, sql)};
  auto st = PQresultStatus(r.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return failure_of(what, r.get());
  return r;
}

status connection::begin() {
  last_retryable_ = false;
  if (auto r = exec_script("BEGIN", "BEGIN"); !r)
    return std::move(r).error();
  return ok;
}

status connection::commit() {
  if (auto r = exec_script("COMMIT", "COMMIT"); !r)
    return std::move(r).error();
  return ok;
}

void connection::rollback() {
  // A broken connection has already lost the transaction on the server.
  if (!broken_ && PQtransactionStatus(conn_) != PQTRANS_IDLE)
    exec_script("ROLLBACK", "ROLLBACK");
}

void connection::backoff(int attempt) {
  // Deadlock victims that retry in lockstep collide again; a little jitter
  // lets one of them through.
  thread_local std::minstd_rand random{std::random_device{}()};
  std::uniform_int_distribution<int> ms{1, 5 * attempt};
  std::this_thread::sleep_for(std::chrono::milliseconds{ms(random)});
}

} // namespace cdp::pg
