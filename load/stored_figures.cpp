#include "load/stored_figures.hpp"

#include <algorithm>
#include <vector>

namespace cdp::load {

namespace {

bool exhausted(const month_state& m) {
  return m.status == month_status::failed && m.retry_count >= m.max_retries;
}

double ms_between(timestamp from, timestamp to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

/// Attempts of one advertiser that started while one of its other months ran.
int64_t overlaps(std::span<const attempt_record> of_one) {
  std::vector<const attempt_record*> by_start;
  for (const auto& a : of_one)
    by_start.push_back(&a);
  std::stable_sort(by_start.begin(), by_start.end(),
                   [](const auto* x, const auto* y) { return x->started_at < y->started_at; });
  int64_t found = 0;
  // The attempt that runs longest among those started so far, and its month.
  std::optional<timestamp> busy_until;
  year_month busy_month;
  bool open_ended = false;
  for (const auto* a : by_start) {
    bool running = open_ended || (busy_until && a->started_at < *busy_until);
    if (running && a->month != busy_month)
      ++found;
    if (!a->finished_at) {
      open_ended = true;
      busy_month = a->month;
    } else if (!open_ended && (!busy_until || *a->finished_at > *busy_until)) {
      busy_until = a->finished_at;
      busy_month = a->month;
    }
  }
  return found;
}

} // namespace

advertiser_outcome outcome_of(bool is_new, std::span<const month_state> rows) {
  advertiser_outcome o;
  auto completed = std::count_if(rows.begin(), rows.end(), [](const month_state& m) {
    return m.status == month_status::completed;
  });
  o.deactivated = std::any_of(rows.begin(), rows.end(), exhausted);
  o.due = is_new ? static_cast<int>(rows.size()) : 1;
  o.done = is_new ? static_cast<int>(completed) : (completed > 0 ? 1 : 0);
  o.ended = o.deactivated || (o.due > 0 && o.done == o.due);
  return o;
}

outcome_tracker::outcome_tracker(std::function<bool(std::string_view)> is_new)
    : is_new_(std::move(is_new)) {}

void outcome_tracker::update(std::span<const month_state> rows) {
  for (size_t from = 0; from < rows.size();) {
    auto to = from;
    while (to < rows.size() && rows[to].advertiser_id == rows[from].advertiser_id)
      ++to;
    const auto& id = rows[from].advertiser_id;
    replace(id, outcome_of(is_new_(id), rows.subspan(from, to - from)));
    from = to;
  }
}

void outcome_tracker::replace(const std::string& id, advertiser_outcome now) {
  auto [at, first] = by_id_.try_emplace(id);
  auto& held = at->second;
  bool is_new = is_new_(id);
  existing_seen_ += first && !is_new;
  auto count = [&](const advertiser_outcome& o, int sign) {
    new_ended_ += sign * (o.ended && is_new);
    deactivated_ += sign * o.deactivated;
    done_ += sign * o.done;
    due_ += sign * o.due;
  };
  count(held, -1);
  held = now;
  count(held, +1);
}

bool outcome_tracker::ended(const std::string& id) const {
  auto it = by_id_.find(id);
  return it != by_id_.end() && it->second.ended;
}

samples measure(std::span<const attempt_record> attempts,
                const std::function<bool(std::string_view)>& is_new,
                std::optional<timestamp> backfill_end) {
  samples s;
  s.attempts = static_cast<int64_t>(attempts.size());
  size_t advertiser_from = 0;
  // The first attempt of the month's run under way: a run begins with the
  // month's first attempt and after each of its completions.
  size_t run_from = 0;
  for (size_t i = 0; i < attempts.size(); ++i) {
    const auto& a = attempts[i];
    bool month_start = i == 0 || attempts[i - 1].advertiser_id != a.advertiser_id
                       || attempts[i - 1].month != a.month;
    if (month_start || attempts[i - 1].outcome == month_status::completed)
      run_from = i;
    else if (attempts[i - 1].outcome == month_status::failed)
      ++s.retries;
    if (a.outcome == month_status::completed && a.finished_at) {
      ++s.jobs;
      s.month_latency_ms.push_back(ms_between(attempts[run_from].started_at, *a.finished_at));
    }
    if (!backfill_end || a.started_at <= *backfill_end) {
      ++s.contended_attempts;
      s.backfill_attempts += is_new(a.advertiser_id);
    }
    if (i + 1 == attempts.size() || attempts[i + 1].advertiser_id != a.advertiser_id) {
      s.order_violations += overlaps(attempts.subspan(advertiser_from, i + 1 - advertiser_from));
      advertiser_from = i + 1;
    }
  }
  return s;
}

std::optional<timestamp> last_new_completion(
  std::span<const attempt_record> attempts, const std::function<bool(std::string_view)>& is_new) {
  std::optional<timestamp> last;
  for (const auto& a : attempts)
    if (a.outcome == month_status::completed && a.finished_at && is_new(a.advertiser_id)
        && (!last || *a.finished_at > *last))
      last = a.finished_at;
  return last;
}

} // namespace cdp::load
