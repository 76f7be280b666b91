#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/engine_observer.hpp"
#include "load/report.hpp"

namespace cdp::load {

/// Counts what the store took, commit by commit: attempts, completions,
/// retries, deactivations, each month run's claim-to-completion time, and
/// months of one advertiser that overlapped (a claim while another of its
/// months still ran).
class recorder final : public engine_observer {
public:
  using clock_type = std::chrono::steady_clock;

  /// `is_new` tells a NEW advertiser's id; `current` is the month every
  /// EXISTING one must complete once.
  recorder(std::function<bool(std::string_view)> is_new, year_month current, int64_t new_count);

  void committed(std::span<const transition> batch, std::span<const transition_outcome> outcomes,
                 std::chrono::microseconds took) override;
  void ticked(std::size_t advertisers, std::chrono::microseconds took) override;

  struct progress {
    /// Months of the run's goal completed once (see options::months_due).
    int64_t months_done = 0;
    /// Advertisers that did their work once or were deactivated.
    int64_t advertisers_ended = 0;
    int64_t jobs = 0;
    /// Advertisers whose first claim is durable.
    int64_t started = 0;
  };
  progress now() const;
  /// When the last NEW advertiser ended its backfill, if it has.
  std::optional<clock_type::time_point> backfill_ended() const;

  /// What it counted, as the report's samples (the run fills in the times).
  samples take() const;

private:
  struct month_run {
    clock_type::time_point claimed{};
    bool running = false;
    bool failed = false;
    bool done_once = false;
  };
  struct advertiser_track {
    std::unordered_map<int, month_run> months;
    int running = 0;
    bool ended = false;
  };

  void claimed(const claim_request& c, clock_type::time_point at);
  void completed(const complete_request& c, clock_type::time_point at);
  void failed(const fail_request& f);
  void end(advertiser_track& a, bool is_new);

  std::function<bool(std::string_view)> is_new_;
  int current_;
  int64_t new_count_;
  int64_t new_ended_ = 0;
  std::optional<clock_type::time_point> backfill_ended_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, advertiser_track> advertisers_;
  int64_t months_done_ = 0;
  int64_t ended_ = 0;
  samples totals_;
};

} // namespace cdp::load
