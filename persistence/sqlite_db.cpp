#include "persistence/sqlite_db.hpp"

#include <filesystem>
#include <limits>
#include <mutex>

#include <sys/statvfs.h>

namespace cdp::sqlite {

namespace {

// How often (in virtual machine steps) SQLite asks whether to give up: often
// enough to stop within a millisecond or so, rarely enough to cost nothing.
constexpr int progress_period = 1000;

errc code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_INTERRUPT: return errc::timeout;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY: return errc::store_unavailable;
    default: return errc::store_error;
  }
}

} // namespace

// SQLite says only "unable to open database file" on a read-only file system.
std::string disk_hint(int rc, const std::string& path) {
  auto folder = std::filesystem::path{path}.parent_path();
  struct statvfs fs {};
  if (::statvfs(folder.empty() ? "." : folder.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0)
    return " (the file system holding it is read-only; cdpbatchd retries until it is writable)";
  if ((rc & 0xff) == SQLITE_FULL)
    return " (free space on its disk; cdpbatchd retries until a write succeeds)";
  return "";
}

// -- statement ------------------------------------------------------------------

statement::~statement() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

statement& statement::bind(int index, std::string_view text) {
  auto rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                SQLITE_UTF8);
  if (rc != SQLITE_OK)
    db_->fail(rc, "binding a parameter");
  return *this;
}

statement& statement::bind(int index, int64_t value) {
  auto rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK)
    db_->fail(rc, "binding a parameter");
  return *this;
}

statement& statement::bind(int index, timestamp value) {
  return bind(index, to_millis(value));
}

statement& statement::bind(int index, year_month value) {
  return bind(index, std::string_view{value.to_string()});
}

statement& statement::bind_null(int index) {
  auto rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK)
    db_->fail(rc, "binding a parameter");
  return *this;
}

bool statement::step() {
  if (!started_) {
    started_ = true;
    db_->arm_deadline();
  }
  auto rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  db_->fail(rc, sqlite3_sql(stmt_));
}

void statement::run() {
  while (step()) {
  }
}

int64_t statement::changes() const { return sqlite3_changes64(db_->handle()); }

bool statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string statement::text(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (p == nullptr)
    return {};
  return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

timestamp statement::time(int column) const {
  return timestamp{std::chrono::milliseconds{int64(column)}};
}

std::optional<timestamp> statement::optional_time(int column) const {
  if (is_null(column))
    return std::nullopt;
  return time(column);
}

year_month statement::month(int column) const {
  auto value = text(column);
  auto parsed = year_month::parse(value);
  if (!parsed)
    throw error{make_failure(errc::store_error, "sqlite " + db_->path()
                                                  + ": a stored month is not YYYY-MM: '"
                                                  + value + "'")};
  return *parsed;
}

std::optional<year_month> statement::optional_month(int column) const {
  if (is_null(column))
    return std::nullopt;
  return month(column);
}

// -- connection -------------------------------------------------------------------

connection::connection(sqlite3* db, std::string path, const store_options& options)
  : db_(db), path_(std::move(path)), statement_timeout_(options.statement_timeout) {
  sqlite3_progress_handler(db_, progress_period, &connection::on_progress, this);
}

connection::~connection() {
  for (auto& [sql, stmt] : cache_)
    sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

std::unique_ptr<connection> connection::open(const std::string& path,
                                             const store_options& options) {
  auto parent = std::filesystem::path{path}.parent_path();
  std::error_code ec;
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  if (ec)
    throw error{make_failure(errc::store_unavailable,
                             "sqlite " + path + ": cannot create the folder "
                               + parent.string() + ": " + ec.message())};
  // SQLite's memory statistics (on by default, unused here) take one global
  // mutex on every allocation of every connection: 7% of a 100,000-advertiser
  // wave's CPU. Settable only before SQLite initialises; if something in the
  // process opened a database first, it stays on (SQLITE_MISUSE, harmless).
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    throw error{make_failure(errc::store_unavailable,
                             "sqlite " + path + ": cannot open the database: " + why
                               + " (check store.url and the folder's permissions)")};
  }
  // Owned from here on, so every failure below closes the handle.
  std::unique_ptr<connection> conn{new connection(db, path, options)};
  sqlite3_extended_result_codes(db, 1);
  auto busy_ms = options.busy_timeout.count();
  sqlite3_busy_timeout(db, static_cast<int>(
                             std::min<int64_t>(busy_ms, std::numeric_limits<int>::max())));
  // WAL lets readers run beside the one writer; FULL makes every commit
  // durable before it returns (a transition is stored before it is acted on).
  // Memory-mapped reads and in-memory sorting are for the cdp-profile job,
  // which reads and groups a month's events (a million of them in seconds).
  // Reads come from the mapping, so the page cache (one per connection) is
  // kept small: at 64 MB it held ~30 MB more at 100,000 advertisers.
  conn->exec_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                    " PRAGMA cache_size=-8192; PRAGMA mmap_size=268435456;"
                    " PRAGMA temp_store=MEMORY;");
  return conn;
}

