#pragma once

#include <chrono>
#include <cstdint>
#include <atomic>
#include <map>
#include <memory>

#include "actors/admin_peers.hpp"
#include "actors/interfaces.hpp"

namespace cdp {

struct admin_settings {
  /// Answers every operation; the admin actor adds nothing to them.
  operator_actor operators;
  /// How long the operator may take to answer; one watch frame included.
  std::chrono::milliseconds request_timeout = std::chrono::seconds{30};
  /// The watch intervals a console may ask for.
  std::chrono::milliseconds min_interval{100};
  std::chrono::milliseconds max_interval = std::chrono::minutes{1};
  /// Consoles watching at once; more are refused, so no peer can make the
  /// daemon hold and feed an unbounded number of subscriptions.
  size_t max_watchers = 64;
  /// The certificate subjects of the consoles on the TLS admin port, by
  /// node; null (a plain port) means none.
  std::shared_ptr<const admin_peers> peers;
};

/// One console's watch: its actor (a proxy while it is connected), how often
/// it wants a frame, and the generation that makes forged or stale ticks
/// harmless.
struct watch_subscription {
  watch_console_actor console;
  std::chrono::milliseconds interval{0};
  uint64_t generation = 0;
  bool frame_pending = false;
};

struct admin_state {
  admin_settings settings;
  std::map<uint64_t, watch_subscription> watches;
  uint64_t next_watch = 1;
  static inline const char* name = "admin";
};

/// The actor published on the admin port (see `admin_actor`). A watching
/// console is monitored: when its connection goes, so does its subscription.
admin_actor::behavior_type admin(admin_actor::stateful_pointer<admin_state> self,
                                 admin_settings settings);

/// Spawns the admin actor so that no peer can end it: anyone who reaches
/// the admin port can send an exit message (exit_reason::kill included),
/// and the admin actor drops every one until `stop_admin`.
admin_actor spawn_admin(caf::actor_system& sys, admin_settings settings);

/// Ends an actor from `spawn_admin`.
void stop_admin(const admin_actor& admin);

} // namespace cdp
