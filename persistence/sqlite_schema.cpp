#include "persistence/sqlite_schema.hpp"
#include "persistence/schema_versions.hpp"

#include <array>

namespace cdp::sqlite {

namespace {

struct migration {
  int version;
  const char* sql;
};

// Timestamps are INTEGER milliseconds since the epoch, UTC; months are
// 'YYYY-MM' text, so text order is time order. Column names and types follow
// the PostgreSQL schema so both backends read alike.
constexpr const char* v1_initial_schema = R"sql(
CREATE TABLE advertisers (
  advertiser_id            VARCHAR(50) PRIMARY KEY NOT NULL,
  name                     TEXT NOT NULL DEFAULT '',
  active                   BOOLEAN NOT NULL DEFAULT 1,
  advertiser_type          VARCHAR(20) NOT NULL DEFAULT 'EXISTING'
                             CHECK (advertiser_type IN ('NEW', 'EXISTING')),
  current_processing_month VARCHAR(7),
  backfill_start_month     VARCHAR(7),
  backfill_completed       BOOLEAN NOT NULL DEFAULT 0,
  last_completed_month     VARCHAR(7),
  deactivation_reason      TEXT NOT NULL DEFAULT '',
  created_at               INTEGER NOT NULL,
  updated_at               INTEGER NOT NULL
);

CREATE TABLE advertiser_processing_states (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  advertiser_id     VARCHAR(50) NOT NULL REFERENCES advertisers (advertiser_id),
  processing_month  VARCHAR(7) NOT NULL,
  status            VARCHAR(20) NOT NULL DEFAULT 'PENDING'
                      CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')),
  started_at        INTEGER,
  completed_at      INTEGER,
  processed_records BIGINT NOT NULL DEFAULT 0,
  failed_records    BIGINT NOT NULL DEFAULT 0,
  error_message     VARCHAR(1000),
  retry_count       INTEGER NOT NULL DEFAULT 0,
  max_retries       INTEGER NOT NULL DEFAULT 3,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  next_attempt_at   INTEGER,
  closed            BOOLEAN NOT NULL DEFAULT 0,
  owner             VARCHAR(100),
  lease_token       BIGINT,
  UNIQUE (advertiser_id, processing_month)
);
CREATE INDEX idx_aps_status ON advertiser_processing_states (status);
CREATE INDEX idx_aps_advertiser_id ON advertiser_processing_states (advertiser_id);

CREATE TABLE month_attempts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  advertiser_id    VARCHAR(50) NOT NULL,
  processing_month VARCHAR(7) NOT NULL,
  attempt          INTEGER NOT NULL,
  started_at       INTEGER NOT NULL,
  finished_at      INTEGER,
  outcome          VARCHAR(20) NOT NULL
                     CHECK (outcome IN ('RUNNING', 'COMPLETED', 'FAILED')),
  error_message    VARCHAR(1000),
  owner            VARCHAR(100),
  lease_token      BIGINT,
  UNIQUE (advertiser_id, processing_month, attempt),
  FOREIGN KEY (advertiser_id, processing_month)
    REFERENCES advertiser_processing_states (advertiser_id, processing_month)
);

CREATE TABLE customer_events (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  advertiser_id VARCHAR(50) NOT NULL,
  customer_id   TEXT NOT NULL,
  event_time    INTEGER NOT NULL,
  event_type    TEXT NOT NULL,
  revenue_cents BIGINT
);
CREATE INDEX idx_customer_events_advertiser_time
  ON customer_events (advertiser_id, event_time);

CREATE TABLE customer_monthly_profiles (
  advertiser_id    VARCHAR(50) NOT NULL,
  processing_month VARCHAR(7) NOT NULL,
  customer_id      TEXT NOT NULL,
  events           BIGINT NOT NULL,
  purchases        BIGINT NOT NULL,
  revenue_cents    BIGINT NOT NULL,
  first_seen       INTEGER NOT NULL,
  last_seen        INTEGER NOT NULL,
  PRIMARY KEY (advertiser_id, processing_month, customer_id)
) WITHOUT ROWID;

CREATE TABLE rejected_events (
  advertiser_id    VARCHAR(50) NOT NULL,
  processing_month VARCHAR(7) NOT NULL,
  event_id         BIGINT NOT NULL,
  reason           TEXT NOT NULL,
  PRIMARY KEY (advertiser_id, processing_month, event_id)
) WITHOUT ROWID;
)sql";

