#pragma once

#include <chrono>
#include <utility>

#include <caf/all.hpp>

namespace cdp {

/// For a blocking actor: waits at most `timeout` for the response `id` to a
/// request it sent with no timeout (caf::infinite); `answer` or `error` gets
/// it, or `late` is called.
///
/// Why the request carries none: CAF 0.17 keeps a request's timeout in its
/// clock until it expires, answered or not, and then delivers it as an error
/// response to that request, which a blocking actor never takes (its receives
/// skip responses to other requests). A blocking actor that asks many times
/// would keep one such message per ask for good and scan them all on every
/// receive. Bounding the receive instead leaves nothing behind but, after a
/// timeout, the late answer itself.
template <class Answer, class Error, class Late>
void await_response(caf::blocking_actor& self, caf::message_id id,
                    std::chrono::milliseconds timeout, Answer answer, Error error, Late late) {
  caf::blocking_actor::accept_one_cond one;
  self.varargs_receive(one, id, std::move(answer), std::move(error),
                       caf::after(timeout) >> std::move(late));
}

} // namespace cdp
