#include "persistence/store.hpp"

namespace cdp {

namespace {

expected<transition_outcome> apply_one(store& s, transition t, timestamp now) {
  auto outcomes = s.apply(std::span<const transition>{&t, 1}, now);
  if (!outcomes)
    return std::move(outcomes).error();
  return std::move(outcomes->front());
}

} // namespace

expected<transition_outcome> store::claim(claim_request r, timestamp now) {
  return apply_one(*this, std::move(r), now);
}

expected<transition_outcome> store::complete(complete_request r, timestamp now) {
  return apply_one(*this, std::move(r), now);
}

expected<transition_outcome> store::fail(fail_request r, timestamp now) {
  return apply_one(*this, std::move(r), now);
}

} // namespace cdp
