#pragma once

// How the values the admin console exchanges with cdpbatchd cross the wire:
// one CAF `inspect` overload per type. Field order is the protocol; a change
// here is a new admin protocol version (see `admin_protocol_version`).
// Values read from a peer are checked where a bad one could do harm (months).

#include <optional>
#include <string>

#include "caf/meta/load_callback.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/optional.hpp"
#include "caf/sec.hpp"

#include "domain/advertiser.hpp"
#include "domain/audit.hpp"
#include "domain/cluster.hpp"
#include "domain/import_rules.hpp"
#include "domain/month_state.hpp"
#include "domain/progress.hpp"
#include "domain/views.hpp"
#include "domain/year_month.hpp"

namespace cdp {

namespace wire {

/// A std::optional field, written as CAF writes its own optional: a flag,
/// then the value when there is one.
template <class T>
struct optional_field {
  std::optional<T>& value;
};

template <class T>
optional_field<T> opt(std::optional<T>& value) {
  return {value};
}

template <class Inspector, class T>
typename Inspector::result_type inspect(Inspector& f, optional_field<T>& x) {
  caf::optional<T> tmp;
  if (x.value)
    tmp = *x.value;
  return f(tmp, caf::meta::load_callback([&]() -> caf::error {
             if (tmp)
               x.value = std::move(*tmp);
             else
               x.value.reset();
             return caf::none;
           }));
}

} // namespace wire

/// Months travel as `YYYY-MM` text and are parsed on arrival: a peer cannot
/// plant a month outside 1970-01 … 9999-12.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, year_month& x) {
  auto text = x.to_string();
  return f(caf::meta::type_name("year_month"), text,
           caf::meta::load_callback([&]() -> caf::error {
             auto parsed = year_month::parse(text);
             if (!parsed)
               return caf::make_error(caf::sec::invalid_argument, "malformed month: " + text);
             x = *parsed;
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser& x) {
  return f(caf::meta::type_name("advertiser"), x.id, x.name, x.active, x.type,
           wire::opt(x.current_processing_month), wire::opt(x.backfill_start_month),
           x.backfill_completed, wire::opt(x.last_completed_month), x.deactivation_reason,
           x.created_at, x.updated_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, new_advertiser& x) {
  return f(caf::meta::type_name("new_advertiser"), x.id, x.name, x.type);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, month_state& x) {
  return f(caf::meta::type_name("month_state"), x.id, x.advertiser_id, x.month, x.status,
           wire::opt(x.started_at), wire::opt(x.completed_at), x.processed_records,
           x.failed_records, x.error_message, x.retry_count, x.max_retries, x.created_at,
           x.updated_at, wire::opt(x.next_attempt_at), x.closed, x.owner, x.lease_token);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, backfill_progress& x) {
  return f(caf::meta::type_name("backfill_progress"), x.total_months, x.completed_months,
           x.failed_months, x.pending_months, x.running_months, x.progress_percent,
           wire::opt(x.cursor));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_counts& x) {
  return f(caf::meta::type_name("status_counts"), x.pending, x.running, x.completed, x.failed);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_counts& x) {
  return f(caf::meta::type_name("advertiser_counts"), x.new_active, x.new_inactive,
           x.existing_active, x.existing_inactive);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lifecycle_counts& x) {
  return f(caf::meta::type_name("lifecycle_counts"), x.new_advertisers, x.backfilling, x.live,
           x.degraded, x.deactivated);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attempt_record& x) {
  return f(caf::meta::type_name("attempt_record"), x.advertiser_id, x.month, x.attempt,
           x.started_at, wire::opt(x.finished_at), x.outcome, x.error_message, x.owner,
           x.probe);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pool_stats& x) {
  return f(caf::meta::type_name("pool_stats"), x.core_size, x.max_size, x.queue_capacity,
           x.runners, x.busy, x.queued_live, x.queued_backfill, x.reserved, x.jobs_done,
           x.deferrals, x.waiting_live, x.waiting_backfill, x.busy_backfill,
           x.jobs_done_backfill, x.coalesced);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_activity& x) {
  return f(caf::meta::type_name("advertiser_activity"), x.advertiser_id, x.now,
           wire::opt(x.month), x.attempt, x.max_attempts, wire::opt(x.since),
           wire::opt(x.until), x.ahead, x.explanation, x.probe);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_query& x) {
  return f(caf::meta::type_name("advertiser_query"), x.lifecycle, x.active, x.limit, x.after);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_filter& x) {
  return f(caf::meta::type_name("advertiser_filter"), wire::opt(x.stage), wire::opt(x.active),
           x.after, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_request& x) {
  return f(caf::meta::type_name("advertiser_request"), x.advertiser_id, x.name, x.type);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_progress& x) {
  return f(caf::meta::type_name("advertiser_progress"), x.who, x.progress);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_summary& x) {
  return f(caf::meta::type_name("advertiser_summary"), x.who, x.stage, x.completed_months,
           x.total_months);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_page& x) {
  return f(caf::meta::type_name("advertiser_page"), x.advertisers, wire::opt(x.next));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advertiser_detail& x) {
  return f(caf::meta::type_name("advertiser_detail"), x.progress, x.stage, wire::opt(x.eta),
           x.why, x.recent_attempts, x.recent_actions);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, running_job& x) {
  return f(caf::meta::type_name("running_job"), x.advertiser_id, x.month, x.started_at,
           x.attempt, x.running_seconds, x.node);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, system_status& x) {
  return f(caf::meta::type_name("system_status"), x.advertisers, x.lifecycles, x.months,
           x.running_jobs, x.pool, x.node, x.now, wire::opt(x.next_tick));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, component_health& x) {
  return f(caf::meta::type_name("component_health"), x.name, x.up, x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, health_report& x) {
  return f(caf::meta::type_name("health_report"), x.up, x.components, x.checked_at,
           x.resident_bytes, x.advertiser_actors, x.advertisers_hibernated);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tick_schedule& x) {
  return f(caf::meta::type_name("tick_schedule"), wire::opt(x.next_tick), x.interval);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_view& x) {
  return f(caf::meta::type_name("node_view"), x.node_id, x.host, x.pid, x.started_at,
           x.heartbeat_at, x.heartbeat_age_ms, wire::opt(x.stopped_at), x.live,
           x.advertisers_owned,
           x.running_jobs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watch_frame& x) {
  return f(caf::meta::type_name("watch_frame"), x.status, x.running, x.backfilling,
           x.recent_failures);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_line& x) {
  return f(caf::meta::type_name("import_line"), x.row, x.advertiser_id, x.name, x.type, x.active);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_batch& x) {
  return f(caf::meta::type_name("import_batch"), x.lines, x.default_type, x.dry_run);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_refusal& x) {
  return f(caf::meta::type_name("import_refusal"), x.row, x.advertiser_id, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_report& x) {
  return f(caf::meta::type_name("import_report"), x.dry_run, x.rows, x.created, x.skipped,
           x.refused, x.first_refused);
}

/// Actions and outcomes travel as their names and are parsed on arrival.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_entry& x) {
  auto action = std::string{to_string(x.action)};
  auto outcome = std::string{to_string(x.outcome)};
  return f(caf::meta::type_name("audit_entry"), x.seq, x.at, x.who, action, x.advertiser_id,
           wire::opt(x.month), x.node, x.reason, outcome, x.error,
           caf::meta::load_callback([&]() -> caf::error {
             auto a = parse_audit_action(action);
             auto o = parse_audit_outcome(outcome);
             if (!a || !o)
               return caf::make_error(caf::sec::invalid_argument,
                                      "unknown audit action or outcome: " + action + "/" + outcome);
             x.action = *a;
             x.outcome = *o;
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_page& x) {
  return f(caf::meta::type_name("audit_page"), x.entries, wire::opt(x.next));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_query& x) {
  return f(caf::meta::type_name("audit_query"), x.advertiser_id, x.since, x.limit, x.next);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, operator_call& x) {
  return f(caf::meta::type_name("operator_call"), x.token, x.reason, x.subject);
}

} // namespace cdp
