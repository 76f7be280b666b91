#include "actors/admin.hpp"

#include <string>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/duration.hpp"

namespace cdp {

namespace {

using self_ptr = admin_actor::stateful_pointer<admin_state>;

caf::error refuse(errc code, std::string message) {
  return to_caf_error(failure{code, std::move(message)});
}

void arm(self_ptr self, uint64_t id, watch_subscription& watch) {
  self->delayed_send(self, watch.interval, tick_atom_v, id, ++watch.generation);
}

/// The subscription of `console`, or the end of the map.
auto find_watch(self_ptr self, const caf::actor_addr& console) {
  auto& watches = self->state.watches;
  for (auto i = watches.begin(); i != watches.end(); ++i)
    if (i->second.console.address() == console)
      return i;
  return watches.end();
}

caf::result<watch_frame> subscribe(self_ptr self, int64_t interval_ms) {
  const auto& cfg = self->state.settings;
  auto console = caf::actor_cast<watch_console_actor>(self->current_sender());
  if (!console)
    return refuse(errc::invalid_argument, "a watch needs a console to push frames to");
  auto interval = std::chrono::milliseconds{interval_ms};
  if (interval < cfg.min_interval || interval > cfg.max_interval)
    return refuse(errc::invalid_argument,
                  "watch interval must be between " + format_duration(cfg.min_interval)
                    + " and " + format_duration(cfg.max_interval) + ", got "
                    + std::to_string(interval_ms) + "ms");
  bool known = find_watch(self, console.address()) != self->state.watches.end();
  if (!known && self->state.watches.size() >= cfg.max_watchers)
    return refuse(errc::conflict, std::to_string(cfg.max_watchers)
                                    + " consoles are watching already, the most this daemon "
                                      "serves; close one and try again");
  auto promise = self->make_response_promise<watch_frame>();
  self->request(cfg.operators, cfg.request_timeout, watch_atom_v)
    .then(
      [=](watch_frame& frame) mutable {
        auto& watches = self->state.watches;
        auto existing = find_watch(self, console.address());
        if (existing != watches.end()) {
          existing->second.interval = interval;
          arm(self, existing->first, existing->second);
        } else {
          auto id = self->state.next_watch++;
          auto& watch = watches[id];
          watch.console = console;
          watch.interval = interval;
          self->monitor(console);
          arm(self, id, watch);
          spdlog::info("admin: a console watches every {} ({} watching)",
                       format_duration(interval), watches.size());
        }
        promise.deliver(std::move(frame));
      },
      [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

/// Pushes the next frame of one watch and arms the one after it; a frame
/// still being made when the next tick comes is not asked for twice.
void push_frame(self_ptr self, uint64_t id, uint64_t generation) {
  auto i = self->state.watches.find(id);
  if (i == self->state.watches.end() || i->second.generation != generation)
    return;
  auto& watch = i->second;
  arm(self, id, watch);
  if (watch.frame_pending)
    return;
  watch.frame_pending = true;
  auto done = [=] {
    auto j = self->state.watches.find(id);
    if (j == self->state.watches.end())
      return watch_console_actor{};
    j->second.frame_pending = false;
    return j->second.console;
  };
  self->request(self->state.settings.operators, self->state.settings.request_timeout, watch_atom_v)
    .then(
      [=](watch_frame& frame) {
        if (auto console = done())
          self->send(console, watch_atom_v, std::move(frame));
      },
      [=](caf::error& err) {
        if (auto console = done())
          self->send(console, watch_atom_v, std::move(err));
      });
}

/// Asks the operator and answers with what it says. Never `delegate`: the
/// console would learn the operator's address and could message it directly.
template <class T, class... Ts>
caf::result<T> forward(self_ptr self, Ts... xs) {
  auto promise = self->make_response_promise<T>();
  self->request(self->state.settings.operators, self->state.settings.request_timeout, xs...)
    .then([=](T& answer) mutable { promise.deliver(std::move(answer)); },
          [=](caf::error& err) mutable {
            // CAF's own errors (a timeout here) reach the console as ours.
            promise.deliver(to_caf_error(from_caf_error(err)));
          });
  return promise;
}

/// `call` as the operator gets it: whatever subject the console put in it
/// gives way to the one its connection's certificate showed ("" on a plain
/// port, or for a sender on no TLS connection).
operator_call as_sent(self_ptr self, operator_call call) {
  call.subject.clear();
  const auto& sender = self->current_sender();
  if (sender && self->state.settings.peers)
    if (auto subject = self->state.settings.peers->subject_of(sender->node()))
      call.subject = std::move(*subject);
  return call;
}

/// The admin actor with a mailbox that takes no exit message until the
/// daemon closes it.
class admin_impl final : public caf::stateful_actor<admin_state, admin_actor::base> {
public:
  admin_impl(caf::actor_config& cfg, admin_settings settings)
    : stateful_actor(cfg), settings_(std::move(settings)) {}

  behavior_type make_behavior() override { return admin(this, std::move(settings_)); }

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override {
    if (!closing_ && ptr->content().match_elements<caf::exit_msg>())
      return;
    stateful_actor::enqueue(std::move(ptr), eu);
  }

  void close() { closing_ = true; }

private:
  admin_settings settings_;
  std::atomic<bool> closing_{false};
};

} // namespace

admin_actor spawn_admin(caf::actor_system& sys, admin_settings settings) {
  return sys.spawn<admin_impl>(std::move(settings));
}

void stop_admin(const admin_actor& admin) {
  if (!admin)
    return;
  static_cast<admin_impl*>(caf::actor_cast<caf::abstract_actor*>(admin))->close();
  caf::anon_send_exit(admin, caf::exit_reason::user_shutdown);
}

admin_actor::behavior_type admin(admin_actor::stateful_pointer<admin_state> self,
                                 admin_settings settings) {
  self->state.settings = std::move(settings);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto i = find_watch(self, dm.source);
    if (i == self->state.watches.end())
      return;
    self->state.watches.erase(i);
    spdlog::info("admin: a watching console went away ({} watching)",
                 self->state.watches.size());
  });
  return {
    [=](hello_atom, uint32_t console) -> caf::result<uint32_t> {
      if (console == admin_protocol_version)
        return admin_protocol_version;
      spdlog::warn("admin: refused a console speaking protocol {} (this daemon speaks {})",
                   console, admin_protocol_version);
      return refuse(errc::incompatible_protocol,
                    "incompatible daemon: protocol " + std::to_string(admin_protocol_version)
                      + ", console speaks " + std::to_string(console));
    },
    [=](status_atom a) { return forward<system_status>(self, a); },
    [=](list_atom a, advertiser_query& q) { return forward<advertiser_page>(self, a, std::move(q)); },
    [=](describe_atom a, std::string& id) { return forward<advertiser_detail>(self, a, std::move(id)); },
    [=](audit_atom a, audit_query& q) { return forward<audit_page>(self, a, std::move(q)); },
    [=](progress_atom a, std::string& id) {
      return forward<advertiser_progress>(self, a, std::move(id));
    },
    [=](months_atom a, std::string& id) { return forward<month_list>(self, a, std::move(id)); },
    [=](running_atom a) { return forward<running_job_list>(self, a); },
    [=](attempts_atom a, std::string& id, std::string& month) {
      return forward<attempt_list>(self, a, std::move(id), std::move(month));
    },
    [=](create_atom a, operator_call& call, advertiser_request& request) {
      return forward<advertiser_progress>(self, a, as_sent(self, std::move(call)), std::move(request));
    },
    [=](create_atom a, operator_call& call, advertiser_request_list& requests) {
      return forward<int64_t>(self, a, as_sent(self, std::move(call)), std::move(requests));
    },
    [=](import_atom a, operator_call& call, import_batch& batch) {
      return forward<import_report>(self, a, as_sent(self, std::move(call)),
                                    std::move(batch));
    },
    [=](months_atom a, id_list& ids) { return forward<month_list>(self, a, std::move(ids)); },
    [=](attempts_atom a, id_list& ids) { return forward<attempt_list>(self, a, std::move(ids)); },
    [=](trigger_atom a, operator_call& call, std::string& id) {
      return forward<advertiser_progress>(self, a, as_sent(self, std::move(call)), std::move(id));
    },
    [=](retry_atom a, operator_call& call, std::string& id, std::string& month) {
      return forward<month_state>(self, a, as_sent(self, std::move(call)), std::move(id),
                                  std::move(month));
    },
    [=](activate_atom a, operator_call& call, std::string& id) {
      return forward<advertiser_progress>(self, a, as_sent(self, std::move(call)), std::move(id));
    },
    [=](deactivate_atom a, operator_call& call, std::string& id) {
      return forward<advertiser_progress>(self, a, as_sent(self, std::move(call)), std::move(id));
    },
    [=](health_atom a) { return forward<health_report>(self, a); },
    [=](watch_atom a) { return forward<watch_frame>(self, a); },
    [=](nodes_atom a) { return forward<node_list>(self, a); },
    [=](subscribe_atom, int64_t interval_ms) { return subscribe(self, interval_ms); },
    [=](tick_atom, uint64_t id, uint64_t generation) { push_frame(self, id, generation); },
  };
}

} // namespace cdp
