#include "console/watch_command.hpp"

#include <ostream>

#include "console/terminal.hpp"
#include "console/watch_view.hpp"

namespace cdp::console {

namespace {

using steady = std::chrono::steady_clock;

/// How often keys and signals are looked at between frames.
constexpr std::chrono::milliseconds key_poll{100};

console_error silence(const session& daemon, std::chrono::milliseconds limit) {
  return {exit_status::unreachable,
          "no frame from the daemon at " + to_string(daemon.where()) + " for "
            + std::to_string(limit.count() / 1000) + "s"};
}

exit_status watch_screen(session& daemon, const watch_options& options, watch_frame frame,
                         std::ostream& out, std::ostream& err) {
  std::optional<console_error> lost;
  {
    full_screen screen;
    auto note = std::string{"q or Ctrl-C quits"};
    auto size = terminal_size();
    screen.draw(render_screen(frame, size, note));
    auto last = steady::now();
    while (!screen.quit_requested()) {
      auto next = daemon.next_frame(key_poll);
      bool redraw = terminal_size().rows != size.rows || terminal_size().cols != size.cols;
      if (next && *next) {
        frame = std::move(**next);
        last = steady::now();
        note = "q or Ctrl-C quits";
        redraw = true;
      } else if (next && next->error().status == exit_status::unreachable) {
        lost = next->error();
        break;
      } else if (next) {
        note = "no new frame: " + next->error().message + " (q quits)";
        redraw = true;
      } else if (steady::now() - last > options.silence_limit) {
        break;
      }
      if (redraw) {
        size = terminal_size();
        screen.draw(render_screen(frame, size, note));
      }
    }
    if (!lost && steady::now() - last <= options.silence_limit)
      return exit_status::ok;
  }
  return report(lost ? *lost : silence(daemon, options.silence_limit), options.format, out, err);
}

exit_status watch_lines(session& daemon, const watch_options& options, const watch_frame& first,
                        std::ostream& out, std::ostream& err) {
  out << options.print(first) << std::flush;
  auto last = steady::now();
  while (!stop_signalled()) {
    auto next = daemon.next_frame(key_poll);
    if (next && *next) {
      out << options.print(**next) << std::flush;
      last = steady::now();
    } else if (next && next->error().status == exit_status::unreachable) {
      return report(next->error(), options.format, out, err);
    } else if (next) {
      err << "cdpctl: no new frame: " << next->error().message << std::endl;
    } else if (steady::now() - last > options.silence_limit) {
      return report(silence(daemon, options.silence_limit), options.format, out, err);
    }
  }
  return exit_status::ok;
}

} // namespace

exit_status run_watch(session& daemon, const watch_options& options, std::ostream& out,
                      std::ostream& err) {
  if (options.once) {
    auto frame = daemon.ask<watch_frame>(watch_atom_v);
    if (!frame)
      return report(frame.error(), options.format, out, err);
    out << options.print(*frame);
    return exit_status::ok;
  }
  catch_stop_signals();
  auto first = daemon.subscribe(options.interval);
  if (!first)
    return report(first.error(), options.format, out, err);
  if (options.full_screen)
    return watch_screen(daemon, options, std::move(*first), out, err);
  return watch_lines(daemon, options, *first, out, err);
}

} // namespace cdp::console
