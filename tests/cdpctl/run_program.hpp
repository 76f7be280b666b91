#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace cdp::test {

struct program_result {
  /// Exit status; 128 + signal when killed (also on our timeout).
  int code = -1;
  std::string out;
  std::string err;
  std::chrono::milliseconds took{0};
};

/// In a forked child: becomes `argv[0]` with `argv`, or exits 127.
[[noreturn]] inline void exec_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Runs a program to its end (killed after `limit`), stdout and stderr
/// apart; `env` adds NAME=VALUE entries to the environment.
inline program_result run_program(const std::vector<std::string>& argv,
                                  const std::filesystem::path& scratch,
                                  const std::vector<std::string>& env = {},
                                  std::chrono::milliseconds limit = std::chrono::seconds{20}) {
  auto out_path = scratch / "run.out";
  auto err_path = scratch / "run.err";
  auto started = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const auto& e : env)
      ::putenv(const_cast<char*>(e.c_str()));
    exec_program(argv);
  }
  program_result r;
  auto deadline = started + limit;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      r.code = 128 + SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                 - started);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

} // namespace cdp::test