// The cluster's tables, as on PostgreSQL: SQLite stays single-node, but the
// store contract (nodes, leases, fencing) is the same on both.
constexpr const char* v2_nodes_and_leases = R"sql(
CREATE TABLE nodes (
  node_id      VARCHAR(100) PRIMARY KEY NOT NULL,
  host         TEXT NOT NULL DEFAULT '',
  pid          BIGINT NOT NULL DEFAULT 0,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  stopped_at   INTEGER
);

CREATE TABLE advertiser_leases (
  advertiser_id VARCHAR(50) PRIMARY KEY NOT NULL REFERENCES advertisers (advertiser_id),
  node_id       VARCHAR(100),
  epoch         BIGINT NOT NULL DEFAULT 0,
  acquired_at   INTEGER
);
CREATE INDEX idx_advertiser_leases_node ON advertiser_leases (node_id);
)sql";

// Half-open probes: an attempt says whether it was one.
constexpr const char* v3_probe_attempts = R"sql(
ALTER TABLE month_attempts ADD COLUMN probe INTEGER NOT NULL DEFAULT 0;
)sql";

// The audit trail. No foreign key: a refused action may name an advertiser
// that does not exist, and the rows outlive what they record.
constexpr const char* v4_audit = R"sql(
CREATE TABLE audit (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  at               INTEGER NOT NULL,
  who              TEXT NOT NULL,
  action           VARCHAR(20) NOT NULL
                     CHECK (action IN ('create', 'import', 'trigger', 'retry', 'activate',
                                       'deactivate', 'probe')),
  advertiser_id    TEXT NOT NULL DEFAULT '',
  processing_month VARCHAR(7),
  node             TEXT NOT NULL DEFAULT '',
  reason           TEXT NOT NULL DEFAULT '',
  outcome          VARCHAR(10) NOT NULL CHECK (outcome IN ('done', 'refused')),
  error            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX idx_audit_advertiser ON audit (advertiser_id, seq);
CREATE INDEX idx_audit_at ON audit (at);
)sql";

// Append only: a released version's SQL never changes.
constexpr std::array migrations{
  migration{1, v1_initial_schema},
  migration{2, v2_nodes_and_leases},
  migration{3, v3_probe_attempts},
  migration{4, v4_audit},
};
static_assert(migrations.size() == sqlite_schema_version
                && migrations.back().version == sqlite_schema_version,
              "persistence/schema_versions.hpp names the last migration");

constexpr const char* create_schema_version = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (
  version    INTEGER PRIMARY KEY NOT NULL,
  applied_at INTEGER NOT NULL
))sql";

constexpr const char* has_schema_version =
  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'";

constexpr const char* select_schema_version =
  "SELECT COALESCE(MAX(version), 0) FROM schema_version";

constexpr const char* insert_schema_version =
  "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)";

int read_version(connection& db) {
  auto q = db.prepare(select_schema_version);
  q.step();
  return q.int32(0);
}

} // namespace


int recorded_schema_version(connection& db) {
  {
    auto q = db.prepare(has_schema_version);
    q.step();
    if (q.int64(0) == 0)
      return 0;
  }
  return read_version(db);
}

void migrate(connection& db, timestamp now) {
  write_transaction tx{db};
  db.exec_script(create_schema_version);
  auto current = read_version(db);
  if (current > sqlite_schema_version)
    throw error{make_failure(
      errc::schema_too_new,
      "sqlite " + db.path() + ": the database has schema version " + std::to_string(current)
        + " but this cdpbatch knows only up to " + std::to_string(sqlite_schema_version)
        + ": it was migrated by a newer cdpbatch; run that version (or point store.url at "
          "another database)")};
  for (const auto& m : migrations) {
    if (m.version <= current)
      continue;
    db.exec_script(m.sql);
    db.prepare(insert_schema_version).bind(1, m.version).bind(2, now).run();
  }
  tx.commit();
}

} // namespace cdp::sqlite
