#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "jobs/command_job.hpp"

using namespace std::chrono_literals;

namespace {

const cdp::year_month march = *cdp::year_month::parse("2024-03");

cdp::job_request request(std::chrono::milliseconds timeout = 10s) {
  return cdp::job_request{"adv-9", march, 1, timeout};
}

/// Runs `script` with sh -c (the job itself never uses a shell).
cdp::job_result run_sh(const std::string& script, std::chrono::milliseconds timeout = 10s,
                       std::chrono::milliseconds kill_grace = 2s) {
  cdp::command_job job{{"sh", "-c", script}, kill_grace};
  return job.run(request(timeout));
}

/// A temp file name unique to this test process.
std::filesystem::path temp_file(const std::string& name) {
  return std::filesystem::temp_directory_path()
         / ("cdpbatch-jobs-" + std::to_string(::getpid()) + "-" + name);
}

/// Alive and not a zombie waiting for a reaper (in a container the init
/// process may never reap the orphans it inherits).
bool process_running(pid_t pid) {
  if (::kill(pid, 0) != 0)
    return false;
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(stat, line))
    return false;
  auto after_name = line.rfind(')');
  return after_name != std::string::npos && after_name + 2 < line.size()
         && line[after_name + 2] != 'Z';
}

/// The pid a script wrote to `pid_file`; the file is removed.
pid_t take_pid(const std::filesystem::path& pid_file) {
  pid_t pid = 0;
  std::ifstream{pid_file} >> pid;
  std::filesystem::remove(pid_file);
  REQUIRE(pid > 0);
  return pid;
}

/// SIGKILL is delivered asynchronously: give the kernel a moment.
bool gone_soon(pid_t pid) {
  for (int i = 0; i < 100 && process_running(pid); ++i)
    ::usleep(10'000);
  return !process_running(pid);
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator{"/proc/self/fd"})
    ++n;
  return n;
}

} // namespace

TEST_CASE("a command that exits 0 succeeds with the counts of its last stdout line") {
  auto result = run_sh(R"(echo working; echo '{"processed":42,"failed":3}'; echo; echo "  ")");
  CHECK(result.succeeded);
  CHECK(result.processed_records == 42);
  CHECK(result.failed_records == 3);
  CHECK(result.error.empty());
}

TEST_CASE("a command that exits 0 without counts succeeds with zero counts") {
  auto result = run_sh("echo all done");
  CHECK(result.succeeded);
  CHECK(result.processed_records == 0);
  CHECK(result.failed_records == 0);

  auto silent = run_sh("true");
  CHECK(silent.succeeded);
  CHECK(silent.processed_records == 0);
}

TEST_CASE("only a counts object on the very last line is believed") {
  CHECK_FALSE(cdp::parse_reported_counts("{\"processed\":1,\"failed\":2}\nlater output\n"));
  CHECK_FALSE(cdp::parse_reported_counts("processed: 5"));
  CHECK_FALSE(cdp::parse_reported_counts("[1,2]"));
  CHECK_FALSE(cdp::parse_reported_counts("{\"rows\":5}"));
  CHECK_FALSE(cdp::parse_reported_counts("{\"processed\":-1}"));
  CHECK_FALSE(cdp::parse_reported_counts("{\"processed\":\"5\"}"));
  CHECK_FALSE(cdp::parse_reported_counts(""));
  auto only_processed = cdp::parse_reported_counts("x\n{\"processed\": 7}\r\n\n");
  REQUIRE(only_processed);
  CHECK(only_processed->processed == 7);
  CHECK(only_processed->failed == 0);
}

TEST_CASE("a command's large output is read without blocking it, keeping the last line") {
  auto result = run_sh(R"(head -c 3000000 /dev/zero | tr '\0' x; echo; )"
                       R"(head -c 100000 /dev/zero | tr '\0' y >&2; echo '{"processed":9}')");
  CHECK(result.succeeded);
  CHECK(result.processed_records == 9);
}

TEST_CASE("a command that exits non-zero fails with its status and stderr tail") {
  auto result = run_sh("echo out; echo 'first problem' >&2; echo 'disk full' >&2; exit 3");
  CHECK_FALSE(result.succeeded);
  CHECK(result.error == "exit status 3: first problem\ndisk full");
}

TEST_CASE("only the last 900 bytes of a long stderr reach the error message") {
  auto result = run_sh("head -c 5000 /dev/zero | tr '\\0' e >&2; echo ' the end' >&2; exit 1");
  CHECK_FALSE(result.succeeded);
  CHECK(result.error.rfind("exit status 1: eee", 0) == 0);
  CHECK(result.error.size() == std::string{"exit status 1: "}.size() + 900);
  CHECK(result.error.ends_with("e the end"));
}

