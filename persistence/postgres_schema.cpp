#include "persistence/postgres_schema.hpp"
#include "persistence/schema_versions.hpp"

#include <iterator>
#include <span>

namespace cdp::pg {

namespace {

struct migration {
  int version;
  const char* sql;
};

// Released migrations never change: a new column or index is a new entry.
// The tables rewritten on every transition leave free space in each page
// (fillfactor) so updates of unindexed columns stay on the page (HOT).
// month_attempts has no foreign key to its month: rows are only ever inserted
// by the claim statement, from the state row it just updated, and a per-row
// RI check cost 12% of batch throughput.
// Timestamps are timestamptz; the store binds and reads them as epoch
// milliseconds through cdp_ts()/cdp_ms(), the one place that mapping lives.
constexpr migration migrations[] = {
  {1, R"sql(
CREATE FUNCTION cdp_ts(ms BIGINT) RETURNS TIMESTAMPTZ
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_timestamp(ms / 1000.0) $$;
CREATE FUNCTION cdp_ms(t TIMESTAMPTZ) RETURNS BIGINT
  LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT (extract(epoch FROM t) * 1000)::bigint $$;

CREATE TABLE advertisers (
  advertiser_id            VARCHAR(50) PRIMARY KEY,
  name                     TEXT NOT NULL DEFAULT '',
  active                   BOOLEAN NOT NULL DEFAULT true,
  advertiser_type          VARCHAR(20) NOT NULL DEFAULT 'EXISTING'
                           CHECK (advertiser_type IN ('NEW', 'EXISTING')),
  current_processing_month VARCHAR(7),
  backfill_start_month     VARCHAR(7),
  backfill_completed       BOOLEAN NOT NULL DEFAULT false,
  last_completed_month     VARCHAR(7),
  deactivation_reason      TEXT NOT NULL DEFAULT '',
  created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
) WITH (fillfactor = 80);

CREATE TABLE advertiser_processing_states (
  id                BIGSERIAL PRIMARY KEY,
  advertiser_id     VARCHAR(50) NOT NULL REFERENCES advertisers (advertiser_id),
  processing_month  VARCHAR(7) NOT NULL
                    CHECK (processing_month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  status            VARCHAR(20) NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED')),
  started_at        TIMESTAMPTZ,
  completed_at      TIMESTAMPTZ,
  processed_records BIGINT NOT NULL DEFAULT 0,
  failed_records    BIGINT NOT NULL DEFAULT 0,
  error_message     VARCHAR(1000),
  retry_count       INT NOT NULL DEFAULT 0,
  max_retries       INT NOT NULL DEFAULT 3,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  next_attempt_at   TIMESTAMPTZ,
  closed            BOOLEAN NOT NULL DEFAULT false,
  owner             VARCHAR(100),
  lease_token       BIGINT,
  UNIQUE (advertiser_id, processing_month)
) WITH (fillfactor = 80);
CREATE INDEX idx_aps_status ON advertiser_processing_states (status);
CREATE INDEX idx_aps_advertiser_id ON advertiser_processing_states (advertiser_id);

CREATE TABLE month_attempts (
  id               BIGSERIAL PRIMARY KEY,
  advertiser_id    VARCHAR(50) NOT NULL,
  processing_month VARCHAR(7) NOT NULL,
  attempt          INT NOT NULL,
  started_at       TIMESTAMPTZ NOT NULL,
  finished_at      TIMESTAMPTZ,
  outcome          VARCHAR(20) NOT NULL CHECK (outcome IN ('RUNNING', 'COMPLETED', 'FAILED')),
  error_message    VARCHAR(1000),
  owner            VARCHAR(100),
  lease_token      BIGINT,
  UNIQUE (advertiser_id, processing_month, attempt)
) WITH (fillfactor = 80);

CREATE TABLE customer_events (
  id            BIGSERIAL PRIMARY KEY,
  advertiser_id VARCHAR(50) NOT NULL,
  customer_id   TEXT NOT NULL,
  event_time    TIMESTAMPTZ NOT NULL,
  event_type    TEXT NOT NULL,
  revenue_cents BIGINT
);
CREATE INDEX idx_customer_events_advertiser_time ON customer_events (advertiser_id, event_time);

CREATE TABLE customer_monthly_profiles (
  advertiser_id    VARCHAR(50) NOT NULL,
  processing_month VARCHAR(7) NOT NULL,
  customer_id      TEXT NOT NULL,
  events           BIGINT NOT NULL,
  purchases        BIGINT NOT NULL,
  revenue_cents    BIGINT NOT NULL,
  first_seen       TIMESTAMPTZ NOT NULL,
  last_seen        TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (advertiser_id, processing_month, customer_id)
);

CREATE TABLE rejected_events (
  advertiser_id    VARCHAR(50) NOT NULL,
  processing_month VARCHAR(7) NOT NULL,
  event_id         BIGINT NOT NULL,
  reason           TEXT NOT NULL,
  PRIMARY KEY (advertiser_id, processing_month, event_id)
);
)sql"},
  // Several daemons: who is alive, and which node leases which advertiser.
  // A lease row outlives its holders (node_id NULL while free) so its epoch
  // only ever grows.
  {2, R"sql(
CREATE TABLE nodes (
  node_id      VARCHAR(100) PRIMARY KEY,
  host         TEXT NOT NULL DEFAULT '',
  pid          BIGINT NOT NULL DEFAULT 0,
  started_at   TIMESTAMPTZ NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL,
  stopped_at   TIMESTAMPTZ
);

CREATE TABLE advertiser_leases (
  advertiser_id VARCHAR(50) PRIMARY KEY REFERENCES advertisers (advertiser_id),
  node_id       VARCHAR(100),
  epoch         BIGINT NOT NULL DEFAULT 0,
  acquired_at   TIMESTAMPTZ
) WITH (fillfactor = 80);
CREATE INDEX idx_advertiser_leases_node ON advertiser_leases (node_id);
)sql"},
  // Half-open probes: an attempt says whether it was one.
  {3, R"sql(
ALTER TABLE month_attempts ADD COLUMN probe BOOLEAN NOT NULL DEFAULT false;
)sql"},
  // The unique (advertiser_id, processing_month) key serves every lookup by
  // advertiser; a second index on advertiser_id only cost each status change
  // (never a HOT update: status is indexed) one more index insert.
  {4, R"sql(
DROP INDEX idx_aps_advertiser_id;
)sql"},
  // The audit trail. No foreign key: a refused action may name an advertiser
  // that does not exist, and the rows outlive what they record.
  {5, R"sql(
CREATE TABLE audit (
  seq              BIGSERIAL PRIMARY KEY,
  at               TIMESTAMPTZ NOT NULL,
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
)sql"},
};
static_assert(std::size(migrations) == postgres_schema_version
                && migrations[std::size(migrations) - 1].version == postgres_schema_version,
              "persistence/schema_versions.hpp names the last migration");

// The lock key is per schema, so test cases in their own schemas migrate in
// parallel while two daemons on one schema take turns.
constexpr query lock_migrations{
  "cdp_lock_migrations",
  "SELECT pg_advisory_xact_lock(hashtext('cdpbatch.migrate.' || coalesce(current_schema(), '')))"};

constexpr const char* create_version_table =
  "CREATE TABLE IF NOT EXISTS schema_version ("
  " version INTEGER PRIMARY KEY,"
  " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())";

constexpr query version_table_exists{
  "cdp_version_table_exists", "SELECT to_regclass('schema_version') IS NOT NULL"};

constexpr query select_version{"cdp_select_version",
                               "SELECT coalesce(max(version), 0) FROM schema_version"};

constexpr query record_version{
  "cdp_record_version", "INSERT INTO schema_version (version, applied_at) VALUES ($1::int, now())"};

expected<int> recorded_version(connection& conn) {
  auto exists = conn.exec(version_table_exists, params{});
  if (!exists)
    return std::move(exists).error();
  if (!exists->boolean(0, 0))
    return 0;
  auto version = conn.exec(select_version, params{});
  if (!version)
    return std::move(version).error();
  return version->int32(0, 0);
}

failure too_new(int found) {
  return make_failure(errc::schema_too_new,
                      "the PostgreSQL database has schema version " + std::to_string(found)
                        + " but this cdpbatch knows only up to "
                        + std::to_string(postgres_schema_version)
                        + ": it was migrated by a newer cdpbatch; run that version or "
                          "restore a matching backup");
}

} // namespace


status migrate(connection& conn) {
  return conn.transact([&]() -> status {
    if (auto locked = conn.exec(lock_migrations, params{}); !locked)
      return std::move(locked).error();
    if (auto created = conn.exec_script("create schema_version", create_version_table); !created)
      return std::move(created).error();
    auto current = recorded_version(conn);
    if (!current)
      return std::move(current).error();
    if (*current > postgres_schema_version)
      return too_new(*current);
    for (const auto& m : migrations) {
      if (m.version <= *current)
        continue;
      auto what = "migration " + std::to_string(m.version);
      if (auto applied = conn.exec_script(what.c_str(), m.sql); !applied)
        return std::move(applied).error();
      if (auto recorded = conn.exec(record_version, params{}.add(m.version)); !recorded)
        return std::move(recorded).error();
    }
    return ok;
  });
}

expected<int> schema_version(connection& conn) {
  if (auto r = conn.ready(); !r)
    return std::move(r).error();
  return recorded_version(conn);
}

} // namespace cdp::pg
