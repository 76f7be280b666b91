// What an advertiser actor knows and writes: its copy of the months, the
// outcome of an attempt, and how it answers "what are you doing?". No
// messaging here; actors/advertiser.cpp carries out the phases.
#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "actors/advertiser.hpp"
#include "domain/progress.hpp"
#include "runtime/logging.hpp"

namespace cdp {

namespace {

// splitmix64: a cheap, well-mixed stream; 8 bytes of state per actor where
// std::mt19937_64 takes 2.5 KB.
uint64_t splitmix(uint64_t& state) {
  auto z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double unit_random(advertiser_state& st) {
  return static_cast<double>(splitmix(st.random) >> 11) * 0x1.0p-53;
}

} // namespace

bool may_claim(const advertiser_state& st) {
  return !st.lease_lost && (!st.cfg->leased || st.epoch != 0);
}

uint64_t next_random(advertiser_state& st) {
  return splitmix(st.random) >> 1;
}

month_state* find_month(advertiser_state& st, year_month m) {
  auto it = std::find_if(st.months.begin(), st.months.end(),
                         [m](const month_state& s) { return s.month == m; });
  return it == st.months.end() ? nullptr : &*it;
}

void upsert_month(advertiser_state& st, month_state row) {
  row.advertiser_id.clear();
  if (auto* m = find_month(st, row.month)) {
    *m = std::move(row);
    return;
  }
  auto at = std::lower_bound(st.months.begin(), st.months.end(), row.month,
                             [](const month_state& s, year_month m) { return s.month < m; });
  st.months.insert(at, std::move(row));
}

std::vector<month_state> kept_rows(month_list rows) {
  for (auto& r : rows)
    std::string{}.swap(r.advertiser_id);
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.month < b.month; });
  rows.shrink_to_fit();
  return rows;
}

due_context context(const advertiser_state& st, std::span<const month_state> months,
                    bool on_tick) {
  const auto& cfg = *st.cfg;
  return due_context{st.who,         months,    cfg.clk->current_month(), cfg.clk->now(),
                     cfg.backfill_months, cfg.retry, on_tick, cfg.probe};
}

std::optional<fail_request> orphan_failure(const advertiser_state& st) {
  const auto& cfg = *st.cfg;
  for (const auto& m : st.months) {
    if (m.status != month_status::running || m.owner != cfg.node_id)
      continue;
    if (st.in_flight && st.in_flight->what.month == m.month)
      continue;
    fail_request f{st.who.id, m.month, m.lease_token,
                   "interrupted: the advertiser's actor restarted while this month was running",
                   cfg.clk->now(), std::nullopt, st.epoch};
    if (m.retry_count >= m.max_retries) {
      f.next_attempt_at.reset();
      f.deactivate_reason = failure_deactivation(m.month, "interrupted", m.retry_count, "");
    }
    log_job(spdlog::level::warn, st.who.id, m.month, "failing orphaned RUNNING attempt");
    return f;
  }
  return std::nullopt;
}

due_decision decide_after(advertiser_state& st, year_month month) {
  // The row is COMPLETED just for the question, without copying the months.
  auto* row = find_month(st, month);
  auto was = row ? row->status : month_status::pending;
  if (row)
    row->status = month_status::completed;
  // A probe's success reactivates it with the completion: what follows is
  // an active advertiser's.
  auto was_active = std::exchange(st.who.active, true);
  auto d = decide(context(st, st.months, false));
  st.who.active = was_active;
  if (row)
    row->status = was;
  return d;
}

