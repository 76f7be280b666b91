#pragma once

#include <memory>
#include <string>

#include "persistence/store.hpp"

namespace cdp {

/// The embedded store: one SQLite file (WAL, foreign keys, busy timeout). The
/// folder of `path` is created. Several objects may open the same file; SQLite
/// serialises their writes.
expected<std::unique_ptr<store>> open_sqlite_store(const std::string& path,
                                                   const store_options& options);

} // namespace cdp
