#pragma once

// An advertiser with nothing due keeps no actor: its supervisor holds its
// record and months packed into a few hundred bytes, and starts an actor from
// them again when a tick or an operator reaches it (the virtual-actor pattern).
// A CAF actor with its behaviour costs ~2 KB; a million idle advertisers
// would otherwise need 2.5 GB.

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/advertiser.hpp"
#include "domain/month_state.hpp"

namespace cdp {

/// An actor at rest (nothing in flight) tells its supervisor so. `dormant`
/// is its packed state when it may hibernate, empty when it must stay (a
/// timer of its own is pending); `heard` counts the supervisor's messages it
/// has handled: one handled later would be lost with the actor.
struct advertiser_rest {
  uint32_t heard = 0;
  std::vector<char> dormant;
};

/// What an actor is started from again.
struct dormant_advertiser {
  advertiser who;
  std::vector<month_state> months;
};

std::vector<char> pack_dormant(const advertiser& who, const std::vector<month_state>& months);
/// nullopt if `bytes` are not what pack_dormant wrote.
std::optional<dormant_advertiser> unpack_dormant(const std::vector<char>& bytes);

} // namespace cdp
