#pragma once

#include <cstdint>
#include <string>

#include "domain/views.hpp"

namespace cdp::console {

/// A terminal's size in characters.
struct screen_size {
  size_t rows = 24;
  size_t cols = 80;
};

/// One frame of `cdpctl watch` for a full screen: exactly `size.rows` lines
/// (any number when 0) of at most `size.cols` characters. `note` goes on the
/// last line (how to quit, or why the frame is old).
std::string render_screen(const watch_frame& frame, screen_size size, const std::string& note);

/// One frame as plain lines, for a pipe or a file: one line per fact, each
/// starting with what it is (status, running, backfill, failed).
std::string render_lines(const watch_frame& frame);

/// `[#######-------------]`: `done` of `total` in `width` characters.
std::string progress_bar(int64_t done, int64_t total, size_t width);

} // namespace cdp::console
