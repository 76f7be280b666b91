#include "console/text_views.hpp"

#include <algorithm>
#include <cstdio>

#include "console/table.hpp"

namespace cdp::console {

namespace {

std::string month_or_dash(const std::optional<year_month>& m) {
  return m ? m->to_string() : "-";
}

std::string yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string percent(double p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

std::string progress_line(const backfill_progress& p) {
  return std::to_string(p.completed_months) + " of " + std::to_string(p.total_months)
         + " months completed (" + percent(p.progress_percent) + "); "
         + std::to_string(p.failed_months) + " failed, " + std::to_string(p.running_months)
         + " running, " + std::to_string(p.pending_months) + " pending";
}

void add_advertiser(fields& f, const advertiser_progress& p) {
  const auto& a = p.who;
  f.add("advertiser", a.id)
    .add("name", a.name)
    .add("type", std::string{to_string(a.type)})
    .add("active", yes_no(a.active));
  if (!a.deactivation_reason.empty())
    f.add("deactivated because", a.deactivation_reason);
  f.add("backfill start", month_or_dash(a.backfill_start_month))
    .add("backfill completed", yes_no(a.backfill_completed))
    .add("current month", month_or_dash(a.current_processing_month))
    .add("last completed", month_or_dash(a.last_completed_month))
    .add("months", progress_line(p.progress))
    .add("cursor", month_or_dash(p.progress.cursor));
}

table attempts_table(const std::vector<attempt_record>& attempts, bool with_month) {
  std::vector<std::string> headers{"ATTEMPT", "STARTED", "FINISHED", "OUTCOME", "NODE", "ERROR"};
  if (with_month)
    headers.insert(headers.begin(), "MONTH");
  table t{headers};
  t.right(with_month ? 1 : 0);
  for (const auto& a : attempts) {
    // A probe is the trial run of a deactivated advertiser (probe.*).
    auto number = std::to_string(a.attempt) + (a.probe ? " (probe)" : "");
    std::vector<std::string> row{std::move(number), when(a.started_at),
                                 when(a.finished_at), std::string{to_string(a.outcome)}, a.owner,
                                 a.error_message};
    if (with_month)
      row.insert(row.begin(), a.month.to_string());
    t.add(std::move(row));
  }
  return t;
}

table audit_table(const std::vector<audit_entry>& entries) {
  table t{{"SEQ", "AT", "WHO", "ACTION", "ADVERTISER", "MONTH", "OUTCOME", "REASON", "ERROR"}};
  t.right(0);
  for (const auto& e : entries)
    t.add({std::to_string(e.seq), when(e.at), e.who, std::string{to_string(e.action)},
           e.advertiser_id.empty() ? "-" : e.advertiser_id, month_or_dash(e.month),
           std::string{to_string(e.outcome)}, e.reason, e.error});
  return t;
}

} // namespace

std::string when(std::optional<timestamp> t) {
  if (!t)
    return "-";
  auto iso = to_iso8601(*t);
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string span(std::chrono::milliseconds d) {
  using namespace std::chrono;
  auto s = duration_cast<seconds>(d).count();
  if (s < 0)
    s = 0;
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  else if (s < 86400)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>(s % 3600 / 60));
  else
    std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                  static_cast<long long>(s % 86400 / 3600));
  return buf;
}

std::string heartbeat_age(std::chrono::milliseconds d) {
  // Heartbeats come every few seconds: under a minute, tenths matter.
  if (d >= std::chrono::minutes{1})
    return span(d);
  char buf[16];
  auto ms = std::max<int64_t>(d.count(), 0);
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  return buf;
}

std::string render(const system_status& s) {
  const auto& a = s.advertisers;
  const auto& l = s.lifecycles;
  const auto& m = s.months;
  const auto& p = s.pool;
  auto n = [](int64_t x) { return std::to_string(x); };
  fields f;
  f.add("node", s.node).add("now", when(s.now) + " UTC");
  f.add("next tick", s.next_tick ? when(*s.next_tick) + " UTC (in " + span(*s.next_tick - s.now) + ")"
                                 : std::string{"none (draining)"});
  f.add("advertisers", n(a.new_active + a.new_inactive + a.existing_active + a.existing_inactive)
                         + ": NEW " + n(a.new_active) + " active, " + n(a.new_inactive)
                         + " inactive; EXISTING " + n(a.existing_active) + " active, "
                         + n(a.existing_inactive) + " inactive");
  f.add("lifecycles", "NEW " + n(l.new_advertisers) + ", BACKFILLING " + n(l.backfilling)
                        + ", LIVE " + n(l.live) + ", DEGRADED " + n(l.degraded)
                        + ", DEACTIVATED " + n(l.deactivated));
  f.add("months", "PENDING " + n(m.pending) + ", RUNNING " + n(m.running) + ", COMPLETED "
                    + n(m.completed) + ", FAILED " + n(m.failed));
  f.add("running jobs", n(s.running_jobs));
  f.add("runners", n(p.busy) + " busy of " + n(p.runners) + " (core " + n(p.core_size) + ", max "
                     + n(p.max_size) + ")");
  f.add("queue", n(p.queued_live) + " live + " + n(p.queued_backfill) + " backfill of "
                   + n(p.queue_capacity) + " (" + n(p.reserved) + " reserved)");
  f.add("jobs done", n(p.jobs_done) + " (" + n(p.deferrals) + " deferred for a full queue)");
  return f.render();
}

std::string render(const advertiser_page& page) {
  table t{{"ADVERTISER", "NAME", "TYPE", "ACTIVE", "LIFECYCLE", "MONTHS", "CURSOR"}};
  for (const auto& s : page.advertisers)
    t.add({s.who.id, s.who.name, std::string{to_string(s.who.type)}, yes_no(s.who.active),
           std::string{to_string(s.stage)},
           std::to_string(s.completed_months) + "/" + std::to_string(s.total_months),
           month_or_dash(s.who.current_processing_month)});
  auto out = t.render();
  if (page.advertisers.empty())
    out += "(no advertisers)\n";
  if (page.next)
    out += "more: --after " + *page.next + "\n";
  return out;
}

std::string render(const advertiser_detail& d) {
  fields f;
  add_advertiser(f, d.progress);
  f.add("lifecycle", std::string{to_string(d.stage)})
    .add("eta", d.eta ? when(*d.eta) + " UTC" : std::string{"-"})
    .add("why", d.why);
  auto out = f.render();
  out += "\nlatest attempts\n";
  out += d.recent_attempts.empty() ? "(none)\n"
                                   : attempts_table(d.recent_attempts, true).render();
  out += "\nlatest actions\n";
  out += d.recent_actions.empty() ? "(none)\n" : audit_table(d.recent_actions).render();
  return out;
}

std::string render(const audit_page& page) {
  auto out = audit_table(page.entries).render();
  if (page.entries.empty())
    out += "(no audited actions)\n";
  if (page.next)
    out += "(older: --next " + std::to_string(*page.next) + ")\n";
  return out;
}

std::string render(const advertiser_progress& p) {
  fields f;
  add_advertiser(f, p);
  return f.render();
}

std::string render(const month_list& months) {
  table t{{"MONTH", "STATUS", "STARTED", "COMPLETED", "PROCESSED", "FAILED", "RETRIES",
           "NEXT ATTEMPT", "ERROR"}};
  t.right(4).right(5).right(6);
  for (const auto& m : months)
    t.add({m.month.to_string(), std::string{to_string(m.status)}, when(m.started_at),
           when(m.completed_at), std::to_string(m.processed_records),
           std::to_string(m.failed_records),
           std::to_string(m.retry_count) + "/" + std::to_string(m.max_retries),
           when(m.next_attempt_at), m.error_message});
  auto out = t.render();
  if (months.empty())
    out += "(no months)\n";
  return out;
}

std::string render(const month_state& m) {
  fields f;
  f.add("advertiser", m.advertiser_id)
    .add("month", m.month.to_string())
    .add("status", std::string{to_string(m.status)})
    .add("retries", std::to_string(m.retry_count) + " of " + std::to_string(m.max_retries))
    .add("started", when(m.started_at))
    .add("completed", when(m.completed_at))
    .add("records", std::to_string(m.processed_records) + " processed, "
                      + std::to_string(m.failed_records) + " failed");
  if (!m.error_message.empty())
    f.add("error", m.error_message);
  return f.render();
}

std::string render(const running_job_list& jobs) {
  table t{{"ADVERTISER", "MONTH", "ATTEMPT", "STARTED", "RUNNING", "NODE"}};
  t.right(2).right(4);
  for (const auto& j : jobs)
    t.add({j.advertiser_id, j.month.to_string(), std::to_string(j.attempt), when(j.started_at),
           span(std::chrono::seconds{j.running_seconds}), j.node});
  auto out = t.render();
  if (jobs.empty())
    out += "(nothing running)\n";
  return out;
}

std::string render(const attempt_list& attempts) {
  auto out = attempts_table(attempts, false).render();
  if (attempts.empty())
    out += "(no attempts)\n";
  return out;
}

std::string render(const health_report& h) {
  table t{{"COMPONENT", "STATUS", "DETAIL"}};
  for (const auto& c : h.components)
    t.add({c.name, c.up ? "UP" : "DOWN", c.detail});
  return std::string{h.up ? "UP" : "DOWN"} + " (checked " + when(h.checked_at) + " UTC)\n"
         + t.render() + "resident memory "
         + std::to_string(h.resident_bytes / (1024 * 1024)) + " MiB\n";
}

std::string render(const node_list& nodes) {
  table t{{"NODE", "HOST", "PID", "LIVE", "HEARTBEAT", "ADVERTISERS", "RUNNING", "STARTED",
           "STOPPED"}};
  t.right(2).right(5).right(6);
  for (const auto& n : nodes)
    t.add({n.node_id, n.host, std::to_string(n.pid), yes_no(n.live),
           heartbeat_age(std::chrono::milliseconds{n.heartbeat_age_ms}) + " ago",
           std::to_string(n.advertisers_owned), std::to_string(n.running_jobs),
           when(n.started_at), when(n.stopped_at)});
  auto out = t.render();
  if (nodes.empty())
    out += "(no nodes)\n";
  return out;
}

} // namespace cdp::console
