#include "actors/director.hpp"

#include <utility>

#include <spdlog/spdlog.h>

#include "actors/errors.hpp"
#include "domain/duration.hpp"
#include "domain/probe.hpp"
#include "domain/retry_policy.hpp"

namespace cdp {

namespace {

using self_ptr = director_actor::stateful_pointer<director_state>;

void arm(self_ptr self, std::chrono::milliseconds delay) {
  auto& st = self->state;
  st.next_tick = st.settings.clk->now() + delay;
  auto gen = ++st.generation;
  self->delayed_send(self, delay, tick_atom_v, gen);
}

/// The tick's list was handed out (or could not be): the next one is armed.
void handed_out(self_ptr self, std::chrono::steady_clock::time_point started, size_t listed) {
  auto& st = self->state;
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(
    std::chrono::steady_clock::now() - started);
  st.settings.metrics->tick_done(took);
  if (st.settings.observer)
    st.settings.observer->ticked(listed, took);
  spdlog::debug("director: tick handed out {} active advertisers in {}ms", listed,
                took.count() / 1000);
  arm(self, std::exchange(st.resync, false) ? std::chrono::milliseconds{0}
                                            : st.settings.tick_interval);
}

/// Keeps the advertisers a tick hands out: the active ones, and with the
/// probe on those a failed month deactivated (their actors probe them).
void keep_tickable(advertiser_list& listed, bool probe) {
  std::erase_if(listed, [probe](const advertiser& a) {
    return !a.active && !(probe && deactivated_by_failure(a));
  });
}

void tick(self_ptr self) {
  auto& st = self->state;
  auto started = std::chrono::steady_clock::now();
  st.next_tick.reset();
  self->request(st.settings.reader, st.settings.store_timeout, list_atom_v, !st.settings.probe)
    .then(
      [=](advertiser_list& active) {
        auto& st = self->state;
        keep_tickable(active, st.settings.probe);
        st.store_failures = 0;
        auto n = active.size();
        if (st.draining) {
          arm(self, st.settings.tick_interval);
          return;
        }
        // The next tick is armed once this one's hand-out is done: a slow
        // hand-out delays it rather than piling ticks up.
        self->request(st.settings.supervisor, st.settings.store_timeout, sync_atom_v,
                      std::move(active))
          .then([=](int64_t) { handed_out(self, started, n); },
                [=](caf::error& err) {
                  spdlog::warn("director: handing out a tick failed: {}",
                               from_caf_error(err).message);
                  arm(self, self->state.settings.tick_interval);
                });
      },
      [=](caf::error& err) {
        auto& st = self->state;
        auto delay = std::min(st.settings.tick_interval, reconnect_delay(++st.store_failures));
        spdlog::warn("director: cannot list advertisers: {}; next try in {}",
                     from_caf_error(err).message, format_duration(delay));
        arm(self, delay);
      });
}

} // namespace

director_actor::behavior_type
director(director_actor::stateful_pointer<director_state> self, director_settings settings) {
  self->state.settings = std::move(settings);
  self->send(self, tick_atom_v, self->state.generation);
  return {
    [=](tick_atom, uint64_t generation) {
      if (generation == self->state.generation && !self->state.draining)
        tick(self);
    },
    [=](trigger_atom, const std::string& id) -> caf::result<advertiser> {
      auto& st = self->state;
      if (st.draining)
        return to_caf_error(make_failure(errc::shutting_down, "cdpbatchd is shutting down"));
      auto promise = self->make_response_promise<advertiser>();
      self->request(st.settings.reader, st.settings.store_timeout, get_atom_v, id)
        .then(
          [=](advertiser& who) mutable {
            if (!who.active) {
              promise.deliver(to_caf_error(make_failure(
                errc::conflict, "advertiser '" + id + "' is deactivated; activate it first")));
              return;
            }
            self->send(self->state.settings.supervisor, due_atom_v, who);
            promise.deliver(std::move(who));
          },
          [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
      return promise;
    },
    [=](sync_atom) {
      auto& st = self->state;
      if (st.draining)
        return;
      if (!st.next_tick) {
        // A tick is under way: another one follows it at once.
        st.resync = true;
        return;
      }
      ++st.generation;
      tick(self);
    },
    [=](sync_atom, id_list& ids) {
      auto& st = self->state;
      if (st.draining)
        return;
      self->request(st.settings.reader, st.settings.store_timeout, get_atom_v, std::move(ids))
        .then(
          [=](advertiser_list& listed) {
            auto& st = self->state;
            keep_tickable(listed, st.settings.probe);
            if (!st.draining && !listed.empty())
              self->send(st.settings.supervisor, due_atom_v, std::move(listed));
          },
          [=](caf::error& err) {
            // They wait for the next tick, which lists every advertiser.
            spdlog::warn("director: cannot read advertisers whose leases were just taken: {}; "
                         "the next tick hands them out",
                         from_caf_error(err).message);
          });
    },
    [=](schedule_atom) {
      const auto& st = self->state;
      return tick_schedule{st.draining ? std::nullopt : st.next_tick, st.settings.tick_interval};
    },
    [=](drain_atom) -> caf::result<int64_t> {
      auto& st = self->state;
      st.draining = true;
      ++st.generation; // cancels the pending tick
      return self->delegate(st.settings.supervisor, drain_atom_v);
    },
  };
}

} // namespace cdp
