#pragma once

#include <chrono>
#include <string>

#include <termios.h>

#include "console/watch_view.hpp"

namespace cdp::console {

bool stdout_is_terminal();

/// The size of the terminal on stdout (80x24 when it cannot tell).
screen_size terminal_size();

/// Ctrl-C, SIGTERM and SIGHUP set a flag instead of ending the process, so a
/// watch restores the terminal and exits 0.
void catch_stop_signals();
bool stop_signalled();

/// The terminal as `cdpctl watch` uses it: the alternate screen without a
/// cursor, keys read one at a time without echo. Everything is restored when
/// it goes out of scope.
class full_screen {
public:
  full_screen();
  ~full_screen();
  full_screen(const full_screen&) = delete;
  full_screen& operator=(const full_screen&) = delete;

  /// Replaces the screen's contents with `text`.
  void draw(const std::string& text);

  /// True once q, Q or Ctrl-C was typed (or a stop signal came).
  bool quit_requested();

private:
  bool saved_ = false;
  termios original_{};
};

} // namespace cdp::console
