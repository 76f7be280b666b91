#include "jobs/child_process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <optional>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace cdp {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Closes its descriptor on every path out, so none leaks.
class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

std::string describe_errno(int error) {
  return std::system_category().message(error);
}

/// One captured stream: the read end of its pipe and the end of its text.
struct captured_stream {
  unique_fd fd;
  std::string tail;
  std::size_t keep = 0;

  /// Reads what is there; EOF or an error closes the stream.
  void read_some() {
    std::array<char, 16 * 1024> buffer;
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      return;
    if (n <= 0) {
      fd.reset();
      return;
    }
    tail.append(buffer.data(), static_cast<std::size_t>(n));
    // Trim in batches: erasing the front on every read would be quadratic.
    if (tail.size() > 2 * keep)
      tail.erase(0, tail.size() - keep);
  }

  std::string take() {
    if (tail.size() > keep)
      tail.erase(0, tail.size() - keep);
    return std::move(tail);
  }
};

/// A descriptor that polls readable when `pid` exits, or none (-1) on a
/// kernel before 5.3. A raw syscall: glibc 2.36's <sys/pidfd.h> lacks
/// extern "C", so its wrapper does not link from C++.
int open_pidfd(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int poll_timeout(steady::time_point until, steady::time_point now) {
  auto left = std::chrono::ceil<milliseconds>(until - now).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 60'000));
}

/// posix_spawn's attributes and file actions, destroyed on every path.
class spawn_setup {
public:
  spawn_setup(int stdout_fd, int stderr_fd) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions_, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions_, stderr_fd, 2);
    // The group makes a timeout's kill reach every descendant. The runner
    // thread may block or handle signals for the daemon; the program starts
    // from a clean slate so SIGTERM and SIGPIPE work on it as usual.
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                       | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr_, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr_, &none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2})
      sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
  ~spawn_setup() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

/// A running child and everything needed to see it through to the end.
class child_run {
public:
  child_run(pid_t pid, unique_fd out, unique_fd err, const process_limits& limits)
    : pid_(pid), pidfd_(open_pidfd(pid)), limits_(limits) {
    out_ = captured_stream{std::move(out), {}, limits.stdout_tail_bytes};
    err_ = captured_stream{std::move(err), {}, limits.stderr_tail_bytes};
  }

  process_result finish() {
    bool timed_out = !capture_until_exit();
    if (timed_out)
      terminate_gently();
    // Nothing of the attempt may outlive it: after a timeout the stragglers
    // ignoring SIGTERM, after a normal exit its background processes.
    if (!reaped_elsewhere_)
      ::kill(-pid_, SIGKILL);
    process_result result = reap();
    if (timed_out)
      result.how = process_result::ending::timed_out;
    result.stdout_tail = out_.take();
    result.stderr_tail = err_.take();
    return result;
  }

private:
  // Without a pidfd (kernel before 5.3) the exit is noticed by polling.
  static constexpr milliseconds exit_check_period{20};
  // How long pipes held open by leftover background processes are read after
  // the program itself exited.
  static constexpr milliseconds leftover_grace{100};

  /// Whether the child has exited, without reaping it: while it is an
  /// unreaped zombie its pid, and so its process group id, cannot be reused,
  /// which makes the final kill of the group safe.
  bool has_exited() {
    siginfo_t info{};
    int rc;
    do
      rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    while (rc < 0 && errno == EINTR);
    // ECHILD: reaped by someone else; nothing left to wait for, and its group
    // id may already belong to another process.
    reaped_elsewhere_ = rc < 0;
    return rc < 0 || info.si_pid == pid_;
  }

