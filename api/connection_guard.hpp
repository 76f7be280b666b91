#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace cdp::api {

/// Guards the REST port's connections where cpp-httplib 0.11 cannot: its
/// read timeout is per read, so a client trickling a byte at a time holds a
/// thread for ever, and it keeps a connection open after any answer. The
/// guard finds the port's connected sockets among this process's files
/// (httplib does not hand them out), shuts down those that have not
/// delivered a whole request within `request_timeout`, and ends a connection
/// whose body was refused unread.
class connection_guard {
public:
  connection_guard(uint16_t port, std::chrono::milliseconds request_timeout);
  ~connection_guard();
  connection_guard(const connection_guard&) = delete;
  connection_guard& operator=(const connection_guard&) = delete;

  /// A whole request from this peer is being served: not timed until `answered`.
  void serving(const std::string& addr, int port);
  /// Its answer is on the way: the next request must come within the timeout.
  void answered(const std::string& addr, int port);
  /// Ends the connection with this peer now (its answer is written; the
  /// rest of a refused body stays unread).
  void end(const std::string& addr, int port);

private:
  struct connection {
    std::string peer;
    std::chrono::steady_clock::time_point since;
    bool cut = false;
  };

  /// Looks at the port's sockets until stopped: new ones are timed from
  /// now, gone ones forgotten, those silent past the timeout shut down.
  void watch();

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  /// By socket inode (unique while open).
  std::map<unsigned long, connection> open_;
  /// Peers ("addr:port") with a request being served.
  std::set<std::string> busy_;
  std::thread watcher_;
};

} // namespace cdp::api
