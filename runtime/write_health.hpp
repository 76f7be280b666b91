#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "domain/year_month.hpp"

namespace cdp {

/// Whether the engine's writes go through. A store can answer reads while it
/// refuses every write (a full or read-only disk), so health asks this as
/// well as pinging the store. Thread-safe: the committers record on their own
/// threads, the operator reads on another.
class write_health {
public:
  /// Group commits that failed in a row, since the last one that succeeded.
  struct failing {
    timestamp since{};
    int64_t commits = 0;
    std::string last_error;
  };

  void succeeded();
  void failed(timestamp at, std::string error);
  /// Empty while the last group commit (or none yet) succeeded.
  std::optional<failing> state() const;

private:
  mutable std::mutex mutex_;
  std::optional<failing> failing_;
};

} // namespace cdp
