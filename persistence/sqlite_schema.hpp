#pragma once

#include "domain/year_month.hpp"
#include "persistence/sqlite_db.hpp"

namespace cdp::sqlite {

/// The version recorded in `schema_version`, 0 for a database never migrated.
int recorded_schema_version(connection& db);

/// Applies every migration newer than the recorded version, in one
/// transaction. Throws errc::schema_too_new for a database migrated by a newer
/// binary, leaving it untouched.
void migrate(connection& db, timestamp now);

} // namespace cdp::sqlite
