#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "domain/errors.hpp"

namespace cdp {

/// Bounds of one child process run.
struct process_limits {
  /// From the start until the whole process group is stopped.
  std::chrono::milliseconds timeout{std::chrono::minutes{25}};
  /// After a timeout, between SIGTERM and SIGKILL to the group.
  std::chrono::milliseconds kill_grace{std::chrono::seconds{2}};
  /// How much of the end of each stream is kept: a chatty program must not
  /// grow the daemon's memory.
  std::size_t stdout_tail_bytes = 64 * 1024;
  std::size_t stderr_tail_bytes = 4 * 1024;
};

/// How a child process run ended, with the ends of its output.
struct process_result {
  enum class ending {
    exited,
    signalled,
    timed_out,
    /// Someone else reaped the child (SIGCHLD ignored by the daemon?).
    unknown,
  };
  ending how = ending::unknown;
  /// The exit status (exited) or the signal number (signalled).
  int code = 0;
  std::string stdout_tail;
  std::string stderr_tail;
};

/// Runs `argv` (argv[0] searched in PATH, no shell) with the daemon's
/// environment, stdin on /dev/null and stdout/stderr captured, in a process
/// group of its own. When the run ends, for whatever reason, the whole group
/// is killed and the child reaped: no process, zombie or descriptor outlives
/// the call. A program that cannot be started is an errc::job_failed failure.
expected<process_result> run_process(const std::vector<std::string>& argv,
                                     const process_limits& limits);

} // namespace cdp
