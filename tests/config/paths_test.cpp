#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/paths.hpp"

using cdp::path_problem;
using cdp::path_use;

namespace {

struct folder {
  std::filesystem::path path = std::filesystem::temp_directory_path()
                               / ("cdpbatch-paths-" + std::to_string(::getpid()));
  folder() { std::filesystem::create_directories(path); }
  ~folder() {
    std::error_code ec;
    for (auto name : {"locked", "read-only"})
      std::filesystem::permissions(path / name, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

bool says(const std::optional<std::string>& problem, const std::string& words) {
  INFO(problem.value_or("(no problem)"));
  return problem && problem->find(words) != std::string::npos;
}

/// The problem seen by an unprivileged user: root reads and writes files
/// whatever their mode, so a test as root checks in a child that is not.
std::optional<std::string> as_nobody(const std::string& path, path_use use) {
  if (::geteuid() != 0)
    return path_problem(path, use);
  int pipe_fd[2];
  REQUIRE(::pipe(pipe_fd) == 0);
  auto pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipe_fd[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0)
      ::_exit(3);
    auto problem = path_problem(path, use);
    if (problem && ::write(pipe_fd[1], problem->data(), problem->size()) < 0)
      ::_exit(4);
    ::_exit(problem ? 1 : 0);
  }
  ::close(pipe_fd[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fd[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  ::close(pipe_fd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) <= 1);
  return WEXITSTATUS(status) == 1 ? std::optional{text} : std::nullopt;
}

} // namespace

TEST_CASE("a usable path has no problem: an existing file, or one that can be created with its folders") {
  folder f;
  std::ofstream{f / "file"} << "x";
  CHECK_FALSE(path_problem(f / "file", path_use::read_file));
  CHECK_FALSE(path_problem(f / "file", path_use::write_file));
  CHECK_FALSE(path_problem(f / "new/deeper/x.db", path_use::write_file));
  CHECK_FALSE(path_problem("relative/x.db", path_use::write_file));
  CHECK_FALSE(path_problem("/bin/sh", path_use::run_program));
}

TEST_CASE("paths the OS refuses are named with the reason, never thrown") {
  folder f;
  std::ofstream{f / "file"} << "x";
  CHECK(says(path_problem("", path_use::write_file), "is empty"));
  CHECK(says(path_problem(std::string{"a\0b", 3}, path_use::write_file), "NUL"));
  CHECK(says(path_problem("/tmp/" + std::string(5000, 'p'), path_use::write_file),
             "5005 bytes long; the OS allows at most 4095"));
  CHECK(says(path_problem("/tmp/" + std::string(256, 'p') + "/x", path_use::read_file),
             "a part of 256 bytes"));
  CHECK(says(path_problem(f.path.string(), path_use::write_file), "is a folder"));
  CHECK(says(path_problem(f / "file/x.db", path_use::write_file), "is not a folder"));
  CHECK(says(path_problem(f / "file/deeper/x.db", path_use::write_file), "is not a folder"));
  CHECK(says(path_problem(f / "file/x.pem", path_use::read_file), "through a file"));
  CHECK(says(path_problem(f / "missing.pem", path_use::read_file), "no such file"));
  CHECK(says(path_problem("/dev/null", path_use::read_file), "not a regular file"));
  CHECK(says(path_problem(f / "file", path_use::run_program), "cannot be executed"));
}

TEST_CASE("a file or folder without permission is refused for what it is used for") {
  folder f;
  std::filesystem::permissions(f.path, std::filesystem::perms::all);
  std::ofstream{f / "unreadable"} << "x";
  std::filesystem::permissions(f / "unreadable", std::filesystem::perms::none);
  std::filesystem::create_directories(f / "locked");
  std::filesystem::permissions(f / "locked", std::filesystem::perms::none);
  std::filesystem::create_directories(f / "read-only");
  using std::filesystem::perms;
  std::filesystem::permissions(f / "read-only", perms::owner_read | perms::owner_exec
                                                  | perms::others_read | perms::others_exec);
  CHECK(says(as_nobody(f / "unreadable", path_use::read_file), "cannot be read"));
  CHECK(says(as_nobody(f / "unreadable", path_use::write_file), "cannot be written"));
  CHECK(says(as_nobody(f / "locked/x.db", path_use::write_file), "may not be searched"));
  CHECK(says(as_nobody(f / "read-only/x.db", path_use::write_file), "cannot be created in"));
}
