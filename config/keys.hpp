#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace cdp::config_keys {

/// One documented key: how to read it from a TOML value into `config`, and
/// how to print it back.
struct key {
  std::string_view name;
  /// Stores the value, or returns why it cannot (type, format).
  std::function<std::optional<std::string>(config&, const toml::node&)> assign;
  std::function<std::string(const config&)> render;
};

/// Every key of the configuration contract, in config.toml's order.
const std::vector<key>& all();

const key* find(std::string_view name);

} // namespace cdp::config_keys
