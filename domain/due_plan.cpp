#include "domain/due_plan.hpp"

#include <algorithm>

namespace cdp {

namespace {

using kind = due_decision::kind;

const month_state* find(std::span<const month_state> months, year_month m) {
  auto it = std::find_if(months.begin(), months.end(),
                         [m](const month_state& s) { return s.month == m; });
  return it == months.end() ? nullptr : &*it;
}

due_decision make(kind what, year_month m, run_reason reason, std::string why) {
  due_decision d;
  d.what = what;
  d.month = m;
  d.reason = reason;
  d.explanation = std::move(why);
  return d;
}

// The decision for a month that is not yet done (not COMPLETED, or a
// COMPLETED month the caller wants to run again).
due_decision judge(const due_context& ctx, year_month m, run_reason reason) {
  auto label = m.to_string();
  auto* row = find(ctx.months, m);
  auto run = make(kind::run, m, reason,
                  "running " + label + " (" + std::string{to_string(reason)} + ")");
  run.closes_month = m < ctx.current;
  if (row == nullptr) {
    run.create_row = true;
    return run;
  }
  switch (row->status) {
    case month_status::pending:
    case month_status::completed:
      return run;
    case month_status::running:
      return make(kind::in_flight, m, reason, label + " is running");
    case month_status::failed:
      break;
  }
  if (row->retry_count >= row->max_retries)
    return make(kind::exhausted, m, reason,
                label + " failed after " + std::to_string(row->retry_count)
                  + " retries: " + row->error_message);
  if (row->next_attempt_at && *row->next_attempt_at > ctx.now) {
    auto d = make(kind::wait, m, reason,
                  "in backoff: " + label + " is retried after a failure");
    d.wait_until = *row->next_attempt_at;
    return d;
  }
  run.explanation = "retrying " + label + " (retry "
                    + std::to_string(row->retry_count + 1) + " of "
                    + std::to_string(row->max_retries) + ")";
  return run;
}

due_decision decide_backfill(const due_context& ctx) {
  auto first = ctx.who.backfill_start_month.value_or(
    ctx.current.plus(1 - ctx.backfill_months));
  auto plan = month_range(first, first.plus(ctx.backfill_months - 1));
  for (auto m : plan) {
    auto* row = find(ctx.months, m);
    if (row != nullptr && row->status == month_status::completed)
      continue;
    return judge(ctx, m, run_reason::backfill);
  }
  due_decision d;
  d.what = kind::promote;
  d.explanation = "backfill complete: becomes EXISTING";
  return d;
}

due_decision decide_existing(const due_context& ctx) {
  auto oldest_allowed = ctx.current.plus(1 - ctx.backfill_months);
  auto first = std::clamp(ctx.who.last_completed_month.value_or(ctx.current),
                          oldest_allowed, ctx.current);
  // An older month that is not done (an operator's manual retry) comes first.
  for (const auto& row : ctx.months)
    if (row.month < first && row.month >= oldest_allowed && row.status != month_status::completed)
      first = row.month;
  for (auto m = first; m < ctx.current; m = m.next()) {
    auto* row = find(ctx.months, m);
    bool done = row != nullptr && row->status == month_status::completed
                && row->closed;
    // The last completed month without a row predates cdpbatch: nothing to close.
    bool unknown_past = row == nullptr && m == ctx.who.last_completed_month;
    if (done || unknown_past)
      continue;
    return judge(ctx, m, run_reason::catch_up);
  }
  auto* row = find(ctx.months, ctx.current);
  if (row != nullptr && row->status == month_status::completed && !ctx.on_tick) {
    auto d = make(kind::idle, ctx.current, run_reason::live,
                  ctx.current.to_string() + " is fresh; next refresh on the next tick");
    return d;
  }
  return judge(ctx, ctx.current, run_reason::live);
}

} // namespace

std::vector<year_month> backfill_plan(year_month current, int months) {
  return month_range(current.plus(1 - months), current);
}

std::string_view to_string(run_reason reason) {
  switch (reason) {
    case run_reason::backfill: return "backfill";
    case run_reason::catch_up: return "catch-up";
    case run_reason::live: return "live";
    case run_reason::probe: return "probe";
  }
  return "unknown";
}

due_decision decide(const due_context& ctx) {
  if (!ctx.who.active) {
    auto off = "deactivated"
               + (ctx.who.deactivation_reason.empty() ? std::string{}
                                                      : ": " + ctx.who.deactivation_reason);
    auto probe = plan_probe(ctx.who, ctx.months, ctx.now, ctx.probe);
    using probing = probe_decision::kind;
    switch (probe.what) {
      case probing::run: {
        auto d = make(kind::run, *probe.month, run_reason::probe,
                      "probing " + probe.month->to_string() + " (" + off + ")");
        d.closes_month = *probe.month < ctx.current;
        return d;
      }
      case probing::wait: {
        auto d = make(kind::wait, *probe.month, run_reason::probe,
                      off + "; next probe of " + probe.month->to_string());
        d.wait_until = probe.at;
        return d;
      }
      case probing::none: break;
    }
    due_decision d;
    d.what = kind::inactive;
    d.explanation = std::move(off);
    return d;
  }
  if (ctx.who.type == advertiser_type::new_advertiser)
    return decide_backfill(ctx);
  return decide_existing(ctx);
}

} // namespace cdp
