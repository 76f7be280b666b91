#pragma once

#include <iosfwd>

#include "console/outcome.hpp"

namespace cdp::console {

/// Tables for people, or the REST API's JSON for scripts.
enum class output_format { table, json };

/// Says why a command failed: a line on stderr, and with JSON also the
/// API's `{"error", "detail"}` body on stdout, so a script reads JSON either
/// way. The exit status that goes with it.
exit_status report(const console_error& e, output_format format, std::ostream& out,
                   std::ostream& err);

} // namespace cdp::console
