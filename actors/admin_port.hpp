#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "caf/all.hpp"

#include "actors/admin_peers.hpp"
#include "actors/interfaces.hpp"
#include "config/config.hpp"
#include "domain/errors.hpp"

namespace cdp {

/// Where and how the admin actor listens (config admin.*).
struct admin_port_settings {
  std::string host = "127.0.0.1";
  /// 0 lets the OS choose.
  uint16_t port = 0;
  /// The actor system was set up for mutual TLS (remote_settings::tls()).
  bool tls = false;
  /// The largest frame a peer may announce. A console's requests are a few
  /// hundred bytes; CAF would otherwise allocate whatever a header claims.
  uint32_t frame_limit = 1 << 20;
  /// A connection still without a finished handshake after this is closed
  /// (CAF's connection timeout only covers peers that finished theirs).
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds{30};
  /// Learns each TLS console's certificate subject by its node id (the admin
  /// actor reads it, see admin_settings::peers); null, or a plain port,
  /// records none.
  std::shared_ptr<admin_peers> peers;
};

/// The admin port's guard: looks for connections past their handshake
/// deadline. Linked to the admin actor, so it ends with it.
struct admin_guard_state {
  std::chrono::milliseconds period{0};
  std::function<void()> sweep;
  static inline const char* name = "admin-guard";
};

admin_guard_actor::behavior_type admin_guard(admin_guard_actor::stateful_pointer<admin_guard_state> self,
                                             const admin_actor& admin,
                                             std::chrono::milliseconds period,
                                             std::function<void()> sweep);

/// A running daemon's admin endpoint.
struct admin_endpoint {
  admin_actor admin;
  uint16_t port = 0;
  /// The subjects of the consoles connected over TLS.
  std::shared_ptr<admin_peers> peers;

  /// Ends the admin actor; consoles still connected lose the daemon.
  void stop() const;
};

/// Spawns the admin actor in front of `operators` and publishes it on
/// `admin.listen` as `admin.*` says (the actor system was set up for TLS
/// when admin.tls.* is set).
expected<admin_endpoint> open_admin_endpoint(caf::actor_system& sys, const operator_actor& operators,
                                             const config& cfg);

/// Publishes `admin` on the admin port through CAF's BASP broker, with every
/// accepted connection guarded: a peer announcing a frame over
/// `frame_limit`, or without a finished handshake after `handshake_timeout`,
/// is disconnected and logged; the daemon and its other consoles go on.
/// With `settings.tls` the port speaks mutual TLS with the actor system's
/// openssl.* files and notes each console's certificate subject in
/// `settings.peers`; a console announcing the node of one connected with
/// another subject, or sending what could speak for another node (a routed
/// message, a handshake naming another node), is disconnected and logged.
/// The port actually bound, or why none could be.
expected<uint16_t> publish_admin(caf::actor_system& sys, const admin_actor& admin,
                                 const admin_port_settings& settings);

} // namespace cdp
