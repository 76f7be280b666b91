#include "domain/why.hpp"

#include <algorithm>
#include <cstdio>

namespace cdp {

namespace {

using phase = advertiser_activity::phase;

std::string attempt_of(const advertiser_activity& a) {
  if (a.attempt <= 0)
    return "";
  auto text = " (attempt " + std::to_string(a.attempt);
  if (a.max_attempts > 0)
    text += " of " + std::to_string(a.max_attempts);
  return text + ")";
}

std::string month_of(const advertiser_activity& a) {
  return a.month ? a.month->to_string() : std::string{"a month"};
}

std::string deactivated(const advertiser& who, std::span<const month_state> months) {
  auto exhausted = std::find_if(months.begin(), months.end(), [](const month_state& m) {
    return m.status == month_status::failed && m.retry_count >= m.max_retries;
  });
  if (exhausted != months.end()) {
    auto attempts = exhausted->retry_count + 1;
    return "deactivated: " + exhausted->month.to_string() + " failed "
           + (attempts == 1 ? std::string{"once"} : std::to_string(attempts) + " times") + ": "
           + exhausted->error_message;
  }
  if (!who.deactivation_reason.empty())
    return "deactivated: " + who.deactivation_reason;
  return "deactivated";
}

/// The probes of a deactivated advertiser, appended to why it is off.
std::string probe_note(const why_context& ctx) {
  const auto& p = ctx.probe;
  std::string text;
  if (p.next)
    text += *p.next > ctx.now ? "; next probe at " + clock_time(*p.next, ctx.now)
                              : std::string{"; probe due now"};
  if (p.last && p.last->outcome != month_status::running) {
    text += "; last probe " + std::string{to_string(p.last->outcome)};
    if (p.last->finished_at)
      text += " at " + clock_time(*p.last->finished_at, ctx.now);
    if (!p.last->error_message.empty())
      text += ": " + p.last->error_message;
  }
  return text;
}

std::string until_next_tick(std::string_view what, const why_context& ctx) {
  if (!ctx.next_tick)
    return std::string{what} + " until the next tick";
  return std::string{what} + " until the next tick at " + clock_time(*ctx.next_tick, ctx.now);
}

/// A month another node holds: this advertiser waits for it.
const month_state* held_elsewhere(const why_context& ctx) {
  for (const auto& m : ctx.months)
    if (m.status == month_status::running && m.owner != ctx.node)
      return &m;
  return nullptr;
}

} // namespace

std::string clock_time(timestamp t, timestamp now) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  hh_mm_ss hms{floor<seconds>(t - day)};
  char buf[32];
  if (day == floor<days>(now)) {
    std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
  } else {
    year_month_day ymd{day};
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
  }
  return buf;
}

std::string why_not_running(const why_context& ctx) {
  const auto& a = ctx.activity;
  if (!ctx.who.active && a.now == phase::running) {
    // An operator may switch it off under a running attempt: that one ends,
    // nothing follows, and it is no probe.
    auto text = (a.probe ? "probing " : "finishing ") + month_of(a);
    if (a.since)
      text += " since " + clock_time(*a.since, ctx.now);
    return text + " (" + deactivated(ctx.who, ctx.months) + ")";
  }
  if (!ctx.who.active || a.now == phase::inactive)
    return deactivated(ctx.who, ctx.months) + probe_note(ctx);
  switch (a.now) {
    case phase::running: {
      auto text = "running " + month_of(a) + attempt_of(a);
      if (a.since)
        text += " since " + clock_time(*a.since, ctx.now);
      return text;
    }
    case phase::queued:
      if (a.ahead >= 0)
        return "waiting for a runner, " + std::to_string(a.ahead) + " ahead";
      return "waiting for a runner";
    case phase::backoff: {
      auto text = std::string{"in backoff"};
      if (a.until)
        text += " until " + clock_time(*a.until, ctx.now);
      return text + attempt_of(a);
    }
    case phase::store_trouble: {
      auto text = std::string{"the store failed it"};
      if (a.until)
        text += "; trying again at " + clock_time(*a.until, ctx.now);
      return a.explanation.empty() ? text : text + " (" + a.explanation + ")";
    }
    case phase::loading: return "reading its months from the store";
    case phase::recording: return "writing " + month_of(a) + "'s state to the store";
    case phase::draining: return "draining: cdpbatchd is stopping and takes no new work";
    case phase::not_loaded:
      if (auto* m = held_elsewhere(ctx))
        return "waiting for " + m->month.to_string() + ", running on node " + m->owner;
      return until_next_tick("not picked up yet", ctx);
    case phase::idle:
      if (auto* m = held_elsewhere(ctx))
        return "waiting for " + m->month.to_string() + ", running on node " + m->owner;
      return until_next_tick("idle", ctx);
    case phase::inactive: break;
  }
  return deactivated(ctx.who, ctx.months);
}

} // namespace cdp