statement connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    // Handing out a statement that is mid-way through its rows would reset
    // it under its first user.
    if (sqlite3_stmt_busy(it->second))
      throw error{make_failure(errc::store_error, "sqlite " + path_ + ": statement in use twice: "
                                                    + std::string{sql.substr(0, 60)})};
    return statement{*this, it->second};
  }
  sqlite3_stmt* stmt = nullptr;
  auto rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                               SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK)
    fail(rc, "preparing " + std::string{sql.substr(0, 60)});
  cache_.emplace(sql, stmt);
  return statement{*this, stmt};
}

void connection::exec_script(const char* sql) {
  arm_deadline();
  char* message = nullptr;
  auto rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string why = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw error{make_failure(code_for(rc), "sqlite " + path_ + ": " + why + disk_hint(rc, path_))};
  }
}

failure connection::error_for(int rc, std::string_view what) const {
  auto code = code_for(rc);
  std::string text = "sqlite " + path_ + ": ";
  if (code == errc::timeout)
    return make_failure(code, text + "a statement ran past store statement_timeout ("
                                + std::to_string(statement_timeout_.count())
                                + "ms) and was interrupted: " + std::string{what.substr(0, 80)});
  text += sqlite3_errmsg(db_);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    text += " (another process held the write lock for longer than the busy timeout)";
  return make_failure(code, text + " while " + std::string{what.substr(0, 80)}
                              + disk_hint(rc, path_));
}

void connection::fail(int rc, std::string_view what) const {
  throw error{error_for(rc, what)};
}

void connection::arm_deadline() {
  deadline_ = std::chrono::steady_clock::now() + statement_timeout_;
}

int connection::on_progress(void* self) {
  auto* conn = static_cast<connection*>(self);
  if (conn->statement_timeout_.count() <= 0)
    return 0;
  return std::chrono::steady_clock::now() > conn->deadline_ ? 1 : 0;
}

// -- transactions -------------------------------------------------------------------

write_transaction::write_transaction(connection& db) : db_(db) {
  db_.prepare("BEGIN IMMEDIATE").run();
}

write_transaction::~write_transaction() {
  // An interrupted statement may already have rolled the transaction back.
  if (!done_ && db_.in_transaction())
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void write_transaction::commit() {
  // A statement left between rows (a one-row SELECT read before commit)
  // keeps a read open past COMMIT; then SQLite never restarts the WAL and it
  // grows without bound. What the caller read is already copied out.
  for (auto* s = sqlite3_next_stmt(db_.handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db_.handle(), s))
    if (sqlite3_stmt_busy(s))
      sqlite3_reset(s);
  db_.prepare("COMMIT").run();
  done_ = true;
}

read_transaction::read_transaction(connection& db) : db_(db) {
  db_.prepare("BEGIN").run();
}

read_transaction::~read_transaction() {
  if (db_.in_transaction())
    sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
}

} // namespace cdp::sqlite
