#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <httplib.h>

#include "domain/errors.hpp"

namespace cdp::api {

/// What the REST gateway does with the requests the server reads. All but
/// `answer_now` run on the server's workers, never on a thread that reads
/// sockets.
/// Requests and answers are cpp-httplib's plain structs: the gateway's
/// routing was written against them.
struct http_handlers {
  /// A request without a body that can be answered at once, on the I/O
  /// thread that read it (it must not wait for anything): true if it was.
  std::function<bool(const httplib::Request&, httplib::Response&)> answer_now;
  /// The largest body this request may have (checked as it arrives).
  std::function<size_t(const httplib::Request&)> body_limit;
  /// Whether this request's body is written to a temporary file and handed
  /// to `serve` as that file (an import), rather than held in memory.
  std::function<bool(const httplib::Request&)> spooled;
  /// Once the head of a request with a body is read: answers it without
  /// its body (true: the connection then ends, the body unread) or lets the
  /// body be read (false).
  std::function<bool(const httplib::Request&, httplib::Response&)> before_body;
  /// Serves a whole request: `spooled` is the spooled body, read from its
  /// start (never larger than `body_limit`), else the body is `body`.
  std::function<void(const httplib::Request&, httplib::Response&, std::string_view body,
                     std::FILE* spooled)>
    serve;
  /// A request refused before it could be served: `status` is 400 (it is
  /// not HTTP, or its body ended early), 413 (its body is over the limit) or
  /// 431 (its head is over 64 KiB). The connection ends after the answer.
  std::function<void(const httplib::Request&, httplib::Response&, int status)> refused;
  /// A handler threw: the answer is a 500.
  std::function<void(httplib::Response&, const std::string& what)> failed;
};

struct http_server_settings {
  std::string host = "127.0.0.1";
  /// 0: the OS picks one.
  uint16_t port = 0;
  /// A connection that has not sent a whole request this long after it
  /// opened or got its last answer is closed; the same bounds writing an
  /// answer to a client that does not read it.
  std::chrono::milliseconds request_timeout = std::chrono::seconds{10};
  /// Threads that run handlers, and their nice value above the process's.
  int workers = 16;
  int worker_nice = 10;
};

/// An HTTP/1.1 server on Boost.Beast: two threads read and write every
/// connection without blocking, and a fixed pool of workers runs the
/// handlers in arrival order. A connection costs a buffer, not a thread, so
/// a hundred busy clients or a thousand idle ones do not multiply the
/// threads the scheduler must share two cores among, and no answer waits
/// behind a thread that is not running.
class http_server {
public:
  http_server(http_server_settings settings, http_handlers handlers);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds and starts serving; errc::invalid_argument when the address
  /// cannot be bound.
  status start();
  uint16_t port() const;
  /// Stops accepting, ends the connections and waits for the threads.
  void stop();

  struct core;

private:
  std::shared_ptr<core> core_;
};

} // namespace cdp::api
