#pragma once

// What every client of the admin port (cdpctl, cdpload) reads the same way.

#include <optional>
#include <string>

namespace cdp::console {

/// A listening address as a place to connect to: "any address" means this host.
std::string connectable(const std::string& host);

/// The API token in `path`, without trailing white space; none when the
/// file cannot be read.
std::optional<std::string> read_token(const std::string& path);

} // namespace cdp::console
