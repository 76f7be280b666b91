#include "actors/store_reader.hpp"

#include "actors/errors.hpp"

namespace cdp {

namespace {

/// A store result as a handler's answer: the value, or the error for the requester.
template <class T>
caf::result<T> answer(expected<T>&& r) {
  if (!r)
    return to_caf_error(r.error());
  return std::move(*r);
}

std::vector<std::chrono::milliseconds> retry_delays(const retry_policy& p) {
  std::vector<std::chrono::milliseconds> delays;
  for (int retry = 1; retry <= std::max(p.max_retries, 1); ++retry)
    delays.push_back(p.delay(retry));
  return delays;
}

} // namespace

store_reader_actor::behavior_type
store_reader(store_reader_actor::stateful_pointer<store_reader_state> self,
             std::string store_url, store_options options, store_reader_settings settings) {
  self->state.link.emplace(std::move(store_url), options);
  self->state.settings = std::move(settings);
  auto db = [self](auto&& call) { return self->state.link->with(call); };
  auto now = [self] { return self->state.settings.clk->now(); };
  return {
    [=](list_atom, bool active_only) -> caf::result<advertiser_list> {
      return answer(db([&](store& s) { return s.list_advertisers(active_only); }));
    },
    [=](get_atom, const std::string& id) -> caf::result<advertiser> {
      return answer(db([&](store& s) { return s.get_advertiser(id); }));
    },
    [=](get_atom, const id_list& ids) -> caf::result<advertiser_list> {
      return answer(db([&](store& s) { return s.list_advertisers_for(ids); }));
    },
    [=](months_atom, const std::string& id) -> caf::result<month_list> {
      return answer(db([&](store& s) { return s.list_months(id); }));
    },
    [=](months_atom, const id_list& ids) -> caf::result<month_list> {
      return answer(db([&](store& s) { return s.list_months_for(ids); }));
    },
    [=](attempts_atom, const id_list& ids) -> caf::result<attempt_list> {
      return answer(db([&](store& s) { return s.list_attempts_for(ids); }));
    },
    [=](activate_atom, const std::string& id, bool active, const std::string& reason,
        const audit_note& note) -> caf::result<advertiser> {
      return answer(db([&](store& s) -> expected<advertiser> {
        if (auto r = s.set_active(id, active, reason, now(), note); !r)
          return std::move(r).error();
        return s.get_advertiser(id);
      }));
    },
    [=](promote_atom, const std::string& id) -> caf::result<advertiser> {
      return answer(db([&](store& s) -> expected<advertiser> {
        auto who = s.get_advertiser(id);
        if (!who)
          return who;
        auto r = s.update_advertiser_progress(id, advertiser_type::existing,
                                              who->current_processing_month,
                                              who->last_completed_month, true, now());
        if (!r)
          return std::move(r).error();
        return s.get_advertiser(id);
      }));
    },
    [=](reap_atom) -> caf::result<month_list> {
      const auto& cfg = self->state.settings;
      auto delays = retry_delays(cfg.retry);
      return answer(db([&](store& s) -> expected<month_list> {
        auto stale = s.reap_stale(now(), cfg.stale_after, delays);
        if (!stale || !cfg.reap_dead_nodes)
          return stale;
        auto dead = s.reap_dead_nodes(now(), cfg.lease_ttl);
        if (!dead)
          return dead;
        stale->insert(stale->end(), dead->begin(), dead->end());
        return stale;
      }));
    },
    [=](running_atom) -> caf::result<month_list> {
      return answer(db([&](store& s) { return s.running_months(); }));
    },
    [=](retry_atom, const std::string& id, year_month month,
        const audit_note& note) -> caf::result<month_state> {
      return answer(db([&](store& s) { return s.manual_retry(id, month, now(), note); }));
    },
    [=](create_atom, const new_advertiser& request,
        const audit_note& note) -> caf::result<advertiser> {
      const auto& cfg = self->state.settings;
      return answer(db([&](store& s) {
        return s.create_advertiser(request, cfg.clk->current_month(), cfg.backfill_months,
                                   cfg.retry.max_retries, now(), note);
      }));
    },
    [=](create_atom, const new_advertiser_list& requests,
        const audit_note& note) -> caf::result<advertiser_list> {
      const auto& cfg = self->state.settings;
      return answer(db([&](store& s) -> expected<advertiser_list> {
        if (auto made = s.create_advertisers(requests, cfg.clk->current_month(),
                                             cfg.backfill_months, cfg.retry.max_retries, now(),
                                             {}, note);
            !made)
          return std::move(made).error();
        id_list ids;
        ids.reserve(requests.size());
        for (const auto& r : requests)
          ids.push_back(r.id);
        return s.list_advertisers_for(ids);
      }));
    },
    [=](import_atom, const import_row_list& rows, bool dry_run,
        const audit_note& note) -> caf::result<import_outcome> {
      const auto& cfg = self->state.settings;
      return answer(db([&](store& s) {
        return s.import_advertisers(rows, cfg.clk->current_month(), cfg.backfill_months,
                                    cfg.retry.max_retries, now(), dry_run, note);
      }));
    },
    [=](audit_atom, const audit_entry& entry) -> caf::result<bool> {
      auto r = db([&](store& s) { return s.record_audit(entry); });
      if (!r)
        return to_caf_error(r.error());
      return true;
    },
    [=](audit_atom, const audit_filter& filter) -> caf::result<audit_page> {
      return answer(db([&](store& s) { return s.page_audit(filter); }));
    },
    [=](prune_atom, timestamp before) -> caf::result<int64_t> {
      return answer(db([&](store& s) { return s.prune_audit(before); }));
    },
    [=](ping_atom) -> caf::result<bool> {
      auto r = db([](store& s) { return s.ping(); });
      if (!r)
        return to_caf_error(r.error());
      return true;
    },
    [=](list_atom, const advertiser_filter& filter) -> caf::result<advertiser_page> {
      return answer(db([&](store& s) { return s.page_advertisers(filter); }));
    },
    [=](status_atom) -> caf::result<status_counts, advertiser_counts, lifecycle_counts> {
      auto months = db([&](store& s) { return s.count_months_by_status(); });
      if (!months)
        return to_caf_error(months.error());
      auto advertisers = db([&](store& s) { return s.count_advertisers(); });
      if (!advertisers)
        return to_caf_error(advertisers.error());
      auto stages = db([&](store& s) { return s.count_lifecycles(); });
      if (!stages)
        return to_caf_error(stages.error());
      return {*months, *advertisers, *stages};
    },
    [=](describe_atom, const std::string& id,
        int32_t n) -> caf::result<advertiser, month_list, attempt_list, audit_list> {
      auto who = db([&](store& s) { return s.get_advertiser(id); });
      if (!who)
        return to_caf_error(who.error());
      auto months = db([&](store& s) { return s.list_months(id); });
      if (!months)
        return to_caf_error(months.error());
      auto attempts = db([&](store& s) { return s.recent_attempts(id, n); });
      if (!attempts)
        return to_caf_error(attempts.error());
      audit_list actions;
      if (n > 0) {
        audit_filter f;
        f.advertiser_id = id;
        f.limit = n;
        auto page = db([&](store& s) { return s.page_audit(f); });
        if (!page)
          return to_caf_error(page.error());
        actions = std::move(page->entries);
      }
      return {std::move(*who), std::move(*months), std::move(*attempts), std::move(actions)};
    },
    [=](get_atom, const std::string& id, year_month month) -> caf::result<month_state> {
      return answer(db([&](store& s) { return s.get_month(id, month); }));
    },
    [=](attempts_atom, const std::string& id, year_month month) -> caf::result<attempt_list> {
      return answer(db([&](store& s) { return s.list_attempts(id, month); }));
    },
    [=](failures_atom, int32_t n) -> caf::result<attempt_list> {
      return answer(db([&](store& s) { return s.recent_failures(n); }));
    },
    [=](nodes_atom) -> caf::result<node_list> {
      return answer(db([&](store& s) {
        return s.list_nodes(now(), self->state.settings.lease_ttl);
      }));
    },
    [=](backfilling_atom, int32_t n) -> caf::result<advertiser_list, month_list> {
      advertiser_filter f;
      f.stage = lifecycle::backfilling;
      f.limit = n;
      auto page = db([&](store& s) { return s.page_advertisers(f); });
      if (!page)
        return to_caf_error(page.error());
      advertiser_list who;
      std::vector<std::string> ids;
      for (auto& a : page->advertisers) {
        ids.push_back(a.who.id);
        who.push_back(std::move(a.who));
      }
      auto months = db([&](store& s) { return s.list_months_for(ids); });
      if (!months)
        return to_caf_error(months.error());
      return {std::move(who), std::move(*months)};
    },
  };
}

} // namespace cdp
