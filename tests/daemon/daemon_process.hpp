#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "eventually.hpp"

namespace cdp::test {

/// A build/bin program, found through CDPBATCH_BIN_DIR (set by ctest).
inline std::string program(const std::string& name) {
  const char* dir = std::getenv("CDPBATCH_BIN_DIR");
  REQUIRE(dir != nullptr);
  return std::string{dir} + "/" + name;
}

/// Polls `done` until it holds or `limit` passed; its last answer.
inline bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  return eventually(done, limit);
}

/// A real process with its stdout and stderr in one file; killed at the end
/// if still alive.
class process {
public:
  process(std::vector<std::string> argv, const std::filesystem::path& output) : output_(output) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }

  pid_t pid() const { return pid_; }

  /// The exit status, or nullopt if it is still running after `limit`.
  std::optional<int> wait(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!exit_code_) {
      int status = 0;
      auto r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_)
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      else if (std::chrono::steady_clock::now() > deadline)
        break;
      else
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return exit_code_;
  }

  std::string output() const {
    std::ifstream in{output_};
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

private:
  std::filesystem::path output_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

/// The port a daemon logged as "<marker>HOST:PORT" and a space or a slash,
/// or 0 until that whole address is in its output.
inline int logged_port(const process& daemon, const std::string& marker) {
  auto out = daemon.output();
  auto at = out.find(marker);
  if (at == std::string::npos)
    return 0;
  auto where = out.substr(at + marker.size());
  auto end = where.find_first_of(" /");
  auto colon = where.rfind(':', end);
  if (end == std::string::npos || colon == std::string::npos)
    return 0;
  return std::atoi(where.substr(colon + 1, end - colon - 1).c_str());
}

} // namespace cdp::test
