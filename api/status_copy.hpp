#pragma once

#include <chrono>
#include <mutex>
#include <optional>

#include "api/page_cache.hpp"
#include "domain/year_month.hpp"

namespace cdp::api {

/// The last GET /status answer, rendered, for the REST server to give on its
/// I/O thread. The operator answers with a count younger than its max age,
/// and recounts once asked past half of it (actors/operator_agent.cpp); this
/// copy is given within the same age, so no answer is older than the
/// operator's could be. Past half the age one caller at a time is sent on to
/// the operator, which starts the recount, while the others keep the copy.
/// Thread-safe.
class status_copy {
public:
  explicit status_copy(std::chrono::milliseconds max_age) : max_age_(max_age) {}

  /// Keeps `answer`, whose count was made at `counted` (the engine's clock).
  void keep(rendered answer, timestamp counted);
  /// The operator did not answer the caller sent on to it.
  void failed();
  /// The kept answer at `now`, or none: the caller asks the operator.
  std::optional<rendered> young(timestamp now);

private:
  std::chrono::milliseconds max_age_;
  std::mutex mutex_;
  std::optional<rendered> answer_;
  timestamp counted_{};
  /// A caller was sent on to the operator and has not come back.
  bool asking_ = false;
};

} // namespace cdp::api
