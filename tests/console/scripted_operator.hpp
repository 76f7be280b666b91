#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/errors.hpp"
#include "actors/interfaces.hpp"

namespace cdp::test {

/// What the scripted operator was asked, for tests to check.
struct operator_calls {
  std::mutex mutex;
  std::vector<std::string> calls;
  /// The `subject` of every operator_call, in order.
  std::vector<std::string> subjects;
  std::atomic<int64_t> frames{0};
  /// Frames fail while set (the store is down, say).
  std::atomic<bool> frames_fail{false};

  void add(std::string call) {
    std::lock_guard lock{mutex};
    calls.push_back(std::move(call));
  }
  std::vector<std::string> seen() {
    std::lock_guard lock{mutex};
    return calls;
  }
  void add_subject(std::string subject) {
    std::lock_guard lock{mutex};
    subjects.push_back(std::move(subject));
  }
  std::vector<std::string> seen_subjects() {
    std::lock_guard lock{mutex};
    return subjects;
  }
};

inline advertiser_progress progress_of_id(const std::string& id) {
  advertiser_progress p;
  p.who.id = id;
  p.who.name = "name of " + id;
  p.progress.total_months = 24;
  p.progress.completed_months = 6;
  p.progress.progress_percent = 25.0;
  return p;
}

/// Stands in for the operator actor behind the admin actor: canned answers
/// that say what they were asked, `not_found` for the advertiser "missing",
/// and a frame counter in every watch frame.
inline operator_actor::behavior_type scripted_operator(operator_actor::pointer,
                                                       std::shared_ptr<operator_calls> log) {
  auto missing = [](const std::string& id) {
    return to_caf_error(failure{errc::not_found, "no advertiser '" + id + "'"});
  };
  return {
    [=](status_atom) {
      system_status s;
      s.node = "scripted";
      return s;
    },
    [=](list_atom, const advertiser_query& q) {
      log->add("list " + q.lifecycle + " " + q.limit);
      advertiser_page page;
      page.advertisers.push_back({progress_of_id("A").who, lifecycle::live, 24, 24});
      return page;
    },
    [=](describe_atom, const std::string& id) -> caf::result<advertiser_detail> {
      if (id == "missing")
        return missing(id);
      advertiser_detail d;
      d.progress = progress_of_id(id);
      d.why = "idle until the next tick";
      return d;
    },
    [=](audit_atom, const audit_query& q) {
      log->add("audit " + q.advertiser_id + " " + q.since);
      audit_page page;
      audit_entry e;
      e.seq = 7;
      e.who = "default";
      e.action = audit_action::deactivate;
      e.advertiser_id = q.advertiser_id;
      e.reason = "spam";
      page.entries.push_back(e);
      return page;
    },
    [=](progress_atom, const std::string& id) { return progress_of_id(id); },
    [=](months_atom, const std::string& id) {
      month_state m;
      m.advertiser_id = id;
      return month_list{m};
    },
    [=](running_atom) { return running_job_list{}; },
    [=](attempts_atom, const std::string& id, const std::string& month) {
      log->add("attempts " + id + " " + month);
      return attempt_list{};
    },
    [=](create_atom, const operator_call& call, const advertiser_request& r) {
      log->add_subject(call.subject);
      log->add("create " + call.token + " " + r.advertiser_id + " " + r.name + " " + r.type);
      return progress_of_id(r.advertiser_id);
    },
    [=](create_atom, const operator_call& call, const advertiser_request_list& rs) {
      log->add_subject(call.subject);
      log->add("create " + call.token + " " + std::to_string(rs.size()) + " advertisers");
      return static_cast<int64_t>(rs.size());
    },
    [=](import_atom, const operator_call& call, const import_batch& batch) {
      log->add_subject(call.subject);
      log->add("import " + call.token + " " + std::to_string(batch.lines.size()) + " rows"
               + (batch.dry_run ? " (dry run)" : ""));
      import_report report;
      report.dry_run = batch.dry_run;
      report.rows = static_cast<int64_t>(batch.lines.size());
      report.created = report.rows;
      return report;
    },
    [=](months_atom, const id_list& ids) {
      log->add("months of " + std::to_string(ids.size()));
      return month_list{};
    },
    [=](attempts_atom, const id_list& ids) {
      log->add("attempts of " + std::to_string(ids.size()));
      return attempt_list{};
    },
    [=](trigger_atom, const operator_call& call, const std::string& id) {
      log->add_subject(call.subject);
      log->add("trigger " + call.token + " " + id);
      return progress_of_id(id);
    },
    [=](retry_atom, const operator_call& call, const std::string& id, const std::string& month) {
      log->add_subject(call.subject);
      log->add("retry " + call.token + " " + id + " " + month);
      month_state m;
      m.advertiser_id = id;
      return m;
    },
    [=](activate_atom, const operator_call& call, const std::string& id) {
      log->add_subject(call.subject);
      log->add("activate " + call.token + " " + id);
      return progress_of_id(id);
    },
    [=](deactivate_atom, const operator_call& call, const std::string& id) {
      log->add_subject(call.subject);
      log->add("deactivate " + call.token + " " + id + " because " + call.reason);
      return progress_of_id(id);
    },
    [=](health_atom) {
      health_report h;
      h.up = true;
      return h;
    },
    [=](watch_atom) -> caf::result<watch_frame> {
      if (log->frames_fail)
        return to_caf_error(failure{errc::store_unavailable, "the store is down"});
      watch_frame f;
      f.status.node = "scripted";
      f.status.running_jobs = ++log->frames;
      return f;
    },
    [=](nodes_atom) {
      node_view n;
      n.node_id = "scripted";
      return node_list{n};
    },
  };
}

} // namespace cdp::test
