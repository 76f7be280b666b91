#include "api/json.hpp"

namespace cdp::api {

namespace {

json instant(const std::optional<timestamp>& t) {
  return t ? json(to_iso8601(*t)) : json(nullptr);
}

json month(const std::optional<year_month>& m) {
  return m ? json(m->to_string()) : json(nullptr);
}

json text_or_null(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

/// The advertiser's own fields, shared by every answer that shows one.
json advertiser_fields(const advertiser& a) {
  return {{"advertiserId", a.id},
          {"name", a.name},
          {"advertiserType", to_string(a.type)},
          {"active", a.active},
          {"backfillStartMonth", month(a.backfill_start_month)},
          {"backfillCompleted", a.backfill_completed},
          {"currentProcessingMonth", month(a.current_processing_month)},
          {"lastCompletedMonth", month(a.last_completed_month)},
          {"deactivationReason", a.active ? json(nullptr) : json(a.deactivation_reason)}};
}

json attempt_of(const attempt_record& a, bool with_advertiser) {
  auto row = to_json(a);
  if (with_advertiser)
    row["advertiserId"] = a.advertiser_id;
  row["processingMonth"] = a.month.to_string();
  return row;
}

} // namespace

json to_json(const advertiser_progress& p) {
  auto out = advertiser_fields(p.who);
  out["totalMonths"] = p.progress.total_months;
  out["completedMonths"] = p.progress.completed_months;
  out["failedMonths"] = p.progress.failed_months;
  out["pendingMonths"] = p.progress.pending_months;
  out["runningMonths"] = p.progress.running_months;
  out["progressPercent"] = p.progress.progress_percent;
  return out;
}

json to_json(const advertiser_summary& s) {
  auto out = advertiser_fields(s.who);
  out["lifecycle"] = to_string(s.stage);
  out["completedMonths"] = s.completed_months;
  out["totalMonths"] = s.total_months;
  return out;
}

json to_json(const advertiser_page& page) {
  return {{"advertisers", to_json(page.advertisers)},
          {"next", page.next ? json(*page.next) : json(nullptr)}};
}

json to_json(const advertiser_detail& d) {
  auto out = to_json(d.progress);
  out["lifecycle"] = to_string(d.stage);
  out["eta"] = instant(d.eta);
  out["why"] = d.why;
  out["recentAttempts"] = json::array();
  for (const auto& a : d.recent_attempts)
    out["recentAttempts"].push_back(attempt_of(a, false));
  out["recentActions"] = to_json(d.recent_actions);
  return out;
}

json to_json(const audit_entry& e) {
  return {{"seq", e.seq},
          {"at", to_iso8601(e.at)},
          {"who", e.who},
          {"action", to_string(e.action)},
          {"advertiserId", text_or_null(e.advertiser_id)},
          {"processingMonth", e.month ? json(e.month->to_string()) : json(nullptr)},
          {"node", e.node},
          {"reason", e.reason},
          {"outcome", to_string(e.outcome)},
          {"error", text_or_null(e.error)}};
}

json to_json(const audit_page& page) {
  return {{"entries", to_json(page.entries)},
          {"next", page.next ? json(std::to_string(*page.next)) : json(nullptr)}};
}

json to_json(const month_state& m) {
  return {{"advertiserId", m.advertiser_id},
          {"processingMonth", m.month.to_string()},
          {"status", to_string(m.status)},
          {"startedAt", instant(m.started_at)},
          {"completedAt", instant(m.completed_at)},
          {"processedRecords", m.processed_records},
          {"failedRecords", m.failed_records},
          {"errorMessage", text_or_null(m.error_message)},
          {"retryCount", m.retry_count},
          {"maxRetries", m.max_retries},
          {"nextAttemptAt", instant(m.next_attempt_at)}};
}

json to_json(const attempt_record& a) {
  return {{"attempt", a.attempt},
          {"startedAt", to_iso8601(a.started_at)},
          {"finishedAt", instant(a.finished_at)},
          {"outcome", to_string(a.outcome)},
          {"errorMessage", text_or_null(a.error_message)},
          {"node", a.owner},
          {"probe", a.probe}};
}

json to_json(const running_job& j) {
  return {{"advertiserId", j.advertiser_id},
          {"processingMonth", j.month.to_string()},
          {"startedAt", to_iso8601(j.started_at)},
          {"attempt", j.attempt},
          {"runningSeconds", j.running_seconds},
          {"node", j.node}};
}

json to_json(const system_status& s) {
  const auto& a = s.advertisers;
  const auto& l = s.lifecycles;
  const auto& m = s.months;
  const auto& p = s.pool;
  return {
    {"advertisers",
     {{"total", a.new_active + a.new_inactive + a.existing_active + a.existing_inactive},
      {"NEW", {{"active", a.new_active}, {"inactive", a.new_inactive}}},
      {"EXISTING", {{"active", a.existing_active}, {"inactive", a.existing_inactive}}}}},
    {"lifecycles",
     {{"NEW", l.new_advertisers},
      {"BACKFILLING", l.backfilling},
      {"LIVE", l.live},
      {"DEGRADED", l.degraded},
      {"DEACTIVATED", l.deactivated}}},
    {"states",
     {{"PENDING", m.pending}, {"RUNNING", m.running}, {"COMPLETED", m.completed},
      {"FAILED", m.failed}}},
    {"runningJobs", s.running_jobs},
    {"pool",
     {{"coreSize", p.core_size},
      {"maxSize", p.max_size},
      {"queueCapacity", p.queue_capacity},
      {"runners", p.runners},
      {"busy", p.busy},
      {"queuedLive", p.queued_live},
      {"queuedBackfill", p.queued_backfill},
      {"jobsDone", p.jobs_done},
      {"deferrals", p.deferrals}}},
    {"node", s.node},
    {"now", to_iso8601(s.now)},
    {"nextTick", instant(s.next_tick)}};
}

json to_json(const health_report& h) {
  auto components = json::object();
  for (const auto& c : h.components)
    components[c.name] = {{"status", c.up ? "UP" : "DOWN"}, {"detail", c.detail}};
  auto count = [](int64_t n) { return n < 0 ? json(nullptr) : json(n); };
  return {{"status", h.up ? "UP" : "DOWN"},
          {"components", components},
          {"residentBytes", h.resident_bytes},
          {"advertiserActors", count(h.advertiser_actors)},
          {"hibernatedAdvertisers", count(h.advertisers_hibernated)},
          {"checkedAt", to_iso8601(h.checked_at)}};
}

json to_json(const node_view& n) {
  return {{"nodeId", n.node_id},
          {"host", n.host},
          {"pid", n.pid},
          {"live", n.live},
          {"startedAt", to_iso8601(n.started_at)},
          {"heartbeatAt", to_iso8601(n.heartbeat_at)},
          {"heartbeatAgeSeconds", static_cast<double>(n.heartbeat_age_ms) / 1000.0},
          {"stoppedAt", instant(n.stopped_at)},
          {"advertisersOwned", n.advertisers_owned},
          {"runningJobs", n.running_jobs}};
}

json to_json(const watch_frame& f) {
  auto failures = json::array();
  for (const auto& a : f.recent_failures)
    failures.push_back(attempt_of(a, true));
  return {{"status", to_json(f.status)},
          {"running", to_json(f.running)},
          {"backfilling", to_json(f.backfilling)},
          {"recentFailures", std::move(failures)}};
}

json error_body(std::string_view error, std::string_view detail) {
  return {{"error", error}, {"detail", detail}};
}

json to_json(const import_report& r) {
  auto refused = json::array();
  for (const auto& x : r.first_refused)
    refused.push_back({{"row", x.row}, {"advertiserId", x.advertiser_id}, {"reason", x.reason}});
  return {{"dryRun", r.dry_run},   {"rows", r.rows},       {"created", r.created},
          {"skipped", r.skipped},  {"refused", r.refused}, {"firstRefused", std::move(refused)}};
}

http_error http_error_of(errc code) {
  switch (code) {
    case errc::invalid_argument: return {400, "bad_request"};
    case errc::unauthorized: return {401, "unauthorized"};
    case errc::forbidden: return {403, "forbidden"};
    case errc::not_found: return {404, "not_found"};
    case errc::conflict: return {409, "conflict"};
    case errc::timeout:
    case errc::store_unavailable:
    case errc::shutting_down:
    case errc::queue_full: return {503, "unavailable"};
    default: return {500, "internal_error"};
  }
}

} // namespace cdp::api
