#include "persistence/store.hpp"

#include <string_view>
#include <unordered_set>

namespace cdp {

namespace {

expected<transition_outcome> apply_one(store& s, transition t, timestamp now) {
  auto outcomes = s.apply(std::span<const transition>{&t, 1}, now);
  if (!outcomes)
    return std::move(outcomes).error();
  return std::move(outcomes->front());
}

} // namespace

status validate_creation(std::span<const new_advertiser> requests, int backfill_months,
                         int max_retries) {
  if (backfill_months < 1 || max_retries < 0)
    return make_failure(errc::invalid_argument,
                        "backfill months must be at least 1 and max retries not negative, got "
                          + std::to_string(backfill_months) + " and "
                          + std::to_string(max_retries));
  std::unordered_set<std::string_view> seen;
  for (const auto& request : requests) {
    if (auto valid = validate(request); !valid)
      return valid;
    if (!seen.insert(request.id).second)
      return make_failure(errc::conflict,
                          "advertiser '" + request.id + "' appears twice in one creation");
  }
  return ok;
}

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
