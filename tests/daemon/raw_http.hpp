#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cdp::test {

/// One TCP connection to the REST port that sends whatever bytes a test
/// gives it: a hostile, slow or half-finished HTTP client.
class raw_http {
public:
  /// Connects (blocking); `ok()` says whether it did.
  explicit raw_http(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0)
      return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  raw_http(const raw_http&) = delete;
  raw_http& operator=(const raw_http&) = delete;
  ~raw_http() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  /// False once the other side no longer takes bytes (closed or reset).
  bool send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  /// Reads what arrives within `limit`, until the other side closes or
  /// `enough` holds for what came so far.
  template <class Enough>
  std::string read(std::chrono::milliseconds limit, Enough enough) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!closed_ && !enough(received_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        break;
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        closed_ = true;
      else
        received_.append(buf, static_cast<size_t>(n));
    }
    return received_;
  }

  /// The status line of the answer ("" when none came within `limit`).
  std::string status_line(std::chrono::milliseconds limit) {
    auto got = read(limit, [](const std::string& s) { return s.find("\r\n") != std::string::npos; });
    auto end = got.find("\r\n");
    return end == std::string::npos ? "" : got.substr(0, end);
  }

  /// True once the other side closed the connection within `limit`.
  bool closed_within(std::chrono::milliseconds limit) {
    read(limit, [](const std::string&) { return false; });
    return closed_;
  }

private:
  int fd_;
  std::string received_;
  bool closed_ = false;
};

} // namespace cdp::test