transition outcome_of(advertiser_state& st, const job_result& result) {
  const auto& cfg = *st.cfg;
  const auto& a = *st.in_flight;
  auto month = a.what.month;
  auto now = cfg.clk->now();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(now - a.started_at);
  bool probe = a.what.reason == run_reason::probe;
  if (result.succeeded) {
    log_job(spdlog::level::info, st.who.id, month,
            "job end: COMPLETED {} {} processed={} failed={} in {}ms",
            probe ? "probe of attempt" : "attempt", a.number, result.processed_records,
            result.failed_records, took.count());
    // What follows once this month counts as done decides cursor and promotion.
    auto next = decide_after(st, month);
    complete_request c{st.who.id,          month, a.lease_token, result.processed_records,
                       result.failed_records, a.what.closes_month, std::nullopt, false,
                       a.epoch};
    c.backfill_done = st.who.type == advertiser_type::new_advertiser
                      && next.what == due_decision::kind::promote;
    c.next_cursor = next.month && next.what != due_decision::kind::idle ? next.month
                                                                         : cfg.clk->current_month();
    c.reactivate = probe;
    return c;
  }
  if (probe) {
    // A failed probe changes nothing but the month's error: the advertiser
    // stays off until the next probe, one interval from now.
    log_job(spdlog::level::warn, st.who.id, month,
            "job end: FAILED probe in {}ms: {}; stays deactivated, next probe at {}", took.count(),
            result.error, to_iso8601(now + cfg.probe.interval));
    return fail_request{st.who.id,    month,        a.lease_token, result.error,
                        std::nullopt, std::nullopt, a.epoch};
  }
  const auto* row = find_month(st, month);
  auto retries_used = row ? row->retry_count : 0;
  auto max_retries = row ? row->max_retries : cfg.retry.max_retries;
  fail_request f{st.who.id,    month,        a.lease_token, result.error,
                 std::nullopt, std::nullopt, a.epoch};
  if (retries_used < max_retries) {
    f.next_attempt_at = now + cfg.retry.delay(retries_used + 1, unit_random(st));
    log_job(spdlog::level::warn, st.who.id, month,
            "job end: FAILED attempt {} in {}ms: {}; retry {} of {} at {}", a.number,
            took.count(), result.error, retries_used + 1, max_retries,
            to_iso8601(*f.next_attempt_at));
  } else {
    f.deactivate_reason = failure_deactivation(month, "failed", retries_used, result.error);
    log_job(spdlog::level::err, st.who.id, month,
            "job end: FAILED attempt {} in {}ms: {}; retries exhausted", a.number, took.count(),
            result.error);
  }
  return f;
}

void apply_recorded(advertiser_state& st, const transition& t) {
  auto now = st.cfg->clk->now();
  if (const auto* c = std::get_if<complete_request>(&t)) {
    if (auto* row = find_month(st, c->month)) {
      row->status = month_status::completed;
      row->completed_at = now;
      row->processed_records = c->processed_records;
      row->failed_records = c->failed_records;
      row->error_message.clear();
      row->next_attempt_at.reset();
      row->closed = row->closed || c->closes_month;
      row->updated_at = now;
    }
    if (c->reactivate) {
      st.who.active = true;
      st.who.deactivation_reason.clear();
      // A tick's snapshot read before the reactivation is older than it.
      st.who.updated_at = now;
      log_job(spdlog::level::info, st.who.id, c->month,
              "probe succeeded: advertiser reactivated, it resumes");
    }
    if (!st.who.last_completed_month || *st.who.last_completed_month < c->month)
      st.who.last_completed_month = c->month;
    if (c->next_cursor)
      st.who.current_processing_month = c->next_cursor;
    if (c->backfill_done) {
      st.who.type = advertiser_type::existing;
      st.who.backfill_completed = true;
    }
    if (st.who.type == advertiser_type::new_advertiser || c->backfill_done) {
      auto p = progress_of(st.months);
      log_job(spdlog::level::info, st.who.id, c->month, "backfill progress {}/{} ({}%){}",
              p.completed_months, p.total_months, p.progress_percent,
              c->backfill_done ? ": backfill complete, advertiser is now EXISTING" : "");
    }
  } else if (const auto* f = std::get_if<fail_request>(&t)) {
    if (auto* row = find_month(st, f->month)) {
      row->status = month_status::failed;
      row->error_message = truncate_error_message(f->error_message);
      row->next_attempt_at = f->next_attempt_at;
      row->owner.clear();
      // A probe's next one is due an interval after this failure.
      row->updated_at = now;
    }
    if (f->deactivate_reason) {
      st.who.active = false;
      st.who.deactivation_reason = *f->deactivate_reason;
      log_job(spdlog::level::err, st.who.id, f->month, "advertiser deactivated: {}",
              *f->deactivate_reason);
    }
  }
}

