#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include <catch2/catch.hpp>

#include "caf/binary_serializer.hpp"
#include "caf/node_id.hpp"

#include "actors/system_config.hpp"
#include "console/raw_peer.hpp"

namespace cdp::test {

/// A console that speaks BASP by hand over mutual TLS, with a certificate of
/// the daemon's CA: it can announce any node id, and send any frame after.
class tls_basp_peer {
public:
  tls_basp_peer(uint16_t port, const remote_settings& cert)
    : fd_(::socket(AF_INET, SOCK_STREAM, 0)), ctx_(SSL_CTX_new(TLS_client_method())) {
    REQUIRE(fd_ >= 0);
    REQUIRE(ctx_);
    REQUIRE(SSL_CTX_use_certificate_chain_file(ctx_, cert.tls_cert.c_str()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey_file(ctx_, cert.tls_key.c_str(), SSL_FILETYPE_PEM) == 1);
    REQUIRE(SSL_CTX_load_verify_locations(ctx_, cert.tls_ca.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    REQUIRE(SSL_connect(ssl_) == 1);
  }
  tls_basp_peer(const tls_basp_peer&) = delete;
  tls_basp_peer& operator=(const tls_basp_peer&) = delete;
  ~tls_basp_peer() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }

  /// Reads the daemon's server handshake and answers with a client handshake
  /// that announces `node`.
  void announce(caf::actor_system& sys, const caf::node_id& node) {
    auto header = read_exactly(24);
    uint32_t len = 0;
    for (int i = 4; i < 8; ++i)
      len = (len << 8) | static_cast<uint8_t>(header[static_cast<size_t>(i)]);
    read_exactly(len);
    std::vector<char> payload;
    caf::binary_serializer sink{sys, payload};
    REQUIRE_FALSE(sink(const_cast<caf::node_id&>(node)));
    send(basp_header(1, static_cast<uint32_t>(payload.size()), 0)
         + std::string(payload.begin(), payload.end()));
  }

  void send(const std::string& bytes) {
    REQUIRE(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
            == static_cast<int>(bytes.size()));
  }

  /// True once the daemon closed the connection within `limit`.
  bool closed_within(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      char buf[4096];
      if (SSL_pending(ssl_) == 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
        pollfd p{fd_, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
          return false;
      }
      if (SSL_read(ssl_, buf, sizeof buf) <= 0)
        return true;
    }
  }

private:
  std::string read_exactly(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      auto r = SSL_read(ssl_, out.data() + got, static_cast<int>(n - got));
      REQUIRE(r > 0);
      got += static_cast<size_t>(r);
    }
    return out;
  }

  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
};

} // namespace cdp::test