TEST_CASE("the stderr tail never starts inside a multi-byte character") {
  std::string text = "\xC3\xA9";  // é: two bytes
  for (int i = 0; i < 500; ++i)
    text += "\xC3\xA9";
  auto tail = cdp::stderr_tail(text + "\n");
  CHECK(tail.size() <= 900);
  CHECK(tail.size() % 2 == 0);
  CHECK(tail.rfind("\xC3\xA9", 0) == 0);
}

TEST_CASE("a command killed by a signal fails naming the signal") {
  auto result = run_sh("echo 'about to go' >&2; kill -9 $$");
  CHECK_FALSE(result.succeeded);
  CHECK(result.error == "killed by SIGKILL: about to go");
}

TEST_CASE("the advertiser and month are substituted in every argument") {
  std::vector<std::string> argv{"run-{advertiser}", "--month={month}", "{advertiser}/{month}/{advertiser}",
                                "{other}"};
  CHECK(cdp::substitute_arguments(argv, "adv-9", march)
        == std::vector<std::string>{"run-adv-9", "--month=2024-03", "adv-9/2024-03/adv-9",
                                    "{other}"});

  cdp::command_job job{{"sh", "-c", "echo \"$1 $2 $3\" >&2; exit 1", "sh", "{advertiser}",
                        "{month}", "x-{advertiser}-{month}"}};
  auto result = job.run(request());
  CHECK(result.error == "exit status 1: adv-9 2024-03 x-adv-9-2024-03");
}

TEST_CASE("a command inherits the environment and reads an empty stdin") {
  ::setenv("CDPBATCH_JOB_TEST", "inherited", 1);
  auto result = run_sh("cat; echo \"$CDPBATCH_JOB_TEST\" >&2; exit 4", 5s);
  CHECK(result.error == "exit status 4: inherited");
}

TEST_CASE("a program that does not exist is a clear failure") {
  cdp::command_job job{{"/nonexistent/cdpbatch-no-such-program", "{month}"}};
  auto result = job.run(request());
  CHECK_FALSE(result.succeeded);
  CHECK(result.error
        == "cannot start '/nonexistent/cdpbatch-no-such-program': No such file or directory");

  cdp::command_job unnamed{{"cdpbatch-no-such-program-in-path"}};
  CHECK(unnamed.run(request()).error.find("cannot start") == 0);
}

TEST_CASE("a command past its timeout is stopped with its whole process group") {
  auto pid_file = temp_file("grandchild.pid");
  std::filesystem::remove(pid_file);
  auto started = std::chrono::steady_clock::now();
  auto result = run_sh("sleep 30 & echo $! > '" + pid_file.string()
                         + "'; echo 'still working' >&2; sleep 30",
                       300ms);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK_FALSE(result.succeeded);
  CHECK(result.error == "timed out after 300ms: still working");
  CHECK(took >= 300ms);
  CHECK(took < 3s);

  CHECK(gone_soon(take_pid(pid_file)));
}

TEST_CASE("a command ignoring SIGTERM is killed after the grace") {
  auto started = std::chrono::steady_clock::now();
  auto result = run_sh("trap '' TERM; sleep 30", 100ms, 100ms);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(result.error == "timed out after 100ms");
  CHECK(took >= 200ms);
  CHECK(took < 3s);
}

TEST_CASE("a command that closes its output but keeps running still times out") {
  auto started = std::chrono::steady_clock::now();
  auto result = run_sh("exec >/dev/null 2>&1; sleep 30", 200ms);
  CHECK(result.error == "timed out after 200ms");
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("a background process left holding the output neither delays nor outlives the job") {
  auto pid_file = temp_file("background.pid");
  auto started = std::chrono::steady_clock::now();
  auto result = run_sh("sleep 30 & echo $! > '" + pid_file.string()
                       + "'; echo '{\"processed\":1}'");
  CHECK(result.succeeded);
  CHECK(result.processed_records == 1);
  CHECK(std::chrono::steady_clock::now() - started < 3s);

  CHECK(gone_soon(take_pid(pid_file)));
}

TEST_CASE("command jobs leak neither descriptors nor zombies") {
  auto before = open_descriptors();
  for (int i = 0; i < 5; ++i) {
    run_sh("echo '{\"processed\":1}'");
    run_sh("echo oops >&2; exit 2");
    run_sh("sleep 5", 20ms);
    cdp::command_job{{"/nonexistent/program"}}.run(request());
  }
  CHECK(open_descriptors() == before);
  errno = 0;
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
}
