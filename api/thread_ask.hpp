#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include <caf/all.hpp>

#include "actors/await_response.hpp"
#include "actors/errors.hpp"
#include "domain/errors.hpp"

// How a handler thread asks an actor and waits for the answer.

namespace cdp::api {

/// The calling thread's blocking actor for its asks: made once per thread, not
/// per request (a scoped actor is spawned for each). Threads that ask end
/// before the actor system.
std::unique_ptr<caf::scoped_actor>& thread_asker();

/// Messages left in the calling thread's asker's mailbox, 0 without one. An
/// ask leaves none behind.
size_t thread_asker_backlog();

/// Asks `to` from the calling thread and waits at most `timeout` for an
/// `Answer`; the answer, or the failure it sent, or errc::timeout. After a
/// timeout the thread's actor is dropped, so that the late answer does not
/// linger in a mailbox that lives on (see await_response).
template <class Answer, class Handle, class... Ts>
expected<Answer> ask_from_thread(caf::actor_system& sys, const Handle& to,
                                 std::chrono::milliseconds timeout, Ts&&... xs) {
  auto& mine = thread_asker();
  if (!mine)
    mine = std::make_unique<caf::scoped_actor>(sys);
  expected<Answer> out = make_failure(errc::timeout, "no answer");
  bool late = false;
  auto pending = (*mine)->request(to, caf::infinite, std::forward<Ts>(xs)...);
  await_response(
    **mine, pending.id(), timeout, [&](Answer& a) { out = std::move(a); },
    [&](caf::error& err) { out = from_caf_error(err); },
    [&] {
      late = true;
      out = make_failure(errc::timeout, "cdpbatchd did not answer within "
                                          + std::to_string(timeout.count()) + "ms; try again");
    });
  if (late)
    mine.reset();
  return out;
}

} // namespace cdp::api
