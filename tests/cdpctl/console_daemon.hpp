#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cdpctl/run_program.hpp"
#include "daemon/daemon_process.hpp"
#include "eventually.hpp"
#include "persistence/store.hpp"

namespace cdp::test {

using namespace std::chrono_literals;

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A real cdpbatchd on a fresh SQLite file with the demo advertisers (A and
/// B EXISTING, C NEW), quick simulated jobs and its admin port on a loopback
/// port the OS picks; cdpctl reads the same config.toml, as on the daemon's
/// host.
struct console_daemon {
  std::filesystem::path dir;
  std::string url;
  std::filesystem::path config;
  std::unique_ptr<process> daemon;
  uint16_t port = 0;

  /// `extra_toml` is appended to the config file (e.g. an [admin.tls] table),
  /// `sets` go to the daemon only.
  explicit console_daemon(const std::string& extra_toml = "",
                          const std::vector<std::string>& sets = {}) {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path()
          / ("cdpctl-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    url = "sqlite://" + (dir / "cdpbatch.db").string();
    config = dir / "config.toml";
    std::ofstream{config} << "[schedule]\ncurrent_month = \"2024-12\"\ntick_interval = \"100ms\"\n"
                          << "[job]\nkind = \"simulated\"\n[job.simulated]\nlatency = \"50ms\"\n"
                          << "[store]\nurl = \"" << url << "\"\n"
                          << "[http]\nlisten = \"127.0.0.1:0\"\n"
                          << "[admin]\nlisten = \"127.0.0.1:0\"\nheartbeat_interval = \"200ms\"\n"
                          << "connection_timeout = \"3s\"\n"
                          << "[log]\nfile = \"" << (dir / "cdpbatchd.log").string() << "\"\n"
                          << extra_toml;
    std::vector<std::string> argv{program("cdpbatchd"), "--config", config.string(), "--demo"};
    argv.insert(argv.end(), sets.begin(), sets.end());
    daemon = std::make_unique<process>(argv, dir / "daemon.out");
    REQUIRE(eventually([&] {
      port = static_cast<uint16_t>(logged_port(*daemon, "cdpctl endpoint on "));
      return port > 0;
    }));
  }

  ~console_daemon() {
    daemon->signal(SIGTERM);
    daemon->wait(10s);
    daemon.reset();
    std::filesystem::remove_all(dir);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  /// cdpctl with this daemon's config and address, then `args`.
  program_result ctl(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                     std::chrono::milliseconds limit = 20s) const {
    std::vector<std::string> argv{program("cdpctl"), "--config", config.string(), "--connect",
                                  address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, dir, env, limit);
  }

  bool logged(const std::string& text, std::chrono::milliseconds limit = 10s) const {
    return eventually([&] { return contains(daemon->output(), text); }, limit);
  }

  std::unique_ptr<store> open() const {
    auto db = open_store(url);
    REQUIRE(db);
    return std::move(*db);
  }
};

/// Lines of `text` that start with `prefix`.
inline size_t lines_starting(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (text.compare(start, prefix.size(), prefix) == 0)
      ++n;
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return n;
}

} // namespace cdp::test
