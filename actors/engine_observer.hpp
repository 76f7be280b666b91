#pragma once

#include <chrono>
#include <cstddef>
#include <span>

#include "persistence/store.hpp"

namespace cdp {

/// Sees what the engine does as it happens, for figures the metrics keep only
/// as histograms (cdpload's report). Called on the committer's and the
/// director's threads: an implementation is thread-safe and quick.
class engine_observer {
public:
  virtual ~engine_observer() = default;
  /// One group commit the store took: its transitions, what became of each
  /// (in order), how long the transaction took.
  virtual void committed(std::span<const transition> batch,
                         std::span<const transition_outcome> outcomes,
                         std::chrono::microseconds took) = 0;
  /// One schedule tick: `advertisers` listed and handed out in `took`.
  virtual void ticked(std::size_t advertisers, std::chrono::microseconds took) = 0;
};

} // namespace cdp
