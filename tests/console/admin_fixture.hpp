#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "actors/admin.hpp"
#include "actors/admin_port.hpp"
#include "actors/system_config.hpp"
#include "console/session.hpp"
#include "console/scripted_operator.hpp"
#include "eventually.hpp"

namespace cdp::test {

using namespace std::chrono_literals;

/// What the daemon side logs, kept for tests to read.
class captured_log {
public:
  captured_log() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink_));
    spdlog::set_level(spdlog::level::info);
  }

  bool has(const std::string& text) const {
    for (const auto& line : sink_->last_formatted())
      if (line.find(text) != std::string::npos)
        return true;
    return false;
  }

  bool shows(const std::string& text, std::chrono::milliseconds limit = 5s) const {
    return eventually([&] { return has(text); }, limit);
  }

private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

/// The daemon's half: an admin actor in front of the scripted operator,
/// published on a loopback port the OS picks.
struct scripted_daemon {
  captured_log log;
  std::shared_ptr<operator_calls> calls = std::make_shared<operator_calls>();
  std::shared_ptr<admin_peers> peers = std::make_shared<admin_peers>();
  system_config cfg;
  caf::actor_system sys;
  operator_actor operators;
  admin_actor admin;
  uint16_t port = 0;

  explicit scripted_daemon(admin_port_settings where = quick_port(), const remote_settings& remote = {},
                          size_t max_watchers = 64)
    : cfg(2, remote), sys(cfg) {
    admin_settings settings;
    settings.operators = sys.spawn(scripted_operator, calls);
    settings.request_timeout = 2s;
    settings.min_interval = 10ms;
    settings.max_watchers = max_watchers;
    settings.peers = peers;
    operators = settings.operators;
    admin = spawn_admin(sys, settings);
    where.tls = remote.tls();
    where.peers = peers;
    auto bound = publish_admin(sys, admin, where);
    REQUIRE(bound);
    port = *bound;
  }

  ~scripted_daemon() {
    stop_admin(admin);
    caf::anon_send_exit(operators, caf::exit_reason::user_shutdown);
  }

  static admin_port_settings quick_port() {
    admin_port_settings s;
    s.handshake_timeout = 300ms;
    return s;
  }
};

/// A console's half: its own actor system and a session with the endpoint.
struct console_side {
  system_config cfg;
  caf::actor_system sys;
  console::session daemon;

  console_side(uint16_t port, const remote_settings& remote = {})
    : cfg(2, remote), sys(cfg), daemon(sys, {"127.0.0.1", port, remote.tls()}, 10s) {}

  /// Opens the session; why not, when it fails.
  std::string open() {
    auto hello = daemon.open();
    return hello ? std::string{} : hello.error().message;
  }
};

} // namespace cdp::test
