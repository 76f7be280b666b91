#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"

// [[api.tokens]] and [admin.roles] are tables, not the one-value keys of
// config/keys.hpp: each entry has several fields, and a subject is a key.
namespace cdp::access_keys {

/// Whether `name` is one of these keys.
bool is_access_key(std::string_view name);

/// Reads the key's whole value into `cfg`; the problems found, each naming
/// the entry (an environment variable is read for `token_env`).
std::vector<std::string> assign(config& cfg, std::string_view name, const toml::node& node);

/// What no single entry shows: names and tokens used twice, http.token's
/// name taken.
std::vector<std::string> problems(const config& cfg);

/// The keys as TOML, tokens redacted; "" for each that is empty.
std::string render(const config& cfg);

} // namespace cdp::access_keys
