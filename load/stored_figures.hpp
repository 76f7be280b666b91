#pragma once

// How a run against a daemon is measured. Its commits are not seen from
// outside, so the figures come from what the daemon stored for the run's
// advertisers: their month rows while it runs, their attempts at the end.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/month_state.hpp"
#include "domain/views.hpp"
#include "load/report.hpp"

namespace cdp::load {

/// One advertiser of the run, from all its month rows.
struct advertiser_outcome {
  /// Months it must complete once: a NEW one's backfill months (stored when
  /// it was created), an EXISTING one's current month.
  int due = 0;
  int done = 0;
  /// A month used up its retries.
  bool deactivated = false;
  bool ended = false;
};

advertiser_outcome outcome_of(bool is_new, std::span<const month_state> rows);

/// The run's advertisers as their latest rows show them.
class outcome_tracker {
public:
  explicit outcome_tracker(std::function<bool(std::string_view)> is_new);
  /// Rows of some advertisers, grouped by advertiser (as the store reads
  /// them); an advertiser without rows keeps what it had.
  void update(std::span<const month_state> rows);
  bool ended(const std::string& id) const;
  /// NEW advertisers ended, advertisers deactivated.
  int64_t new_ended_count() const { return new_ended_; }
  int64_t deactivated_count() const { return deactivated_; }
  /// Months of the goal completed, and due of the run's `existing`
  /// EXISTING advertisers and the NEW ones read so far: an EXISTING one
  /// has no row before its first claim, but one month due all the same.
  int64_t months_done() const { return done_; }
  int64_t months_due(int64_t existing) const { return due_ + existing - existing_seen_; }

private:
  void replace(const std::string& id, advertiser_outcome now);

  std::function<bool(std::string_view)> is_new_;
  std::unordered_map<std::string, advertiser_outcome> by_id_;
  int64_t new_ended_ = 0;
  int64_t deactivated_ = 0;
  int64_t done_ = 0;
  int64_t due_ = 0;
  int64_t existing_seen_ = 0;
};

/// The run's figures from its attempts, grouped by advertiser, month and
/// attempt (as the store reads them): attempts, retries (an attempt after a
/// failed one), jobs (completed attempts), month latency (a run's first
/// attempt's start to its completion), order violations (an attempt that
/// started while another month of its advertiser ran) and the backfill's
/// share of the attempts started until `backfill_end` (all of them when it
/// has none).
samples measure(std::span<const attempt_record> attempts,
                const std::function<bool(std::string_view)>& is_new,
                std::optional<timestamp> backfill_end);

/// When the last NEW advertiser completed its last attempt; none without
/// NEW advertisers.
std::optional<timestamp> last_new_completion(
  std::span<const attempt_record> attempts, const std::function<bool(std::string_view)>& is_new);

} // namespace cdp::load
