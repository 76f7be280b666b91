#include "load/progress.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "console/watch_view.hpp"

namespace cdp::load {

namespace {

std::string eta_of(const progress_view& p) {
  auto left = p.months_due - p.months_done;
  if (left <= 0)
    return "0s";
  if (p.months_done <= 0 || p.elapsed_s <= 0)
    return "?";
  auto seconds = static_cast<double>(left) * p.elapsed_s / static_cast<double>(p.months_done);
  if (seconds < 60)
    return fmt::format("{:.0f}s", std::ceil(seconds));
  return fmt::format("{:.0f}m{:02.0f}s", std::floor(seconds / 60), std::fmod(seconds, 60));
}

int columns(std::FILE* out) {
  winsize w{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &w) == 0 && w.ws_col > 0)
    return w.ws_col;
  return 80;
}

} // namespace

std::string progress_bar(const progress_view& p, int width) {
  auto text = fmt::format("  {}/{} months  {:.0f} jobs/s  ETA {}", p.months_done, p.months_due,
                          p.jobs_per_s, eta_of(p));
  if (p.rss_mb)
    text += fmt::format("  {:.0f} MB", *p.rss_mb);
  auto bar = static_cast<size_t>(std::max(10, width - static_cast<int>(text.size()) - 3));
  // Nothing due is all done.
  auto due = p.months_due > 0 ? p.months_due : 1;
  auto done = p.months_due > 0 ? p.months_done : 1;
  return console::progress_bar(done, due, bar) + text;
}

std::string progress_line(const progress_view& p) {
  auto line = fmt::format("cdpload: {}/{} months, {:.0f} jobs/s, {:.1f} s, ETA {}", p.months_done,
                          p.months_due, p.jobs_per_s, p.elapsed_s, eta_of(p));
  if (p.rss_mb)
    line += fmt::format(", RSS {:.0f} MB", *p.rss_mb);
  return line;
}

progress_display::progress_display(std::FILE* out)
    : out_(out), terminal_(::isatty(::fileno(out)) != 0) {}

void progress_display::show(const progress_view& p) {
  auto now = std::chrono::steady_clock::now();
  auto every = terminal_ ? std::chrono::milliseconds{200} : std::chrono::milliseconds{5000};
  if (now - last_ < every)
    return;
  last_ = now;
  if (terminal_)
    std::fprintf(out_, "\r%s\x1b[K", progress_bar(p, columns(out_) - 1).c_str());
  else
    std::fprintf(out_, "%s\n", progress_line(p).c_str());
  std::fflush(out_);
}

void progress_display::finish(const progress_view& p) {
  if (terminal_)
    std::fprintf(out_, "\r%s\x1b[K\n", progress_bar(p, columns(out_) - 1).c_str());
  else
    std::fprintf(out_, "%s\n", progress_line(p).c_str());
  std::fflush(out_);
}

} // namespace cdp::load
