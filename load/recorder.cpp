#include "load/recorder.hpp"

namespace cdp::load {

recorder::recorder(std::function<bool(std::string_view)> is_new, year_month current,
                   int64_t new_count)
    : is_new_(std::move(is_new)), current_(current.index()), new_count_(new_count) {}

void recorder::committed(std::span<const transition> batch,
                         std::span<const transition_outcome> outcomes,
                         std::chrono::microseconds took) {
  auto at = clock_type::now();
  std::lock_guard guard{mutex_};
  totals_.commit_latency_ms.push_back(static_cast<double>(took.count()) / 1000.0);
  totals_.batch_sizes.push_back(static_cast<double>(batch.size()));
  for (size_t i = 0; i < batch.size() && i < outcomes.size(); ++i) {
    if (!outcomes[i].applied)
      continue;
    std::visit(
      [&](const auto& t) {
        using type = std::decay_t<decltype(t)>;
        if constexpr (std::is_same_v<type, claim_request>)
          claimed(t, at);
        else if constexpr (std::is_same_v<type, complete_request>)
          completed(t, at);
        else
          failed(t);
      },
      batch[i]);
  }
}

void recorder::ticked(std::size_t, std::chrono::microseconds took) {
  std::lock_guard guard{mutex_};
  totals_.tick_handout_s.push_back(static_cast<double>(took.count()) / 1e6);
}

void recorder::claimed(const claim_request& c, clock_type::time_point at) {
  auto& a = advertisers_[c.advertiser_id];
  auto& m = a.months[c.month.index()];
  ++totals_.attempts;
  if (new_ended_ < new_count_) {
    ++totals_.contended_attempts;
    totals_.backfill_attempts += is_new_(c.advertiser_id);
  }
  if (m.running)
    return; // a second claim of a running month: the store refuses those
  if (a.running > 0)
    ++totals_.order_violations;
  if (m.failed)
    ++totals_.retries;
  else
    m.claimed = at;
  m.running = true;
  m.failed = false;
  ++a.running;
}

void recorder::completed(const complete_request& c, clock_type::time_point at) {
  auto& a = advertisers_[c.advertiser_id];
  auto& m = a.months[c.month.index()];
  ++totals_.jobs;
  if (m.running) {
    totals_.month_latency_ms.push_back(
      std::chrono::duration<double, std::milli>(at - m.claimed).count());
    m.running = false;
    --a.running;
  }
  bool is_new = is_new_(c.advertiser_id);
  if (!m.done_once && (is_new || c.month.index() == current_)) {
    m.done_once = true;
    ++months_done_;
  }
  if (is_new ? c.backfill_done : c.month.index() == current_)
    end(a, is_new);
}

void recorder::failed(const fail_request& f) {
  auto& a = advertisers_[f.advertiser_id];
  auto& m = a.months[f.month.index()];
  if (m.running) {
    m.running = false;
    --a.running;
  }
  m.failed = true;
  if (f.deactivate_reason) {
    ++totals_.deactivated;
    end(a, is_new_(f.advertiser_id));
  }
}

void recorder::end(advertiser_track& a, bool is_new) {
  if (!a.ended) {
    a.ended = true;
    ++ended_;
    new_ended_ += is_new;
    if (is_new && new_ended_ == new_count_)
      backfill_ended_ = clock_type::now();
  }
}

std::optional<recorder::clock_type::time_point> recorder::backfill_ended() const {
  std::lock_guard guard{mutex_};
  return backfill_ended_;
}

recorder::progress recorder::now() const {
  std::lock_guard guard{mutex_};
  return {months_done_, ended_, totals_.jobs, static_cast<int64_t>(advertisers_.size())};
}

samples recorder::take() const {
  std::lock_guard guard{mutex_};
  return totals_;
}

} // namespace cdp::load
