#pragma once

#include <chrono>
#include <string>

#include "caf/all.hpp"

namespace cdp {

/// How a program speaks CAF's remote actor protocol on the admin port: the
/// daemon and cdpctl fill it from the same config keys (admin.*).
struct remote_settings {
  /// middleman.heartbeat-interval; 0 sends none.
  std::chrono::milliseconds heartbeat_interval{0};
  /// middleman.connection-timeout: a peer silent this long is dropped; 0 never.
  std::chrono::milliseconds connection_timeout{0};
  /// PEM files of this end's certificate and key, and of the CA whose
  /// signature the other end must show. All three set = mutual TLS.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;

  bool tls() const { return !tls_cert.empty(); }
};

/// CAF's configuration for cdpbatch's programs: the io middleman (remote
/// actors), our message types and error category, and no reading of argv or
/// caf-application.ini (CLI11 and toml++ own those).
class system_config : public caf::actor_system_config {
public:
  /// `threads` scheduler workers (0: one per core).
  explicit system_config(size_t threads = 0, const remote_settings& remote = {});
};

} // namespace cdp
