#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/engine_observer.hpp"
#include "actors/interfaces.hpp"
#include "actors/store_link.hpp"
#include "domain/clock.hpp"
#include "runtime/metrics.hpp"
#include "runtime/write_health.hpp"

namespace cdp {

struct committer_state {
  struct waiting {
    transition_batch items;
    caf::typed_response_promise<outcome_batch> promise;
  };

  std::optional<store_link> link;
  std::shared_ptr<const clock> clk;
  std::shared_ptr<engine_metrics> metrics;
  std::shared_ptr<write_health> writes;
  /// Null unless someone watches (cdpload).
  std::shared_ptr<engine_observer> observer;
  std::vector<waiting> queue;
  bool flush_requested = false;

  static inline const char* name = "committer";
};

/// Spawn detached: every transaction blocks.
committer_actor::behavior_type
committer(committer_actor::stateful_pointer<committer_state> self,
          std::string store_url, store_options options, std::shared_ptr<const clock> clk,
          std::shared_ptr<engine_metrics> metrics, std::shared_ptr<write_health> writes,
          std::shared_ptr<engine_observer> observer);

} // namespace cdp
