#include "console/terminal.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace cdp::console {

namespace {

std::atomic<bool> stop_flag{false};

void on_stop_signal(int) {
  stop_flag = true;
}

void write_out(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

} // namespace

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}

void catch_stop_signals() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP})
    ::sigaction(sig, &sa, nullptr);
}

bool stop_signalled() {
  return stop_flag.load();
}

full_screen::full_screen() {
  if (::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &original_) == 0) {
    auto raw = original_;
    // No line editing, no echo; Ctrl-C arrives as a key (ISIG off) so the
    // screen is restored before the console ends.
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO | ISIG));
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    saved_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  write_out("\x1b[?1049h\x1b[?25l");
}

full_screen::~full_screen() {
  write_out("\x1b[?25h\x1b[?1049l");
  if (saved_)
    ::tcsetattr(STDIN_FILENO, TCSANOW, &original_);
}

screen_size terminal_size() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
    return {ws.ws_row, ws.ws_col};
  return {};
}

void full_screen::draw(const std::string& text) {
  // No newline after the last line, or the screen scrolls by one.
  auto body = text;
  if (!body.empty() && body.back() == '\n')
    body.pop_back();
  write_out("\x1b[H\x1b[2J" + body);
}

bool full_screen::quit_requested() {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  while (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
    char c = 0;
    if (::read(STDIN_FILENO, &c, 1) != 1)
      break;
    if (c == 'q' || c == 'Q' || c == 3)
      return true;
  }
  return stop_signalled();
}

} // namespace cdp::console
