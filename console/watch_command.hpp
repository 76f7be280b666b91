#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <string>

#include "console/outcome.hpp"
#include "console/output.hpp"
#include "console/session.hpp"

namespace cdp::console {

struct watch_options {
  std::chrono::milliseconds interval{1000};
  /// One frame, then exit.
  bool once = false;
  /// Redraw one screen (stdout is a terminal) rather than print lines.
  bool full_screen = false;
  /// Without a frame for this long the daemon is taken for gone.
  std::chrono::milliseconds silence_limit{10000};
  /// How a frame is printed when not drawn on a screen (plain lines or JSON).
  std::function<std::string(const watch_frame&)> print;
  /// How failures are told (see `report`).
  output_format format = output_format::table;
};

/// `cdpctl watch`: frames pushed by the daemon, redrawn or printed as they
/// come, until q, Ctrl-C or a stop signal (exit 0), or until the daemon is
/// lost (exit 3). A frame the daemon could not make is shown and the watch
/// goes on.
exit_status run_watch(session& daemon, const watch_options& options, std::ostream& out,
                      std::ostream& err);

} // namespace cdp::console
