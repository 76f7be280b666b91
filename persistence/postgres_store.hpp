#pragma once

#include <memory>
#include <string>

#include "persistence/store.hpp"

namespace cdp {

/// PostgreSQL through libpq: one connection, prepared statements, every value
/// bound. `url` is a libpq URI (postgresql://user:pass@host:port/db?...).
expected<std::unique_ptr<store>> open_postgres_store(const std::string& url,
                                                     const store_options& options);

} // namespace cdp
