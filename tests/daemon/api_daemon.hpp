#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "daemon/daemon_process.hpp"
#include "persistence/store.hpp"
#include "persistence/store_fixture.hpp"

namespace cdp::test {

using json = nlohmann::json;

/// One HTTP answer: status, raw body and the body as JSON (discarded when
/// it is not JSON).
struct answer {
  int status = 0;
  std::string body;
  json doc;
  std::string header(const std::string& name) const { return headers.count(name) ? headers.at(name) : ""; }
  std::map<std::string, std::string> headers;
};

/// A real cdpbatchd on a throwaway store of one backend, with its REST API
/// on a port the OS chose, and an HTTP client for it.
/// A folder removed with its contents when it goes, even when the
/// constructor of its owner fails half-way.
struct temp_folder {
  std::filesystem::path path;
  ~temp_folder() {
    if (!path.empty())
      std::filesystem::remove_all(path);
  }
};

class api_daemon {
public:
  api_daemon(const std::string& backend, std::vector<std::string> extra) {
    db_ = test_database::create(backend);
    if (!db_)
      return;
    static int counter = 0;
    dir_.path = std::filesystem::temp_directory_path()
                / ("cdpbatchd-api-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_.path);
    std::vector<std::string> argv{program("cdpbatchd"),
                                  "--config",
                                  std::string{CDP_SOURCE_DIR} + "/config.toml",
                                  "--set", "store.url=" + db_->url(),
                                  "--set", "log.file=" + (dir_.path / "cdpbatchd.log").string(),
                                  "--set", "schedule.current_month=2024-12",
                                  "--set", "schedule.tick_interval=1h",
                                  "--set", "job.kind=simulated",
                                  "--set", "job.simulated.latency=1ms",
                                  "--set", "http.listen=127.0.0.1:0",
                                  "--set", "admin.listen=127.0.0.1:0"};
    for (auto& x : extra)
      argv.push_back(std::move(x));
    daemon_ = std::make_unique<process>(argv, dir_.path / "out.log");
    auto up = eventually([&] {
      port_ = logged_port(*daemon_, "REST API listening on http://");
      return port_ > 0;
    });
    INFO(daemon_->output());
    REQUIRE(up);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(std::chrono::seconds{15});
  }
  ~api_daemon() {
    if (daemon_) {
      daemon_->signal(SIGTERM);
      daemon_->wait(std::chrono::seconds{15});
    }
  }

  /// False when the backend is not configured here (the test returns).
  explicit operator bool() const { return daemon_ != nullptr; }
  store& db() { return db_->main(); }
  process& daemon() { return *daemon_; }
  uint16_t port() const { return static_cast<uint16_t>(port_); }

  answer request(const std::string& method, const std::string& path, const std::string& body = "",
                 const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty())
      headers.emplace("Authorization", "Bearer " + token);
    httplib::Result r{nullptr, httplib::Error::Unknown};
    if (method == "GET")
      r = client_->Get(path.c_str(), headers);
    else if (method == "POST")
      r = client_->Post(path.c_str(), headers, body, "application/json");
    else if (method == "PUT")
      r = client_->Put(path.c_str(), headers, body, "application/json");
    else if (method == "DELETE")
      r = client_->Delete(path.c_str(), headers, body, "application/json");
    else if (method == "PATCH")
      r = client_->Patch(path.c_str(), headers, body, "application/json");
    else if (method == "OPTIONS")
      r = client_->Options(path.c_str(), headers);
    else
      r = client_->Head(path.c_str(), headers);
    answer a;
    if (!r)
      return a;
    a.status = r->status;
    a.body = r->body;
    for (const auto& [k, v] : r->headers)
      a.headers[k] = v;
    a.doc = json::parse(a.body, nullptr, false);
    return a;
  }
  /// Sends `raw` as it is on a new connection; the status line of the
  /// answer, or "" when none came within two seconds.
  std::string raw_status_line(const std::string& raw) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    timeval limit{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    REQUIRE(::send(fd, raw.data(), raw.size(), 0) == static_cast<ssize_t>(raw.size()));
    char buf[256] = {};
    auto n = ::recv(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string got = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    return got.substr(0, got.find("\r\n"));
  }

  answer get(const std::string& path) { return request("GET", path); }
  answer post(const std::string& path, const std::string& body = "", const std::string& token = "") {
    return request("POST", path, body, token);
  }

  /// Everything the store holds about advertisers, months and attempts, as
  /// text: two dumps are equal when nothing changed.
  std::string dump() {
    std::ostringstream out;
    auto& s = db();
    auto all = s.list_advertisers(false);
    REQUIRE(all);
    for (const auto& a : *all) {
      out << a.id << '|' << a.name << '|' << a.active << '|' << to_string(a.type) << '|'
          << (a.current_processing_month ? a.current_processing_month->to_string() : "-") << '|'
          << (a.last_completed_month ? a.last_completed_month->to_string() : "-") << '|'
          << a.backfill_completed << '|' << a.deactivation_reason << '|'
          << a.updated_at.time_since_epoch().count() << '\n';
      auto months = s.list_months(a.id);
      REQUIRE(months);
      for (const auto& m : *months) {
        out << "  " << m.month.to_string() << '|' << to_string(m.status) << '|' << m.retry_count
            << '|' << m.error_message << '|' << m.updated_at.time_since_epoch().count() << '|'
            << m.closed << '\n';
        auto attempts = s.list_attempts(a.id, m.month);
        REQUIRE(attempts);
        out << "    attempts " << attempts->size() << '\n';
      }
    }
    return out.str();
  }

  static bool eventually(const std::function<bool()>& done,
                         std::chrono::milliseconds limit = std::chrono::seconds{20}) {
    return poll_until(done, limit);
  }

private:
  std::unique_ptr<test_database> db_;
  temp_folder dir_;
  std::unique_ptr<process> daemon_;
  std::unique_ptr<httplib::Client> client_;
  int port_ = 0;
};

} // namespace cdp::test
