#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"

#include "actors/interfaces.hpp"
#include "api/scrape_metrics.hpp"
#include "domain/access.hpp"
#include "domain/errors.hpp"


namespace cdp::api {

class http_server;

struct rest_settings {
  /// http.listen's host and port (0: the OS picks one; `port()` tells it).
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  /// http.token and [[api.tokens]]: changes need an operate one; on a host
  /// other than loopback, GETs need one too. None: everyone may do all.
  std::vector<api_token> tokens;
  /// How long one request waits for the operator before it answers 503.
  std::chrono::milliseconds ask_timeout = std::chrono::seconds{10};
  /// Bodies beyond this are refused with 413, unread.
  size_t max_body = 64 * 1024;
  /// http.max_body: the same for a bulk import's file, which is streamed
  /// through a spool file on disk, never held in memory.
  size_t max_import_body = 32 * 1024 * 1024;
  /// How long one part of an import (1,000 rows, one store transaction) may
  /// take before the import stops with 503.
  std::chrono::milliseconds import_timeout = std::chrono::seconds{30};
  /// http.request_timeout: the longest a connection may take to send a
  /// whole request, or to read an answer.
  std::chrono::milliseconds request_timeout = std::chrono::seconds{10};
  /// GET /advertisers pages are served from what was rendered at most this
  /// long ago (api/page_cache.hpp), as the system status is; zero: never.
  std::chrono::milliseconds page_max_age = std::chrono::seconds{1};
  /// Requests served at once: the workers that run handlers, which wait for
  /// the engine's answers (api/http_server.hpp; connections cost no thread).
  int threads = 16;
  /// Their nice value above the engine's (api/worker_pool.hpp).
  int thread_nice = 10;
};

/// The REST gateway: maps HTTP requests and JSON to the operator actor's
/// messages and back, and serves /metrics. Its threads are its own (never
/// CAF's scheduler threads) and every ask has a deadline.
class rest_api {
public:
  rest_api(caf::actor_system& sys, operator_actor desk, std::shared_ptr<engine_metrics> metrics,
           rest_settings settings);
  ~rest_api();
  rest_api(const rest_api&) = delete;
  rest_api& operator=(const rest_api&) = delete;

  /// Binds and starts serving on threads of its own; errc::invalid_argument
  /// when the address cannot be bound.
  status start();
  /// The port it listens on once started.
  uint16_t port() const;
  /// Stops accepting, ends the connections and waits for the threads.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::unique_ptr<http_server> server_;
};

} // namespace cdp::api
