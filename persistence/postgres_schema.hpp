#pragma once

// Private to the PostgreSQL store: the versioned migrations.

#include "domain/errors.hpp"
#include "persistence/pg_connection.hpp"

namespace cdp::pg {

/// Applies the migrations the database lacks in one transaction, under an
/// advisory lock so daemons starting together do not race. Tables go into
/// the connection's search_path (tests give each case its own schema).
status migrate(connection& conn);

/// The version recorded in schema_version, 0 before any migration.
expected<int> schema_version(connection& conn);

} // namespace cdp::pg
