#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "daemon/daemon_process.hpp"
#include "persistence/store.hpp"

namespace cdp::test {

/// A temp folder with a store and a log for one daemon.
struct daemon_fixture {
  std::filesystem::path dir;
  std::string url;

  daemon_fixture() {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path()
          / ("cdpbatchd-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    url = "sqlite://" + (dir / "cdpbatch.db").string();
  }
  ~daemon_fixture() { std::filesystem::remove_all(dir); }

  std::vector<std::string> argv(std::vector<std::string> extra) const {
    std::vector<std::string> a{program("cdpbatchd"),
                               "--config",
                               std::string{CDP_SOURCE_DIR} + "/config.toml",
                               "--set",
                               "store.url=" + url,
                               "--set",
                               "log.file=" + (dir / "cdpbatchd.log").string(),
                               "--set",
                               "schedule.current_month=2024-12",
                               "--set",
                               "schedule.tick_interval=100ms",
                               "--set",
                               "http.listen=127.0.0.1:0",
                               "--set",
                               "admin.listen=127.0.0.1:0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  std::unique_ptr<store> open() const {
    auto db = open_store(url);
    REQUIRE(db);
    return std::move(*db);
  }

  static bool eventually(const std::function<bool()>& done,
                         std::chrono::milliseconds limit = std::chrono::seconds{20}) {
    return poll_until(done, limit);
  }
};

} // namespace cdp::test
