#include "actors/supervisor.hpp"

#include <unordered_set>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/duration.hpp"

namespace cdp {

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

/// The epoch of this node's lease on `id` (0 outside cluster mode).
int64_t epoch_of(const supervisor_state& st, const std::string& id) {
  auto it = st.leases.find(id);
  return it == st.leases.end() ? 0 : it->second;
}

/// Outside cluster mode every advertiser may run here.
bool may_run(const supervisor_state& st, const std::string& id) {
  return !st.settings->leased || st.leases.count(id) > 0;
}

advertiser_actor spawn_child(self_ptr self, const advertiser& record) {
  auto& st = self->state;
  auto hdl = self->spawn(advertiser_agent, st.settings, record, std::optional<month_list>{},
                         epoch_of(st, record.id));
  self->monitor(hdl);
  st.ids[hdl.address()] = record.id;
  return hdl;
}

/// The advertiser's actor, spawned if it has none yet.
supervisor_state::child& ensure(self_ptr self, const advertiser& record) {
  auto& st = self->state;
  auto it = st.children.find(record.id);
  if (it == st.children.end()) {
    auto hdl = spawn_child(self, record);
    it = st.children.emplace(record.id, supervisor_state::child{hdl, record, {}}).first;
  } else {
    it->second.record = record;
    it->second.revive = it->second.retiring && record.active;
  }
  return it->second;
}

/// Tells the advertiser's actor (spawned if it has none) to run what is due,
/// or has a retiring one replaced once it stopped.
void retire(self_ptr self, supervisor_state::child& c);

void hand_out(self_ptr self, const advertiser& record) {
  if (!may_run(self->state, record.id)) {
    // Another node leases it; an actor left from before stops.
    if (auto it = self->state.children.find(record.id);
        it != self->state.children.end() && !it->second.retiring)
      retire(self, it->second);
    return;
  }
  auto& c = ensure(self, record);
  if (!c.retiring)
    self->send(c.handle, due_atom_v, record);
}

/// The live actor of `id`, if it has one that is not retiring.
supervisor_state::child* serving(supervisor_state& st, const std::string& id) {
  auto it = st.children.find(id);
  return it == st.children.end() || it->second.retiring ? nullptr : &it->second;
}

/// Stops the actor of an advertiser that is no longer active, once its
/// in-flight month (if any) is recorded.
void retire(self_ptr self, supervisor_state::child& c) {
  c.retiring = true;
  auto hdl = c.handle;
  auto limit = self->state.settings->job_timeout + std::chrono::minutes{2};
  self->request(hdl, limit, drain_atom_v)
    .then([=](bool) { self->send_exit(hdl, caf::exit_reason::user_shutdown); },
          [=](caf::error&) { self->send_exit(hdl, caf::exit_reason::user_shutdown); });
}

void on_down(self_ptr self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto id_it = st.ids.find(dm.source);
  if (id_it == st.ids.end())
    return;
  auto id = id_it->second;
  st.ids.erase(id_it);
  auto child_it = st.children.find(id);
  if (child_it == st.children.end())
    return;
  auto& c = child_it->second;
  if (c.revive && !st.draining) {
    // Retired, then activated again meanwhile: its successor starts now.
    c.retiring = c.revive = false;
    c.restarts.clear();
    c.handle = spawn_child(self, c.record);
    self->send(c.handle, due_atom_v, c.record);
    return;
  }
  if (!dm.reason || dm.reason == caf::exit_reason::user_shutdown || st.draining) {
    st.children.erase(child_it);
    return;
  }
  auto now = st.settings->clk->now();
  auto why = self->system().render(dm.reason);
  while (!c.restarts.empty() && c.restarts.front() < now - st.restarts.window)
    c.restarts.pop_front();
  if (static_cast<int>(c.restarts.size()) >= st.restarts.max_restarts) {
    auto reason = "its actor crashed " + std::to_string(c.restarts.size() + 1) + " times within "
                  + format_duration(st.restarts.window) + "; last: " + why;
    spdlog::error("[advertiser={}] advertiser deactivated: {}", id, reason);
    self->request(st.settings->reader, st.settings->store_timeout, activate_atom_v, id, false,
                  reason)
      .then([](const advertiser&) {},
            [id](caf::error& err) {
              spdlog::error("[advertiser={}] could not record the deactivation: {}", id,
                            from_caf_error(err).message);
            });
    st.children.erase(child_it);
    return;
  }
  c.restarts.push_back(now);
  auto delay = st.restarts.backoff * (1 << std::min<int>(static_cast<int>(c.restarts.size()) - 1, 10));
  spdlog::error("[advertiser={}] actor crashed ({}); restart {} of {} in {}", id, why,
                c.restarts.size(), st.restarts.max_restarts, format_duration(delay));
  self->delayed_send(self, delay, restart_atom_v, id);
}

} // namespace

