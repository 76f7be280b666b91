#pragma once

// The schema version each store migrates to. Header-only so `--version` of
// every binary, the console's too, can say which databases it opens without
// linking the stores; each migration list is checked against its number.

namespace cdp {

inline constexpr int sqlite_schema_version = 4;
inline constexpr int postgres_schema_version = 5;

} // namespace cdp
