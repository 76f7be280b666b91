#include <pty.h>
#include <poll.h>
#include <sys/ioctl.h>

#include "cdpctl/console_daemon.hpp"

using namespace cdp;
using namespace cdp::test;

namespace {

/// cdpctl on a pseudo-terminal of 30 rows by 100 columns, as an operator
/// would run it.
class on_terminal {
public:
  explicit on_terminal(const std::vector<std::string>& argv) {
    winsize size{30, 100, 0, 0};
    pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0)
      exec_program(argv);
  }
  ~on_terminal() {
    if (!code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
  }

  /// Reads the screen's output until `done` holds or `limit` passes.
  bool read_until(const std::function<bool(const std::string&)>& done,
                  std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done(seen_)) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 50) == 1) {
        char buf[8192];
        auto n = ::read(master_, buf, sizeof buf);
        if (n <= 0)
          return done(seen_);
        seen_.append(buf, static_cast<size_t>(n));
      }
    }
    return true;
  }

  void type(const std::string& keys) { REQUIRE(::write(master_, keys.data(), keys.size()) > 0); }

  std::optional<int> wait(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!code_ && std::chrono::steady_clock::now() < deadline) {
      read_until([](const std::string&) { return false; }, 20ms);
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_)
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return code_;
  }

  const std::string& seen() const { return seen_; }

private:
  int master_ = -1;
  pid_t pid_ = -1;
  std::optional<int> code_;
  std::string seen_;
};

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

const std::string clear_screen = "\x1b[H\x1b[2J";

} // namespace

TEST_CASE("cdpctl watch --once prints one frame as plain lines") {
  console_daemon d;
  auto r = d.ctl({"watch", "--once"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind("status ", 0) == 0);
  CHECK(contains(r.out, "3 advertisers: NEW "));
  CHECK(contains(r.out, "months PENDING "));
  CHECK(lines_starting(r.out, "status ") == 1);
  CHECK_FALSE(contains(r.out, "\x1b["));
}

TEST_CASE("cdpctl watch into a pipe prints a frame of lines each interval until interrupted") {
  console_daemon d;
  process watcher{{program("cdpctl"), "--config", d.config.string(), "--connect", d.address(),
                   "watch", "--interval", "200ms"},
                  d.dir / "watch.out"};
  REQUIRE(eventually([&] { return lines_starting(watcher.output(), "status ") >= 3; }));
  CHECK(lines_starting(watcher.output(), "backfill C ") + lines_starting(watcher.output(), "running ")
        > 0);
  watcher.signal(SIGINT);
  CHECK(watcher.wait(5s) == 0);
}

TEST_CASE("cdpctl watch on a terminal redraws its screen each interval and quits on q or Ctrl-C") {
  console_daemon d;
  for (std::string key : {"q", "\x03"}) {
    on_terminal screen{{program("cdpctl"), "--config", d.config.string(), "--connect",
                        d.address(), "watch", "--interval", "300ms"}};
    // Two whole frames: the second ends where a third begins.
    REQUIRE(screen.read_until([](const std::string& s) { return count(s, clear_screen) >= 3; },
                              10s));
    const auto& out = screen.seen();
    CHECK(out.rfind("\x1b[?1049h", 0) == 0);
    auto third = out.rfind(clear_screen);
    auto second = out.rfind(clear_screen, third - 1);
    auto frame = out.substr(second, third - second);
    CHECK(contains(frame, "cdpbatch "));
    CHECK(contains(frame, "advertisers: NEW "));
    CHECK(contains(frame, "RUNNING ("));
    CHECK(contains(frame, "BACKFILLING ("));
    CHECK(contains(frame, "RECENT FAILURES ("));
    CHECK(contains(frame, "q or Ctrl-C quits"));
    // A frame fills the 30 rows, none wider than 100 columns.
    CHECK(count(frame, "\n") == 29);
    screen.type(key);
    CHECK(screen.wait(5s) == 0);
    CHECK(screen.seen().substr(screen.seen().size() - 14) == "\x1b[?25h\x1b[?1049l");
  }
  CHECK(d.logged("a watching console went away (0 watching)"));
}
