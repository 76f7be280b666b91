#pragma once

#include <string>

#include "persistence/schema_versions.hpp"

namespace cdp {

/// The git commit this binary was built from (cmake/build_commit.cmake).
extern const char* const build_commit;

/// What `--version` prints: the release, the commit and the schema each store
/// migrates to, so an operator can tell which databases a binary opens.
inline std::string version_line(const std::string& program) {
  return program + " " CDP_VERSION " (commit " + build_commit + ", schema: SQLite "
         + std::to_string(sqlite_schema_version) + ", PostgreSQL "
         + std::to_string(postgres_schema_version) + ")";
}

} // namespace cdp
