#pragma once

#include <optional>
#include <string>

#include "domain/errors.hpp"

namespace cdp::console {

/// cdpctl's exit statuses, a contract for scripts.
enum class exit_status : int {
  ok = 0,
  /// The daemon refused the request; its reason is printed.
  refused = 1,
  /// The command line or the configuration is wrong.
  usage = 2,
  /// The daemon could not be reached or did not answer in time.
  unreachable = 3,
};

/// Why a command did not succeed, in an operator's words, and the exit
/// status that says so.
struct console_error {
  console_error(exit_status s, std::string m, std::optional<errc> c = std::nullopt)
    : status(s), message(std::move(m)), code(c) {}

  exit_status status = exit_status::refused;
  std::string message;
  /// The daemon's reason when it refused; none when it was not reached.
  std::optional<errc> code;
};

template <class T>
using reply = expected<T, console_error>;

} // namespace cdp::console
