#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "caf/all.hpp"

#include "actors/await_response.hpp"
#include "actors/interfaces.hpp"
#include "console/outcome.hpp"

namespace cdp::console {

/// Where the daemon's admin port is.
struct endpoint {
  std::string host;
  uint16_t port = 0;
  bool tls = false;
};

std::string to_string(const endpoint& where);

/// One console's conversation with the daemon's admin actor. Every request,
/// the connect included, waits at most `timeout`.
class session {
public:
  session(caf::actor_system& sys, endpoint where, std::chrono::milliseconds timeout);

  /// Connects and says hello speaking `version`: the daemon's version, or
  /// why not (unreachable, or refused as incompatible).
  reply<uint32_t> open(uint32_t version = admin_protocol_version);

  /// True when a connect attempt outlived its timeout: CAF 0.17's middleman
  /// may still be blocked in it, and would hold up the actor system's end.
  bool connect_stuck() const { return connect_stuck_; }

  /// One request to the daemon; its answer, or why there is none.
  template <class T, class... Ts>
  reply<T> ask(Ts&&... xs) {
    return ask_within<T>(timeout_, std::forward<Ts>(xs)...);
  }

  /// The same with a deadline of its own (an import part's transaction).
  template <class T, class... Ts>
  reply<T> ask_within(std::chrono::milliseconds timeout, Ts&&... xs) {
    std::optional<reply<T>> out;
    auto pending = self_->request(admin_, caf::infinite, std::forward<Ts>(xs)...);
    await_response(
      *self_, pending.id(), timeout, [&](T& value) { out.emplace(std::move(value)); },
      [&](caf::error& err) { out.emplace(classify(err)); },
      [&] { out.emplace(classify(caf::make_error(caf::sec::request_timeout))); });
    return std::move(*out);
  }

  /// Subscribes this console to a frame every `interval`; the first one.
  reply<watch_frame> subscribe(std::chrono::milliseconds interval);

  /// The next pushed frame, the daemon's reason for not having one, or
  /// nullopt when nothing came within `limit`.
  std::optional<reply<watch_frame>> next_frame(std::chrono::milliseconds limit);

  const endpoint& where() const { return where_; }

  /// The daemon's admin actor, once open.
  const admin_actor& admin() const { return admin_; }

private:
  console_error classify(const caf::error& err) const;

  caf::actor_system& sys_;
  endpoint where_;
  std::chrono::milliseconds timeout_;
  caf::scoped_actor self_;
  admin_actor admin_;
  bool connect_stuck_ = false;
};

} // namespace cdp::console