advertiser_activity activity_of(const advertiser_state& st, int64_t ahead) {
  using shown = advertiser_activity::phase;
  const auto& m = st.machine;
  advertiser_activity a;
  a.advertiser_id = st.who.id;
  a.max_attempts = st.cfg->retry.max_retries + 1;
  if (st.in_flight) {
    a.month = st.in_flight->what.month;
    a.attempt = st.in_flight->number;
    a.since = st.in_flight->started_at;
    a.probe = st.in_flight->what.reason == run_reason::probe;
  }
  switch (m.phase) {
    case advertiser_phase::idle: {
      if (m.draining) {
        a.now = shown::draining;
        a.explanation = "draining: takes no new work";
        break;
      }
      if (!may_claim(st)) {
        a.now = shown::idle;
        a.explanation = "not leased to this node: another node runs this advertiser";
        break;
      }
      auto d = decide(context(st, st.months, false));
      a.explanation = d.explanation;
      if (d.what == due_decision::kind::inactive) {
        a.now = shown::inactive;
      } else if (d.what == due_decision::kind::wait) {
        a.now = shown::backoff;
        a.month = d.month;
        a.until = d.wait_until;
        auto it = std::find_if(st.months.begin(), st.months.end(),
                               [&](const month_state& r) { return r.month == *d.month; });
        if (it != st.months.end()) {
          a.attempt = it->retry_count + 2;
          a.max_attempts = it->max_retries + 1;
        }
        a.explanation += " at " + to_iso8601(d.wait_until);
      } else {
        a.now = shown::idle;
      }
      break;
    }
    case advertiser_phase::loading:
      a.now = shown::loading;
      a.explanation = "reading its months";
      break;
    case advertiser_phase::admitting:
      a.now = shown::queued;
      a.ahead = ahead;
      if (st.planned)
        a.month = st.planned->month;
      a.explanation = "waiting for a runner, " + std::to_string(std::max<int64_t>(ahead, 0))
                      + " ahead";
      break;
    case advertiser_phase::queued:
      if (ahead >= 0) {
        a.now = shown::queued;
        a.ahead = ahead;
        a.explanation = "claimed, waiting for a runner, " + std::to_string(ahead) + " ahead";
      } else {
        a.now = shown::running;
        a.explanation = "running " + (a.month ? a.month->to_string() : std::string{"a month"})
                        + " (attempt " + std::to_string(a.attempt) + ")";
      }
      break;
    case advertiser_phase::claiming:
    case advertiser_phase::recording:
    case advertiser_phase::updating:
      a.now = shown::recording;
      a.explanation = "writing to the store";
      break;
    case advertiser_phase::backoff:
      a.now = shown::store_trouble;
      a.until = st.wake_at;
      a.explanation = "the store failed its last step; trying again"
                      + (st.wake_at ? " at " + to_iso8601(*st.wake_at) : std::string{});
      break;
  }
  return a;
}

bool at_rest(const advertiser_state& st) {
  const auto& m = st.machine;
  return m.phase == advertiser_phase::idle && !busy(m) && !m.draining && !m.holds_place
         && !m.refresh_wanted && !st.planned && !st.in_flight && !st.unrecorded
         && st.changes_in_flight == 0;
}

bool may_hibernate(const advertiser_state& st) {
  return at_rest(st) && !st.wake_at && st.machine.months_known && st.machine.lost_claims == 0
         && !st.lease_lost;
}

advertiser_activity hibernated_activity(std::shared_ptr<const advertiser_settings> cfg,
                                        advertiser who, std::vector<month_state> months,
                                        int64_t epoch) {
  // The state its actor would start with: idle, its months the store's.
  advertiser_state st;
  st.cfg = std::move(cfg);
  st.who = std::move(who);
  st.months = std::move(months);
  st.epoch = epoch;
  st.machine.months_known = true;
  return activity_of(st, -1);
}

} // namespace cdp