supervisor_actor::behavior_type
supervisor(supervisor_actor::stateful_pointer<supervisor_state> self,
           std::shared_ptr<const advertiser_settings> settings, restart_policy restarts) {
  self->state.settings = std::move(settings);
  self->state.restarts = restarts;
  self->set_down_handler([=](caf::down_msg& dm) { on_down(self, dm); });
  // Shutdown reaches the supervisor as an exit message: take the children along.
  self->set_exit_handler([=](caf::exit_msg& em) {
    self->state.draining = true;
    for (auto& [id, c] : self->state.children)
      self->send_exit(c.handle, em.reason);
    self->quit(em.reason);
  });
  return {
    [=](sync_atom, advertiser_list& active) {
      auto& st = self->state;
      if (st.draining)
        return;
      std::unordered_set<std::string> listed;
      for (auto& record : active) {
        listed.insert(record.id);
        hand_out(self, record);
      }
      for (auto& [id, c] : st.children)
        if (!c.retiring && !listed.count(id))
          retire(self, c);
    },
    [=](due_atom, const advertiser& record) {
      if (!self->state.draining)
        hand_out(self, record);
    },
    [=](create_atom, const new_advertiser& request) -> caf::result<advertiser> {
      auto& st = self->state;
      if (st.draining)
        return to_caf_error(make_failure(errc::shutting_down, "cdpbatchd is shutting down"));
      auto promise = self->make_response_promise<advertiser>();
      self->request(st.settings->reader, st.settings->store_timeout, create_atom_v, request)
        .then(
          [=](advertiser& created) mutable {
            spdlog::info("[advertiser={}] created ({}) by an operator", created.id,
                         to_string(created.type));
            if (!self->state.draining)
              hand_out(self, created);
            promise.deliver(std::move(created));
          },
          [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
      return promise;
    },
    [=](retry_atom, const std::string& id, year_month month) -> caf::result<month_state> {
      auto& st = self->state;
      if (auto* c = serving(st, id))
        return self->delegate(c->handle, retry_atom_v, month);
      // No actor holds a copy of its months: the store alone changes.
      return self->delegate(st.settings->reader, retry_atom_v, id, month);
    },
    [=](activate_atom, const std::string& id, bool active,
        std::string& reason) -> caf::result<advertiser> {
      auto& st = self->state;
      if (st.draining && active)
        return to_caf_error(make_failure(errc::shutting_down, "cdpbatchd is shutting down"));
      if (auto* c = serving(st, id))
        return self->delegate(c->handle, activate_atom_v, active, std::move(reason));
      auto promise = self->make_response_promise<advertiser>();
      self->request(st.settings->reader, st.settings->store_timeout, activate_atom_v, id, active,
                    reason)
        .then(
          [=](advertiser& fresh) mutable {
            spdlog::info("[advertiser={}] {} by an operator", id,
                         active ? "activated" : "deactivated");
            auto& st = self->state;
            if (active && !st.draining)
              hand_out(self, fresh);
            else if (auto it = st.children.find(id); it != st.children.end())
              it->second.revive = false;
            promise.deliver(std::move(fresh));
          },
          [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
      return promise;
    },
    [=](reaped_atom, const month_list& months) {
      auto& st = self->state;
      for (const auto& m : months)
        if (auto it = st.children.find(m.advertiser_id); it != st.children.end())
          self->send(it->second.handle, reaped_atom_v, m.month);
    },
    [=](reload_atom, const std::string& id) {
      auto& st = self->state;
      if (auto it = st.children.find(id); it != st.children.end())
        self->send(it->second.handle, reload_atom_v);
    },
    [=](lookup_atom, const std::string& id) -> caf::result<advertiser_actor> {
      auto& st = self->state;
      auto it = st.children.find(id);
      if (it == st.children.end() || !st.ids.count(it->second.handle.address()))
        return to_caf_error(make_failure(errc::not_found, "advertiser '" + id + "' has no actor"));
      return it->second.handle;
    },
    [=](activity_atom, const std::string& id) -> caf::result<advertiser_activity> {
      auto& st = self->state;
      auto it = st.children.find(id);
      if (it == st.children.end())
        return advertiser_activity{id, advertiser_activity::phase::not_loaded, std::nullopt, 0, 0,
                                   std::nullopt, std::nullopt, -1,
                                   "no actor: inactive or not yet ticked"};
      return self->delegate(it->second.handle, activity_atom_v);
    },
    [=](drain_atom) -> caf::result<int64_t> {
      auto& st = self->state;
      st.draining = true;
      auto total = static_cast<int64_t>(st.children.size());
      // Before make_response_promise: it takes the reply address away.
      if (total == 0)
        return int64_t{0};
      auto promise = self->make_response_promise<int64_t>();
      auto remaining = std::make_shared<int64_t>(total);
      auto answered = [=]() mutable {
        if (--*remaining == 0)
          promise.deliver(total);
      };
      for (auto& [id, c] : st.children)
        self->request(c.handle, st.settings->job_timeout + std::chrono::minutes{2}, drain_atom_v)
          .then([=](bool) mutable { answered(); }, [=](caf::error&) mutable { answered(); });
      return promise;
    },
    [=](alive_atom) { return static_cast<int64_t>(self->state.ids.size()); },
    [=](lease_atom, const lease_list& held) {
      auto& st = self->state;
      std::unordered_map<std::string, int64_t> now;
      bool gained = false;
      for (const auto& l : held) {
        now.emplace(l.advertiser_id, l.epoch);
        auto it = st.children.find(l.advertiser_id);
        if (it == st.children.end())
          gained = gained || !st.leases.count(l.advertiser_id);
        else if (epoch_of(st, l.advertiser_id) != l.epoch && !it->second.retiring)
          self->send(it->second.handle, lease_atom_v, l.epoch);
      }
      st.leases = std::move(now);
      for (auto& [id, c] : st.children)
        if (!c.retiring && !st.leases.count(id)) {
          spdlog::info("[advertiser={}] lease gone to another node: stopping its actor here", id);
          retire(self, c);
        }
      return gained && !st.draining;
    },
    [=](restart_atom, const std::string& id) {
      auto& st = self->state;
      auto it = st.children.find(id);
      if (it == st.children.end() || st.draining)
        return;
      // The new actor reloads its months: the store is the truth after a crash.
      it->second.handle = spawn_child(self, it->second.record);
      self->send(it->second.handle, due_atom_v, it->second.record);
    },
  };
}

} // namespace cdp
