#include "actors/operator_agent.hpp"

#include <algorithm>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/eta.hpp"
#include "domain/operator_input.hpp"
#include "domain/progress.hpp"
#include "domain/why.hpp"
#include "runtime/process_usage.hpp"

namespace cdp {

namespace {

using self_ptr = operator_actor::stateful_pointer<operator_state>;

/// The deactivation reason an operator's switch stores on the advertiser.
std::string operator_deactivation(const audit_note& note) {
  return "deactivated by " + note.who + ": " + note.reason;
}

caf::error refused(failure f) {
  return to_caf_error(f);
}

/// A CAF error as ours, naming who did not answer when it is a timeout.
caf::error relay(const caf::error& err, std::string_view who) {
  auto f = from_caf_error(err);
  if (f.code == errc::timeout)
    f.message = std::string{who} + " did not answer in time";
  return to_caf_error(f);
}

const operator_settings& cfg(self_ptr self) {
  return self->state.settings;
}

/// The next of the operator's readers: reads spread over their connections.
const store_reader_actor& reader(self_ptr self) {
  auto& st = self->state;
  const auto& all = st.settings.readers;
  return all[st.next_reader++ % all.size()];
}

advertiser_progress progress(advertiser who, const month_list& months) {
  return {std::move(who), progress_of(months)};
}

running_job running_of(const month_state& m, timestamp now) {
  running_job j;
  j.advertiser_id = m.advertiser_id;
  j.month = m.month;
  j.started_at = m.started_at.value_or(now);
  j.attempt = m.retry_count + 1;
  j.running_seconds = std::max<int64_t>(
    0, std::chrono::duration_cast<std::chrono::seconds>(now - j.started_at).count());
  j.node = m.owner;
  return j;
}

/// When a deactivated advertiser is probed next, and its latest probe among
/// `attempts` (newest first).
why_probe probes_of(const advertiser& who, const month_list& months, const attempt_list& attempts,
                    timestamp now, const probe_policy& policy) {
  why_probe p;
  auto next = plan_probe(who, months, now, policy);
  if (next.what != probe_decision::kind::none)
    p.next = next.at;
  auto last = std::find_if(attempts.begin(), attempts.end(),
                           [](const attempt_record& a) { return a.probe; });
  if (last != attempts.end())
    p.last = *last;
  return p;
}

/// The detail of one advertiser once the store, its actor and the director
/// have answered.
advertiser_detail detail_of(self_ptr self, advertiser who, const month_list& months,
                            attempt_list attempts, const advertiser_activity& activity,
                            const tick_schedule& schedule) {
  auto now = cfg(self).clk->now();
  advertiser_detail d;
  d.stage = lifecycle_of(who, months);
  d.eta = backfill_eta(who, months, now);
  d.why = why_not_running({who, months, activity, schedule.next_tick, now, cfg(self).node_id,
                           probes_of(who, months, attempts, now, cfg(self).probe)});
  d.recent_attempts = std::move(attempts);
  d.progress = progress(std::move(who), months);
  return d;
}

/// Reads one advertiser (with months and latest attempts), asks its actor
/// and the director, then hands the detail to `done`.
/// These asks carry no timeout: the reader answers within the store's
/// statement timeout, the supervisor and the director from memory, and the
/// REST worker or console session that asked bounds its own wait. A timeout
/// costs an event in CAF's clock and, since CAF 0.17 keeps it after the
/// answer, a stale message to this actor later: three of each per describe
/// cost GET /advertisers/{id} about a sixth of its throughput while its
/// advertisers were live (bench/README.md).
template <class Done, class Promise>
void describe(self_ptr self, const std::string& id, Done done, Promise promise) {
  const auto& c = cfg(self);
  self->request(reader(self), caf::infinite, describe_atom_v, id, int32_t{c.recent_attempts})
    .then(
      [=](advertiser& who, month_list& months, attempt_list& attempts,
          audit_list& actions) mutable {
        const auto& c = cfg(self);
        self->request(c.supervisor, caf::infinite, activity_atom_v, id)
          .then(
            [=](advertiser_activity& activity) mutable {
              const auto& c = cfg(self);
              self->request(c.director, caf::infinite, schedule_atom_v)
                .then(
                  [=](tick_schedule& schedule) mutable {
                    auto d = detail_of(self, who, months, attempts, activity, schedule);
                    d.recent_actions = actions;
                    done(std::move(d));
                  },
                  [=](caf::error& err) mutable { promise.deliver(relay(err, "the director")); });
            },
            [=](caf::error& err) mutable { promise.deliver(relay(err, "the supervisor")); });
      },
      [=](caf::error& err) mutable { promise.deliver(relay(err, "the store reader")); });
}

/// One advertiser's progress, read after a change so it shows the change.
void answer_progress(self_ptr self, const std::string& id,
                     caf::typed_response_promise<advertiser_progress> promise) {
  self->request(reader(self), caf::infinite, describe_atom_v, id, int32_t{0})
    .then([=](advertiser& who, month_list& months, attempt_list&,
              audit_list&) mutable { promise.deliver(progress(std::move(who), months)); },
          [=](caf::error& err) mutable { promise.deliver(relay(err, "the store reader")); });
}

/// An audit row's advertiser as the caller typed it, cut so a peer cannot
/// store megabytes in the trail.
std::string typed_id(const std::string& raw) {
  return raw.substr(0, 100);
}

/// Delivers `err` once the refusal's audit row is written (or could not be:
/// that is logged, and the caller still gets their answer).
template <class T>
void deliver_refusal(self_ptr self, caf::typed_response_promise<T> promise, audit_entry entry,
                     caf::error err) {
  self->request(reader(self), cfg(self).ask_timeout, audit_atom_v, entry)
    .then([=](bool) mutable { promise.deliver(err); },
          [=](caf::error& trouble) mutable {
            spdlog::error("audit: could not record the refused {} of '{}' by {}: {}",
                          to_string(entry.action), entry.advertiser_id, entry.who,
                          from_caf_error(trouble).message);
            promise.deliver(err);
          });
}

/// A refusal of this operator agent's own, audited before it answers.
template <class T>
caf::result<T> refuse(self_ptr self, audit_action action, const audit_note& note,
                      const std::string& id, std::optional<year_month> month, failure why) {
  auto promise = self->make_response_promise<T>();
  auto entry = refusal_of(action, note, typed_id(id), month, why, cfg(self).clk->now());
  deliver_refusal(self, promise, std::move(entry), refused(std::move(why)));
  return promise;
}

/// An engine actor's error for an audited change: a refusal is audited
/// (nothing changed), an answer that did not come is not (it may have).
template <class T>
void deliver_failure(self_ptr self, caf::typed_response_promise<T> promise, audit_action action,
                     const audit_note& note, const std::string& id,
                     std::optional<year_month> month, const caf::error& err,
                     std::string_view who) {
  auto relayed = relay(err, who);
  auto f = from_caf_error(relayed);
  if (!is_refusal(f.code)) {
    promise.deliver(relayed);
    return;
  }
  deliver_refusal(self, promise, refusal_of(action, note, id, month, f, cfg(self).clk->now()),
                  relayed);
}

/// Who makes a change: the caller their token (or certificate) names, if
/// their role lets them, with their checked reason (required for some
/// changes). A refused token is recorded as `unauthenticated_caller`.
expected<audit_note> caller_of(self_ptr self, const operator_call& call, bool reason_required,
                               audit_note& shown) {
  const auto& c = cfg(self);
  shown = {unauthenticated_caller, "", c.node_id};
  auto who = identify(c.tokens, c.roles, call.subject, call.token);
  if (!who)
    return unknown_token();
  shown.who = who->name;
  if (!may_change(*who))
    return forbidden_change(*who);
  auto reason = parse_reason(call.reason, reason_required);
  if (!reason)
    return std::move(reason).error();
  shown.reason = std::move(*reason);
  return shown;
}

/// The caller and the advertiser id of a change, or the audited refusal.
struct checked_change {
  audit_note note;
  std::string id;
};

expected<checked_change> check_change(self_ptr self, const operator_call& call,
                                      const std::string& raw_id, bool reason_required,
                                      audit_note& shown) {
  auto note = caller_of(self, call, reason_required, shown);
  if (!note)
    return std::move(note).error();
  auto id = parse_advertiser_id(raw_id);
  if (!id)
    return std::move(id).error();
  return checked_change{std::move(*note), std::move(*id)};
}

/// Asks `who` (named `name` in errors) to change advertiser `id`, then
/// answers its progress as the store has it after the change.
template <class Handle, class... Ts>
void change(self_ptr self, audit_action action, const checked_change& c, std::string_view name,
            const Handle& who, caf::typed_response_promise<advertiser_progress> promise,
            Ts... xs) {
  self->request(who, cfg(self).ask_timeout, xs...)
    .then([=](advertiser&) { answer_progress(self, c.id, promise); },
          [=](caf::error& err) mutable {
            deliver_failure(self, promise, action, c.note, c.id, std::nullopt, err, name);
          });
}

void deliver_status(self_ptr self, caf::expected<system_status> result) {
  auto& st = self->state;
  st.counting = false;
  if (result) {
    st.status = *result;
    st.counted_at = std::chrono::steady_clock::now();
  }
  auto waiters = std::move(st.status_waiters);
  st.status_waiters.clear();
  for (auto& w : waiters) {
    if (result)
      w.deliver(*result);
    else
      w.deliver(result.error());
  }
}

/// Counts (store), runners (pool) and the next tick (director), once for
/// every caller waiting meanwhile.
void count_status(self_ptr self) {
  const auto& c = cfg(self);
  self->request(reader(self), c.ask_timeout, status_atom_v)
    .then(
      [=](status_counts& months, advertiser_counts& advertisers, lifecycle_counts& stages) {
        const auto& c = cfg(self);
        system_status s;
        s.months = months;
        s.advertisers = advertisers;
        s.lifecycles = stages;
        s.running_jobs = months.running;
        s.node = c.node_id;
        self->request(c.pool, c.ask_timeout, stats_atom_v)
          .then(
            [=](pool_stats& pool) mutable {
              s.pool = pool;
              const auto& c = cfg(self);
              self->request(c.director, c.ask_timeout, schedule_atom_v)
                .then(
                  [=](tick_schedule& schedule) mutable {
                    s.next_tick = schedule.next_tick;
                    s.now = cfg(self).clk->now();
                    deliver_status(self, std::move(s));
                  },
                  [=](caf::error& err) { deliver_status(self, relay(err, "the director")); });
            },
            [=](caf::error& err) { deliver_status(self, relay(err, "the job pool")); });
      },
      [=](caf::error& err) { deliver_status(self, relay(err, "the store reader")); });
}

/// A count younger than status_max_age answers at once, and one past half
/// that age is recounted meanwhile, so callers asking steadily never wait.
/// Past status_max_age every caller waits for the one recount: an answer is
/// never older than that however rarely status is asked.
caf::result<system_status> current_status(self_ptr self) {
  auto& st = self->state;
  auto age = std::chrono::steady_clock::now() - st.counted_at;
  auto max_age = cfg(self).status_max_age;
  auto recount = [&] {
    if (!st.counting) {
      st.counting = true;
      count_status(self);
    }
  };
  if (st.status && age < max_age) {
    if (age >= max_age / 2)
      recount();
    return *st.status;
  }
  recount();
  auto promise = self->make_response_promise<system_status>();
  st.status_waiters.push_back(promise);
  return promise;
}

/// Health: every component asked at once, each with the same deadline.
caf::result<health_report> health(self_ptr self) {
  const auto& c = cfg(self);
  auto promise = self->make_response_promise<health_report>();
  auto report = std::make_shared<health_report>();
  report->components = {{"store", false, ""},
                        {"director", false, ""},
                        {"supervisor", false, ""},
                        {"pool", false, ""},
                        {"writes", false, ""}};
  auto remaining = std::make_shared<int>(5);
  auto mark = [=](size_t i, bool up, std::string detail) mutable {
    report->components[i].up = up;
    report->components[i].detail = std::move(detail);
    if (--*remaining > 0)
      return;
    report->up = std::all_of(report->components.begin(), report->components.end(),
                             [](const component_health& h) { return h.up; });
    report->checked_at = cfg(self).clk->now();
    promise.deliver(*report);
  };
  auto down = [=](size_t i) mutable {
    return [=](caf::error& err) mutable { mark(i, false, from_caf_error(err).message); };
  };
  if (auto failing = c.writes->state())
    mark(4, false,
         std::to_string(failing->commits) + " group commits failed in a row since "
           + to_iso8601(failing->since) + ": " + failing->last_error);
  else
    mark(4, true, "the last group commit, if any, succeeded");
  self->request(reader(self), c.ask_timeout, ping_atom_v)
    .then([=](bool) mutable { mark(0, true, "reachable"); }, down(0));
  self->request(c.director, c.ask_timeout, schedule_atom_v)
    .then(
      [=](tick_schedule& s) mutable {
        mark(1, true, s.next_tick ? "next tick at " + to_iso8601(*s.next_tick) : "ticking");
      },
      down(1));
  report->resident_bytes = static_cast<int64_t>(rss_mb() * 1024 * 1024);
  self->request(c.supervisor, c.ask_timeout, alive_atom_v)
    .then(
      [=](int64_t awake, int64_t hibernated) mutable {
        report->advertiser_actors = awake;
        report->advertisers_hibernated = hibernated;
        mark(2, true,
             std::to_string(awake) + " advertiser actors, " + std::to_string(hibernated)
               + " hibernated");
      },
      down(2));
  self->request(c.pool, c.ask_timeout, stats_atom_v)
    .then(
      [=](pool_stats& p) mutable {
        mark(3, true,
             std::to_string(p.busy) + " of " + std::to_string(p.runners) + " runners busy, "
               + std::to_string(p.queued_live + p.queued_backfill) + " queued");
      },
      down(3));
  return promise;
}

caf::result<watch_frame> watch(self_ptr self) {
  auto promise = self->make_response_promise<watch_frame>();
  auto frame = std::make_shared<watch_frame>();
  auto fail = [=](std::string_view who) mutable {
    return [=](caf::error& err) mutable { promise.deliver(relay(err, who)); };
  };
  const auto& c = cfg(self);
  auto rows = int32_t{c.watch_rows};
  self->request(caf::actor_cast<operator_actor>(self), c.ask_timeout * 3, status_atom_v)
    .then(
      [=](system_status& s) mutable {
        frame->status = std::move(s);
        const auto& c = cfg(self);
        self->request(reader(self), c.ask_timeout, running_atom_v)
          .then(
            [=](month_list& running) mutable {
              auto now = cfg(self).clk->now();
              for (const auto& m : running)
                frame->running.push_back(running_of(m, now));
              const auto& c = cfg(self);
              self->request(reader(self), c.ask_timeout, failures_atom_v, rows)
                .then(
                  [=](attempt_list& failures) mutable {
                    frame->recent_failures = std::move(failures);
                    const auto& c = cfg(self);
                    self->request(reader(self), c.ask_timeout, backfilling_atom_v, rows)
                      .then(
                        [=](advertiser_list& who, month_list& months) mutable {
                          std::unordered_map<std::string, month_list> by_id;
                          for (auto& m : months)
                            by_id[m.advertiser_id].push_back(std::move(m));
                          auto now = cfg(self).clk->now();
                          for (auto& a : who) {
                            const auto& own = by_id[a.id];
                            advertiser_detail d;
                            d.stage = lifecycle_of(a, own);
                            d.eta = backfill_eta(a, own, now);
                            auto p = progress_of(own);
                            d.why = "backfilling " + std::to_string(p.completed_months) + "/"
                                    + std::to_string(p.total_months);
                            d.progress = {std::move(a), p};
                            frame->backfilling.push_back(std::move(d));
                          }
                          promise.deliver(*frame);
                        },
                        fail("the store reader"));
                  },
                  fail("the store reader"));
            },
            fail("the store reader"));
      },
      [=](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

} // namespace

operator_actor::behavior_type
operator_agent(operator_actor::stateful_pointer<operator_state> self, operator_settings settings) {
  self->state.settings = std::move(settings);
  return {
    [=](status_atom) { return current_status(self); },
    [=](list_atom, const advertiser_query& q) -> caf::result<advertiser_page> {
      auto filter = parse_query(q);
      if (!filter)
        return refused(filter.error());
      return self->delegate(reader(self), list_atom_v, *filter);
    },
    [=](describe_atom, const std::string& raw_id) -> caf::result<advertiser_detail> {
      auto id = parse_advertiser_id(raw_id);
      if (!id)
        return refused(id.error());
      auto promise = self->make_response_promise<advertiser_detail>();
      describe(self, *id, [=](advertiser_detail d) mutable { promise.deliver(std::move(d)); },
               promise);
      return promise;
    },
    [=](progress_atom, const std::string& raw_id) -> caf::result<advertiser_progress> {
      auto id = parse_advertiser_id(raw_id);
      if (!id)
        return refused(id.error());
      auto promise = self->make_response_promise<advertiser_progress>();
      answer_progress(self, *id, promise);
      return promise;
    },
    [=](months_atom, const std::string& raw_id) -> caf::result<month_list> {
      auto id = parse_advertiser_id(raw_id);
      if (!id)
        return refused(id.error());
      return self->delegate(reader(self), months_atom_v, *id);
    },
    [=](months_atom, const id_list& raw_ids) -> caf::result<month_list> {
      auto ids = parse_ids(raw_ids);
      if (!ids)
        return refused(ids.error());
      return self->delegate(reader(self), months_atom_v, std::move(*ids));
    },
    [=](attempts_atom, const id_list& raw_ids) -> caf::result<attempt_list> {
      auto ids = parse_ids(raw_ids);
      if (!ids)
        return refused(ids.error());
      return self->delegate(reader(self), attempts_atom_v, std::move(*ids));
    },
    [=](running_atom) -> caf::result<running_job_list> {
      auto promise = self->make_response_promise<running_job_list>();
      self->request(reader(self), cfg(self).ask_timeout, running_atom_v)
        .then(
          [=](month_list& months) mutable {
            auto now = cfg(self).clk->now();
            running_job_list jobs;
            for (const auto& m : months)
              jobs.push_back(running_of(m, now));
            promise.deliver(std::move(jobs));
          },
          [=](caf::error& err) mutable { promise.deliver(relay(err, "the store reader")); });
      return promise;
    },
    [=](nodes_atom) -> caf::result<node_list> {
      return self->delegate(reader(self), nodes_atom_v);
    },
    [=](attempts_atom, const std::string& raw_id,
        const std::string& raw_month) -> caf::result<attempt_list> {
      auto id = parse_advertiser_id(raw_id);
      if (!id)
        return refused(id.error());
      auto month = parse_month(raw_month);
      if (!month)
        return refused(month.error());
      return self->delegate(reader(self), attempts_atom_v, *id, *month);
    },
    [=](audit_atom, const audit_query& q) -> caf::result<audit_page> {
      auto filter = parse_audit_query(q, cfg(self).clk->now());
      if (!filter)
        return refused(filter.error());
      return self->delegate(reader(self), audit_atom_v, *filter);
    },
    [=](create_atom, const operator_call& call,
        const advertiser_request& raw) -> caf::result<advertiser_progress> {
      audit_note shown;
      auto note = caller_of(self, call, false, shown);
      if (!note)
        return refuse<advertiser_progress>(self, audit_action::create, shown, raw.advertiser_id,
                                           std::nullopt, note.error());
      auto request = parse_request(raw);
      if (!request)
        return refuse<advertiser_progress>(self, audit_action::create, *note, raw.advertiser_id,
                                           std::nullopt, request.error());
      auto promise = self->make_response_promise<advertiser_progress>();
      self->request(cfg(self).supervisor, cfg(self).ask_timeout, create_atom_v, *request, *note)
        .then([=](advertiser& created) { answer_progress(self, created.id, promise); },
              [=](caf::error& err) mutable {
                deliver_failure(self, promise, audit_action::create, *note, request->id,
                                std::nullopt, err, "the supervisor");
              });
      return promise;
    },
    [=](create_atom, const operator_call& call,
        const advertiser_request_list& raw) -> caf::result<int64_t> {
      audit_note shown;
      auto note = caller_of(self, call, false, shown);
      if (!note)
        return refuse<int64_t>(self, audit_action::create, shown, "", std::nullopt,
                               note.error());
      auto requests = parse_requests(raw);
      if (!requests)
        return refuse<int64_t>(self, audit_action::create, *note, "", std::nullopt,
                               requests.error());
      auto promise = self->make_response_promise<int64_t>();
      self->request(cfg(self).supervisor, cfg(self).import_timeout, create_atom_v,
                    std::move(*requests), *note)
        .then([=](int64_t n) mutable { promise.deliver(n); },
              [=](caf::error& err) mutable {
                deliver_failure(self, promise, audit_action::create, *note, "", std::nullopt,
                                err, "the supervisor");
              });
      return promise;
    },
    [=](import_atom, const operator_call& call,
        const import_batch& batch) -> caf::result<import_report> {
      audit_note shown;
      auto note = caller_of(self, call, false, shown);
      if (!note)
        return refuse<import_report>(self, audit_action::import, shown, "", std::nullopt,
                                     note.error());
      auto checked = check_import_batch(batch);
      if (!checked)
        return refuse<import_report>(self, audit_action::import, *note, "", std::nullopt,
                                     checked.error());
      if (checked->rows.empty())
        return checked->report;
      auto promise = self->make_response_promise<import_report>();
      auto report = std::move(checked->report);
      self->request(cfg(self).supervisor, cfg(self).import_timeout, import_atom_v,
                    std::move(checked->rows), batch.dry_run, *note)
        .then(
          [=](import_outcome& out) mutable {
            report.created += out.created;
            report.skipped += out.skipped;
            for (auto& r : out.refused)
              add_refusal(report, std::move(r));
            promise.deliver(std::move(report));
          },
          [=](caf::error& err) mutable {
            deliver_failure(self, promise, audit_action::import, *note, "", std::nullopt, err,
                            "the supervisor");
          });
      return promise;
    },
    [=](trigger_atom, const operator_call& call,
        const std::string& raw_id) -> caf::result<advertiser_progress> {
      audit_note shown;
      auto c = check_change(self, call, raw_id, false, shown);
      if (!c)
        return refuse<advertiser_progress>(self, audit_action::trigger, shown, raw_id,
                                           std::nullopt, c.error());
      auto promise = self->make_response_promise<advertiser_progress>();
      // A trigger changes nothing stored: its row is written once the director
      // took it, on its own.
      self->request(cfg(self).director, cfg(self).ask_timeout, trigger_atom_v, c->id)
        .then(
          [=](advertiser&) {
            auto entry = audit_of(audit_action::trigger, c->note, c->id, std::nullopt,
                                  cfg(self).clk->now());
            self->request(reader(self), cfg(self).ask_timeout, audit_atom_v, std::move(entry))
              .then([=](bool) { answer_progress(self, c->id, promise); },
                    [=](caf::error& err) mutable {
                      spdlog::error("audit: could not record the trigger of '{}' by {}: {}",
                                    c->id, c->note.who, from_caf_error(err).message);
                      answer_progress(self, c->id, promise);
                    });
          },
          [=](caf::error& err) mutable {
            deliver_failure(self, promise, audit_action::trigger, c->note, c->id, std::nullopt,
                            err, "the director");
          });
      return promise;
    },
    [=](retry_atom, const operator_call& call, const std::string& raw_id,
        const std::string& raw_month) -> caf::result<month_state> {
      audit_note shown;
      auto c = check_change(self, call, raw_id, false, shown);
      if (!c)
        return refuse<month_state>(self, audit_action::retry, shown, raw_id, std::nullopt,
                                   c.error());
      auto month = parse_month(raw_month);
      if (!month)
        return refuse<month_state>(self, audit_action::retry, c->note, c->id, std::nullopt,
                                   month.error());
      auto promise = self->make_response_promise<month_state>();
      auto fail = [=](std::string_view who) mutable {
        return [=](caf::error& err) mutable {
          deliver_failure(self, promise, audit_action::retry, c->note, c->id, *month, err, who);
        };
      };
      self->request(reader(self), cfg(self).ask_timeout, get_atom_v, c->id, *month)
        .then(
          [=](month_state& row) mutable {
            if (auto allowed = may_retry(row); !allowed) {
              deliver_refusal(self, promise,
                              refusal_of(audit_action::retry, c->note, c->id, *month,
                                         allowed.error(), cfg(self).clk->now()),
                              refused(allowed.error()));
              return;
            }
            self->request(cfg(self).supervisor, cfg(self).ask_timeout, retry_atom_v, c->id,
                          *month, c->note)
              .then([=](month_state& reset) mutable { promise.deliver(std::move(reset)); },
                    fail("the supervisor"));
          },
          fail("the store reader"));
      return promise;
    },
    [=](activate_atom, const operator_call& call,
        const std::string& raw_id) -> caf::result<advertiser_progress> {
      audit_note shown;
      auto c = check_change(self, call, raw_id, false, shown);
      if (!c)
        return refuse<advertiser_progress>(self, audit_action::activate, shown, raw_id,
                                           std::nullopt, c.error());
      auto promise = self->make_response_promise<advertiser_progress>();
      self->request(reader(self), cfg(self).ask_timeout, describe_atom_v, c->id, int32_t{0})
        .then(
          [=](advertiser& who, month_list& months, attempt_list&, audit_list&) mutable {
            if (auto allowed = may_activate(who, months); !allowed) {
              deliver_refusal(self, promise,
                              refusal_of(audit_action::activate, c->note, c->id, std::nullopt,
                                         allowed.error(), cfg(self).clk->now()),
                              refused(allowed.error()));
              return;
            }
            change(self, audit_action::activate, *c, "the supervisor", cfg(self).supervisor,
                   promise, activate_atom_v, c->id, true, std::string{}, c->note);
          },
          [=](caf::error& err) mutable {
            deliver_failure(self, promise, audit_action::activate, c->note, c->id, std::nullopt,
                            err, "the store reader");
          });
      return promise;
    },
    [=](deactivate_atom, const operator_call& call,
        const std::string& raw_id) -> caf::result<advertiser_progress> {
      audit_note shown;
      auto c = check_change(self, call, raw_id, true, shown);
      if (!c)
        return refuse<advertiser_progress>(self, audit_action::deactivate, shown, raw_id,
                                           std::nullopt, c.error());
      auto promise = self->make_response_promise<advertiser_progress>();
      change(self, audit_action::deactivate, *c, "the supervisor", cfg(self).supervisor, promise,
             activate_atom_v, c->id, false, operator_deactivation(c->note), c->note);
      return promise;
    },
    [=](health_atom) { return health(self); },
    [=](watch_atom) { return watch(self); },
  };
}

} // namespace cdp
