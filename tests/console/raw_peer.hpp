#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace cdp::test {

/// A TCP peer that speaks whatever bytes a test gives it: a hostile or
/// broken client of the admin port.
class raw_peer {
public:
  explicit raw_peer(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  raw_peer(const raw_peer&) = delete;
  raw_peer& operator=(const raw_peer&) = delete;
  ~raw_peer() { ::close(fd_); }

  void send(const std::string& bytes) {
    REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
  }

  /// True once the other side closed the connection within `limit`; what it
  /// sends before (its handshake) is read and dropped.
  bool closed_within(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return false;
      char buf[4096];
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        return true;
    }
  }

private:
  int fd_;
};

/// A BASP header (CAF 0.17, network byte order): operation, two padding
/// bytes, flags, payload length, operation data, source and destination actor.
inline std::string basp_header(uint8_t operation, uint32_t payload_len, uint64_t operation_data = 3) {
  std::string out;
  out += static_cast<char>(operation);
  out += std::string(3, '\0');
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((payload_len >> shift) & 0xFF);
  for (int shift = 56; shift >= 0; shift -= 8)
    out += static_cast<char>((operation_data >> shift) & 0xFF);
  out += std::string(16, '\0');
  return out;
}

} // namespace cdp::test