  /// Reads both streams until the program exited and they are closed (or
  /// the leftover grace ran out). False when the deadline came first.
  bool capture_until_exit() {
    auto deadline = steady::now() + limits_.timeout;
    bool exited = false;
    std::optional<steady::time_point> drain_until;
    for (;;) {
      exited = exited || has_exited();
      auto now = steady::now();
      if (exited) {
        if (!out_.fd && !err_.fd)
          return true;
        if (!drain_until)
          drain_until = now + leftover_grace;
        if (now >= *drain_until)
          return true;
      }
      if (now >= deadline)
        return false;
      int wait = poll_timeout(std::min(deadline, drain_until.value_or(deadline)), now);
      if (!exited && !pidfd_)
        wait = std::min(wait, static_cast<int>(exit_check_period.count()));
      wait_for_events(wait, !exited);
    }
  }

  void wait_for_events(int timeout_ms, bool watch_exit) {
    std::array<pollfd, 3> fds{};
    std::array<captured_stream*, 3> streams{};
    nfds_t n = 0;
    for (captured_stream* s : {&out_, &err_}) {
      if (s->fd) {
        streams[n] = s;
        fds[n++] = pollfd{s->fd.get(), POLLIN, 0};
      }
    }
    if (watch_exit && pidfd_)
      fds[n++] = pollfd{pidfd_.get(), POLLIN, 0};
    if (::poll(fds.data(), n, timeout_ms) <= 0)
      return;
    for (nfds_t i = 0; i < n; ++i)
      if (streams[i] && fds[i].revents != 0)
        streams[i]->read_some();
  }

  /// SIGTERM to the group, then up to the grace for the program to go.
  void terminate_gently() {
    ::kill(-pid_, SIGTERM);
    auto until = steady::now() + limits_.kill_grace;
    while (!has_exited() && steady::now() < until) {
      pollfd fd{pidfd_.get(), POLLIN, 0};
      int wait = poll_timeout(until, steady::now());
      if (pidfd_)
        ::poll(&fd, 1, wait);
      else
        ::poll(nullptr, 0, std::min(wait, static_cast<int>(exit_check_period.count())));
    }
  }

  process_result reap() {
    process_result result;
    int status = 0;
    pid_t rc;
    do
      rc = ::waitpid(pid_, &status, 0);
    while (rc < 0 && errno == EINTR);
    if (rc == pid_ && WIFEXITED(status)) {
      result.how = process_result::ending::exited;
      result.code = WEXITSTATUS(status);
    } else if (rc == pid_ && WIFSIGNALED(status)) {
      result.how = process_result::ending::signalled;
      result.code = WTERMSIG(status);
    }
    return result;
  }

  pid_t pid_;
  bool reaped_elsewhere_ = false;
  unique_fd pidfd_;
  process_limits limits_;
  captured_stream out_;
  captured_stream err_;
};

struct pipe_ends {
  unique_fd read;
  unique_fd write;
};

std::optional<pipe_ends> make_pipe() {
  // Close-on-exec: a program another runner starts meanwhile must not inherit
  // our ends, or our EOF would wait for that program.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return std::nullopt;
  return pipe_ends{unique_fd{fds[0]}, unique_fd{fds[1]}};
}

} // namespace

expected<process_result> run_process(const std::vector<std::string>& argv,
                                     const process_limits& limits) {
  if (argv.empty() || argv.front().empty())
    return make_failure(errc::invalid_argument, "no program to run: the command is empty");
  auto out = make_pipe();
  auto err = make_pipe();
  if (!out || !err)
    return make_failure(errc::job_failed, "cannot start '" + argv.front()
                                            + "': no pipe for its output: "
                                            + describe_errno(errno));
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  int rc;
  {
    spawn_setup setup{out->write.get(), err->write.get()};
    rc = ::posix_spawnp(&pid, argv.front().c_str(), setup.actions(), setup.attr(), args.data(),
                        environ);
  }
  // Our copies of the write ends must go, or the pipes never reach EOF.
  out->write.reset();
  err->write.reset();
  if (rc != 0)
    return make_failure(errc::job_failed,
                        "cannot start '" + argv.front() + "': " + describe_errno(rc));
  return child_run{pid, std::move(out->read), std::move(err->read), limits}.finish();
}

} // namespace cdp
